using System.Text.Json.Nodes;
using AttnXai.Data.Pretrained;
using AttnXai.Model.Pretrained;
using AttnXai.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AttnXai.Pretrained.Tests;

/// <summary>The package's all-MiniLM-L6-v2 converted once into a temporary folder, shared by the converter's tests.</summary>
public sealed class ConvertedMiniLm : IDisposable
{
    public ConvertedMiniLm()
    {
        OnnxPath = MiniLmPackage.OnnxPath();
        VocabPath = MiniLmPackage.VocabPath();
        Directory = Path.Combine(Path.GetTempPath(), "attnxai-minilm-" + Guid.NewGuid().ToString("N"));
        Config = OnnxBertConverter.Convert(OnnxPath, VocabPath, Directory, MiniLmCheckpoint.ModelMaxLength);
    }

    public string OnnxPath { get; }
    public string VocabPath { get; }
    public string Directory { get; }
    public BertConfig Config { get; }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, true);
    }
}

public class ConverterTests(ConvertedMiniLm converted, ITestOutputHelper output) : IClassFixture<ConvertedMiniLm>, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-onnx-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Fact]
    public void TheConvertedFolderIsAllMiniLmL6V2()
    {
        var dir = converted.Directory;
        Assert.True(HfCheckpoint.IsCheckpointFolder(dir));
        var c = HfCheckpoint.ReadConfig(dir);
        Assert.Equal(converted.Config, c);
        Assert.NotEqual(c, c with { Architectures = ["BertForSequenceClassification"] });
        Assert.Equal((BertConfig.Bert, 30522, 384, 6, 12, 1536, 512, 2, 1e-12, "gelu", 0),
            (c.ModelType, c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.MaxPositionEmbeddings,
             c.TypeVocabSize, c.LayerNormEps, c.HiddenAct, c.PadTokenId));
        Assert.Equal(["BertModel"], c.Architectures);
        Assert.Empty(c.Labels);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.False(json.ContainsKey("id2label"));
        var tok = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")))!;
        Assert.True(tok["do_lower_case"]!.GetValue<bool>());
        Assert.Equal(256, tok["model_max_length"]!.GetValue<int>());
        Assert.Equal(File.ReadAllBytes(converted.VocabPath), File.ReadAllBytes(Path.Combine(dir, "vocab.txt")));

        using var scope = NewDisposeScope();
        var w = HfCheckpoint.ReadWeights(dir);
        Assert.Equal(5 + 6 * 16 + 2, w.Count);
        Assert.Equal([30522L, 384], w["embeddings.word_embeddings.weight"].shape);
        Assert.Equal([1536L, 384], w["encoder.layer.5.intermediate.dense.weight"].shape);
        Assert.Equal([384L, 1536], w["encoder.layer.5.output.dense.weight"].shape);
        Assert.Equal([384L, 384], w["pooler.dense.weight"].shape);
        // The task layout's names come from the bare ones.
        Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", HfWeightNames.ToPrefixed(w, "bert").Keys);
    }

    /// <summary>ONNX Runtime runs the package's model.onnx; the float64 reference runs on the converted checkpoint's
    /// tensors; the last hidden states agree to 1e-5 of their scale, on a batch with a padded sequence.</summary>
    [Fact]
    public void TheConvertedWeightsReproduceOnnxRuntime()
    {
        var vocab = File.ReadLines(converted.VocabPath).Select((t, i) => (t, i)).ToDictionary(p => p.t, p => (long)p.i);
        long[] Ids(string text) => [vocab["[CLS]"], .. text.Split(' ').Select(w => vocab[w]), vocab["[SEP]"]];
        var sequences = new[]
        {
            Ids("the movie was great , i loved it"),
            Ids("a terrible film"),
            Ids("what a bo ##ring plot"),
        };
        int batch = sequences.Length, length = sequences.Max(s => s.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        var types = new long[batch * length];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < sequences[b].Length; i++)
            {
                ids[b * length + i] = sequences[b][i];
                mask[b * length + i] = 1;
            }
        // The second sequence also gets segment B on its last two tokens (token types matter too).
        types[1 * length + 3] = types[1 * length + 4] = 1;

        float[] ort;
        using (var session = new InferenceSession(converted.OnnxPath))
        {
            int[] dims = [batch, length];
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dims)),
            };
            using var results = session.Run(inputs, ["last_hidden_state"]);
            var hidden = results.First().AsTensor<float>();
            Assert.Equal([batch, length, 384], hidden.Dimensions.ToArray());
            ort = hidden.ToArray();
        }

        using var scope = NewDisposeScope();
        var reference = new BertReference(HfCheckpoint.ReadConfig(converted.Directory), HfCheckpoint.ReadWeights(converted.Directory));
        double scale = ort.Max(v => Math.Abs((double)v)), worst = 0;
        for (int b = 0; b < batch; b++)
        {
            var row = Enumerable.Range(b * length, length);
            var h = reference.Forward(row.Select(i => ids[i]).ToArray(), row.Select(i => mask[i]).ToArray(), row.Select(i => types[i]).ToArray());
            for (int i = 0; i < length; i++)
                for (int j = 0; j < 384; j++)
                    worst = Math.Max(worst, Math.Abs(h[i][j] - ort[(b * length + i) * 384 + j]));
        }
        output.WriteLine($"largest difference {worst:G3}, output scale {scale:G3} ({worst / scale:G3} relative)");
        Assert.True(scale > 1, $"implausible output scale {scale}");
        // Observed: 3.4e-7 relative. 1e-5 keeps a margin and still notices a wrong LayerNorm epsilon (1e-5 vs 1e-12).
        Assert.True(worst <= 1e-5 * scale, $"largest difference {worst:G3} against an output scale of {scale:G3}");
    }

    [Fact]
    public void ThePoolerIsFoundAndTheWalkChecksNames()
    {
        using var scope = NewDisposeScope();
        using var read = OnnxBertConverter.Read(converted.OnnxPath, converted.VocabPath);
        Assert.True(read.HasPooler);
        Assert.Equal("last_hidden_state", read.LastHiddenState);
    }

    private string WriteModel(string name, GraphProto graph)
    {
        Directory.CreateDirectory(_root);
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var path = Path.Combine(_root, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static TensorProto Floats(string name, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(Enumerable.Repeat(0.5f, (int)dims.Aggregate(1L, (a, b) => a * b)));
        return t;
    }

    private static ValueInfoProto Input(string name) => new() { Name = name };

    [Fact]
    public void ANonBertGraphIsRefusedNamingTheFile()
    {
        var graph = new GraphProto { Name = "adder" };
        graph.Input.Add(Input("x"));
        graph.Initializer.Add(Floats("w", [4]));
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "x", "w" }, Output = { "y" } });
        graph.Output.Add(Input("y"));
        var path = WriteModel("adder.onnx", graph);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("word embeddings", e.Message);
    }

    [Fact]
    public void EmbeddingsWithoutALayerNormOrLayersAreRefused()
    {
        // Word, position and token-type embeddings summed, then nothing a BERT encoder has.
        var graph = new GraphProto { Name = "embeddings-only" };
        graph.Input.Add(Input("input_ids"));
        graph.Input.Add(Input("token_type_ids"));
        graph.Initializer.Add(Floats("embeddings.word_embeddings.weight", [10, 4]));
        graph.Initializer.Add(Floats("embeddings.position_embeddings.weight", [8, 4]));
        graph.Initializer.Add(Floats("embeddings.token_type_embeddings.weight", [2, 4]));
        graph.Node.Add(new NodeProto { OpType = "Gather", Name = "g1", Input = { "embeddings.word_embeddings.weight", "input_ids" }, Output = { "w" } });
        graph.Node.Add(new NodeProto { OpType = "Gather", Name = "g2", Input = { "embeddings.token_type_embeddings.weight", "token_type_ids" }, Output = { "t" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "a1", Input = { "w", "t" }, Output = { "s" } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "r", Input = { "s" }, Output = { "y" } });
        graph.Output.Add(Input("y"));
        var path = WriteModel("no-layernorm.onnx", graph);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("LayerNorm", e.Message);

        // With the LayerNorm (fused) but no encoder layer after it.
        graph.Node.RemoveAt(graph.Node.Count - 1);
        graph.Initializer.Add(Floats("embeddings.LayerNorm.weight", [4]));
        graph.Initializer.Add(Floats("embeddings.LayerNorm.bias", [4]));
        var ln = new NodeProto { OpType = "LayerNormalization", Name = "ln", Input = { "s", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias" }, Output = { "y" } };
        ln.Attribute.Add(new AttributeProto { Name = "epsilon", F = 1e-12f, Type = AttributeProto.Types.AttributeType.Float });
        graph.Node.Add(ln);
        var path2 = WriteModel("no-layers.onnx", graph);
        var e2 = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Read(path2));
        Assert.Contains(path2, e2.Message);
        Assert.Contains("no encoder layer", e2.Message);
    }

    [Fact]
    public void AFileThatIsNotOnnxIsRefusedNamingIt()
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, "text.onnx");
        File.WriteAllText(path, "this is not a protobuf message at all, just some words\n");
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Throws<FileNotFoundException>(() => OnnxBertConverter.Read(Path.Combine(_root, "missing.onnx")));
    }

    [Fact]
    public void EnsureConvertsOnceIntoTheCache()
    {
        var cache = Path.Combine(_root, "cache");
        var dir = MiniLmCheckpoint.Ensure(cache);
        Assert.Equal(Path.Combine(cache, "models", "all-MiniLM-L6-v2-" + MiniLmPackage.Version), dir);
        Assert.True(HfCheckpoint.IsCheckpointFolder(dir));
        Assert.Empty(Directory.GetDirectories(Path.Combine(cache, "models"), ".*"));
        var written = File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors"));
        Assert.Equal(dir, MiniLmCheckpoint.Ensure(cache));
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors")));
        // The same bytes as the fixture's conversion: the conversion is deterministic.
        Assert.Equal(File.ReadAllBytes(Path.Combine(converted.Directory, "model.safetensors")), File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }
}
