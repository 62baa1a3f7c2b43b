using System.Text.Json.Nodes;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Pretrained.Tests;

public class CheckpointFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-hf-tests-" + Guid.NewGuid().ToString("N"));

    public CheckpointFolderTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private static readonly BertConfig Tiny = new(BertConfig.Bert, VocabSize: 12, HiddenSize: 8, NumHiddenLayers: 2, NumAttentionHeads: 2,
        IntermediateSize: 16, MaxPositionEmbeddings: 10, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenAct: "gelu", PadTokenId: 0,
        Labels: ["negative", "positive"], Architectures: ["BertForSequenceClassification"]);

    private string Vocab()
    {
        var path = Path.Combine(_root, "source-vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "was", "good", "bad", "##s", "."]);
        return path;
    }

    /// <summary>A sequence classifier's tensors (a subset of the real names is enough for the folder I/O).</summary>
    private static Dictionary<string, Tensor> Tensors(int seed)
    {
        var gen = new Generator((ulong)seed);
        return new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["bert.embeddings.word_embeddings.weight"] = randn([12, 8], generator: gen),
            ["bert.embeddings.LayerNorm.weight"] = randn([8], generator: gen),
            ["bert.encoder.layer.0.attention.self.query.weight"] = randn([8, 8], generator: gen),
            ["bert.encoder.layer.0.attention.self.query.bias"] = randn([8], generator: gen),
            ["bert.pooler.dense.weight"] = randn([8, 8], generator: gen),
            ["classifier.weight"] = randn([2, 8], generator: gen),
            ["classifier.bias"] = randn([2], generator: gen),
        };
    }

    private static void AssertBitwise(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(ScalarType.Float32, a.dtype);
            Assert.Equal(e.shape, a.shape);
            Assert.Equal(e.ToArray<float>().Select(BitConverter.SingleToInt32Bits), a.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        }
    }

    private string WriteConfig(string dir, JsonObject json)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, HfCheckpoint.ConfigFile);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void WrittenFolderReadsBackBitwise()
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(_root, "ckpt");
        var tensors = Tensors(1);
        HfCheckpoint.Write(dir, Tiny, tensors, Vocab());

        Assert.True(HfCheckpoint.IsCheckpointFolder(dir));
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        Assert.Equal(File.ReadAllText(Vocab()), File.ReadAllText(Path.Combine(dir, "vocab.txt")));
        var tok = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")))!;
        Assert.True(tok["do_lower_case"]!.GetValue<bool>());
        Assert.Equal(10, tok["model_max_length"]!.GetValue<int>());

        var config = HfCheckpoint.ReadConfig(dir);
        Assert.Equal(Tiny, config);
        Assert.Equal(Tiny.Labels, config.Labels);
        Assert.Equal(Tiny.Architectures, config.Architectures);
        Assert.True(config.HasClassifierHint);
        Assert.True(config.HasPoolerHint);

        var read = HfCheckpoint.ReadWeights(dir);
        AssertBitwise(tensors, read);
    }

    [Fact]
    public void DistilBertConfigUsesItsOwnKeys()
    {
        var distil = Tiny with { ModelType = BertConfig.DistilBert, TypeVocabSize = 0, Architectures = ["DistilBertForSequenceClassification"] };
        var json = distil.ToJson();
        Assert.Equal(8, json["dim"]!.GetValue<int>());
        Assert.Equal(2, json["n_layers"]!.GetValue<int>());
        Assert.Equal(16, json["hidden_dim"]!.GetValue<int>());
        Assert.Null(json["hidden_size"]);
        var dir = Path.Combine(_root, "distil");
        WriteConfig(dir, json);
        var read = HfCheckpoint.ReadConfig(dir);
        Assert.Equal(distil, read);
        Assert.False(read.HasPoolerHint);
        Assert.True(read.HasClassifierHint);
        Assert.Equal("distilbert.", read.WeightPrefix);
    }

    [Fact]
    public void AttnXaiCheckpointsAndStrayFoldersAreNotHuggingFaceFolders()
    {
        var own = Path.Combine(_root, "own");
        WriteConfig(own, new JsonObject { ["format"] = "attnxai.attention-classifier", ["format_version"] = 3 });
        Assert.False(HfCheckpoint.IsCheckpointFolder(own));
        Assert.False(HfCheckpoint.IsCheckpointFolder(Path.Combine(_root, "missing")));
        var broken = Path.Combine(_root, "broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "config.json"), "{ not json");
        Assert.False(HfCheckpoint.IsCheckpointFolder(broken));
        var gpt = Path.Combine(_root, "gpt");
        WriteConfig(gpt, new JsonObject { ["model_type"] = "gpt2" });
        Assert.True(HfCheckpoint.IsCheckpointFolder(gpt)); // a Hugging Face folder, of a type ReadConfig refuses
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void HalfPrecisionWeightsLoadAsFloat32OfTheRoundedValues(ScalarType stored)
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(_root, "half-" + stored);
        var tensors = Tensors(2);
        var half = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(stored), StringComparer.Ordinal);
        WriteConfig(dir, Tiny.ToJson());
        SafetensorsFile.Save(Path.Combine(dir, HfCheckpoint.SafetensorsFile), half);
        var read = HfCheckpoint.ReadWeights(dir);
        var rounded = half.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32), StringComparer.Ordinal);
        AssertBitwise(rounded, read);
        // The rounding is real: the float32 originals are not all representable.
        Assert.Contains(rounded.Keys, k => (rounded[k] - tensors[k]).abs().max().item<float>() > 0);
    }

    [Fact]
    public void ShardedSafetensorsAreJoined()
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(_root, "sharded");
        var tensors = Tensors(3);
        WriteConfig(dir, Tiny.ToJson());
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var first = names.Take(3).ToDictionary(n => n, n => tensors[n]);
        var second = names.Skip(3).ToDictionary(n => n, n => tensors[n]);
        SafetensorsFile.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), first);
        SafetensorsFile.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var n in first.Keys) map[n] = "model-00001-of-00002.safetensors";
        foreach (var n in second.Keys) map[n] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.SafetensorsIndexFile),
            new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = map }.ToJsonString());

        Assert.Equal(Path.Combine(dir, HfCheckpoint.SafetensorsIndexFile), HfCheckpoint.WeightsPath(dir));
        AssertBitwise(tensors, HfCheckpoint.ReadWeights(dir));

        // An index naming a shard that is not there.
        map["bert.extra.weight"] = "model-00003-of-00002.safetensors";
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.SafetensorsIndexFile), new JsonObject { ["weight_map"] = map.DeepClone() }.ToJsonString());
        var missing = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.ReadWeights(dir));
        Assert.Contains("model-00003-of-00002.safetensors", missing.Message);
        Assert.Contains(HfCheckpoint.SafetensorsIndexFile, missing.Message);

        // An index putting a tensor in a shard that lacks it.
        map["bert.extra.weight"] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.SafetensorsIndexFile), new JsonObject { ["weight_map"] = map.DeepClone() }.ToJsonString());
        var lacking = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadWeights(dir));
        Assert.Contains("bert.extra.weight", lacking.Message);
        Assert.Contains("model-00002-of-00002.safetensors", lacking.Message);
    }

    [Fact]
    public void PytorchPicklesAreRead()
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(_root, "pt");
        var tensors = Tensors(4);
        WriteConfig(dir, Tiny.ToJson());
        var half = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float16), StringComparer.Ordinal);
        using (var s = File.Create(Path.Combine(dir, HfCheckpoint.PytorchFile)))
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(s, half);
        var rounded = half.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32), StringComparer.Ordinal);
        AssertBitwise(rounded, HfCheckpoint.ReadWeights(dir));

        // Sharded: pytorch_model-0000N-of-00002.bin and the index (the single file removed).
        File.Delete(Path.Combine(dir, HfCheckpoint.PytorchFile));
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var map = new JsonObject();
        for (int shard = 0; shard < 2; shard++)
        {
            var file = $"pytorch_model-0000{shard + 1}-of-00002.bin";
            var part = names.Where((_, i) => i % 2 == shard).ToDictionary(n => n, n => tensors[n]);
            using (var s = File.Create(Path.Combine(dir, file))) TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(s, part);
            foreach (var n in part.Keys) map[n] = file;
        }
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.PytorchIndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        AssertBitwise(tensors, HfCheckpoint.ReadWeights(dir));
    }

    [Fact]
    public void BadFoldersAreRefusedNamingTheFile()
    {
        using var scope = NewDisposeScope();
        // No config.json.
        var noConfig = Path.Combine(_root, "no-config");
        Directory.CreateDirectory(noConfig);
        SafetensorsFile.Save(Path.Combine(noConfig, HfCheckpoint.SafetensorsFile), Tensors(5));
        var e1 = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.ReadWeights(noConfig));
        Assert.Contains(Path.Combine(noConfig, "config.json"), e1.FileName);
        Assert.Contains("config.json", e1.Message);
        Assert.Throws<FileNotFoundException>(() => HfCheckpoint.ReadConfig(noConfig));

        // No weights.
        var noWeights = Path.Combine(_root, "no-weights");
        WriteConfig(noWeights, Tiny.ToJson());
        var e2 = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.ReadWeights(noWeights));
        Assert.Contains(noWeights, e2.Message);
        Assert.Contains("model.safetensors", e2.Message);

        // Corrupt weights: a truncated safetensors file, garbage as a PyTorch pickle.
        var corrupt = Path.Combine(_root, "corrupt");
        WriteConfig(corrupt, Tiny.ToJson());
        var st = Path.Combine(corrupt, HfCheckpoint.SafetensorsFile);
        SafetensorsFile.Save(st, Tensors(6));
        var bytes = File.ReadAllBytes(st);
        File.WriteAllBytes(st, bytes[..(bytes.Length - 10)]);
        var e3 = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadWeights(corrupt));
        Assert.Contains(st, e3.Message);
        File.Delete(st);
        var pt = Path.Combine(corrupt, HfCheckpoint.PytorchFile);
        File.WriteAllBytes(pt, "PK\u0003\u0004 this is not a zip archive"u8.ToArray());
        var e4 = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadWeights(corrupt));
        Assert.Contains(pt, e4.Message);
        File.WriteAllBytes(pt, "not even a zip"u8.ToArray());
        var e5 = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadWeights(corrupt));
        Assert.Contains(pt, e5.Message);

        // NaN weights.
        var nan = Path.Combine(_root, "nan");
        WriteConfig(nan, Tiny.ToJson());
        var withNan = Tensors(7);
        withNan["classifier.bias"] = tensor(new[] { 0f, float.NaN });
        SafetensorsFile.Save(Path.Combine(nan, HfCheckpoint.SafetensorsFile), withNan);
        var e6 = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadWeights(nan));
        Assert.Contains("classifier.bias", e6.Message);
        Assert.Contains(Path.Combine(nan, HfCheckpoint.SafetensorsFile), e6.Message);
    }

    [Theory]
    [InlineData("model_type", "\"gpt2\"", "gpt2")]
    [InlineData("hidden_size", "null", "hidden_size")]
    [InlineData("hidden_size", "\"384\"", "hidden_size")]
    [InlineData("num_attention_heads", "5", "num_attention_heads")]
    [InlineData("hidden_act", "\"swish\"", "gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu")]
    [InlineData("id2label", "{\"0\": \"a\", \"2\": \"b\"}", "id2label")]
    [InlineData("num_labels", "3", "num_labels")]
    [InlineData("vocab_size", "0", "vocab_size")]
    public void BadConfigFieldsAreNamed(string field, string value, string expected)
    {
        var json = Tiny.ToJson();
        json[field] = JsonNode.Parse(value);
        if (value == "null") json.Remove(field);
        var dir = Path.Combine(_root, "bad-" + field + Guid.NewGuid().ToString("N")[..6]);
        var path = WriteConfig(dir, json);
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadConfig(dir));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    /// <summary>
    /// Every activation a config may name runs in the model: the three names Hugging Face gives the tanh approximation
    /// give bitwise the same logits; the exact (erf) GELU is within the approximation's error of them (|tanh form - erf
    /// form| is below 5e-4 for any input: a tiny difference in the logits, not zero); relu is another function.
    /// </summary>
    [Fact]
    public void EveryAcceptedActivationRunsAndTheTanhNamesAgree()
    {
        var logits = new Dictionary<string, double[]>();
        foreach (var act in BertConfig.SupportedActivations)
        {
            var json = Tiny.ToJson();
            json["hidden_act"] = act;
            var config = BertConfig.Parse(json, "x");
            Assert.Equal(act, config.HiddenAct);
            using var scope = NewDisposeScope();
            using var model = new BertClassifier(new BertArchitecture(PretrainedModel.Sizes(config), BertHead.Mean, 2, 8, new SpecialTokens(2, 1, 0, 3, 4)), seed: 5, dtype: ScalarType.Float64);
            model.eval();
            // Weights of order one (BERT's initial N(0, 0.02) would keep every pre-activation where the GELU forms agree
            // to far below float64's resolution of the logits), the same for every activation.
            torch.manual_seed(7);
            using (no_grad())
                foreach (var (name, p) in model.named_parameters())
                    p.copy_(name.Contains("LayerNorm.weight") ? ones(p.shape, float64).add(randn(p.shape, float64).mul(0.1)) : randn(p.shape, float64).mul(0.5));
            var ids = tensor(new long[] { 2, 5, 6, 7, 8, 3, 0, 0 }, [1, 8]);
            var mask = tensor(new[] { true, true, true, true, true, true, false, false }, [1, 8]);
            using var noGrad = no_grad();
            logits[act] = model.Logits(((AttnXai.Model.ITextClassifier)model).Embed(ids), mask).ToArray<double>();
        }
        Assert.Equal(logits["gelu_new"], logits["gelu_pytorch_tanh"]);
        Assert.Equal(logits["gelu_new"], logits["gelu_fast"]);
        double gap = logits["gelu"].Zip(logits["gelu_new"], (a, b) => Math.Abs(a - b)).Max();
        Assert.InRange(gap, 1e-9, 1e-2);
        Assert.True(logits["relu"].Zip(logits["gelu"], (a, b) => Math.Abs(a - b)).Max() > 1e-6);
    }

    [Fact]
    public void ConfigWithoutLabelsOrWithNumLabelsOnly()
    {
        var json = Tiny.ToJson();
        json.Remove("id2label");
        json.Remove("label2id");
        json.Remove("num_labels");
        Assert.Empty(BertConfig.Parse(json, "x").Labels);
        json["num_labels"] = 3;
        Assert.Equal(["LABEL_0", "LABEL_1", "LABEL_2"], BertConfig.Parse(json, "x").Labels);
        json.Remove("layer_norm_eps");
        Assert.Equal(1e-12, BertConfig.Parse(json, "x").LayerNormEps);
    }

    [Fact]
    public void NamesMatchAcrossBareAndTaskLayouts()
    {
        Assert.Equal("encoder.layer.0.attention.self.query.weight", HfWeightNames.StripPrefix("bert.encoder.layer.0.attention.self.query.weight", "bert"));
        Assert.Equal("bert.embeddings.word_embeddings.weight", HfWeightNames.AddPrefix("embeddings.word_embeddings.weight", "bert"));
        Assert.Equal("distilbert.transformer.layer.0.attention.q_lin.weight", HfWeightNames.AddPrefix("transformer.layer.0.attention.q_lin.weight", "distilbert"));
        Assert.Equal("classifier.weight", HfWeightNames.AddPrefix("classifier.weight", "bert"));
        Assert.Equal("pre_classifier.weight", HfWeightNames.AddPrefix("pre_classifier.weight", "distilbert"));
        Assert.Equal("bert.embeddings.word_embeddings.weight", HfWeightNames.AddPrefix("bert.embeddings.word_embeddings.weight", "bert"));
        Assert.Throws<ArgumentException>(() => HfWeightNames.Prefix("gpt2"));

        using var scope = NewDisposeScope();
        var a = ones(1);
        var b = ones(1);
        var c = ones(1);
        var bare = new Dictionary<string, Tensor>
        {
            ["embeddings.position_ids"] = arange(4),
            ["embeddings.LayerNorm.gamma"] = a,
            ["encoder.layer.0.output.dense.bias"] = b,
            ["pooler.dense.bias"] = c,
        };
        var prefixed = HfWeightNames.ToPrefixed(bare, "bert");
        Assert.Equal(["bert.embeddings.LayerNorm.weight", "bert.encoder.layer.0.output.dense.bias", "bert.pooler.dense.bias"],
            prefixed.Keys.Order(StringComparer.Ordinal));
        Assert.Same(a, prefixed["bert.embeddings.LayerNorm.weight"]);
        Assert.Equal(["embeddings.LayerNorm.weight", "encoder.layer.0.output.dense.bias", "pooler.dense.bias"],
            HfWeightNames.ToBare(prefixed, "bert").Keys.Order(StringComparer.Ordinal));
        var clash = new Dictionary<string, Tensor> { ["embeddings.LayerNorm.weight"] = a, ["bert.embeddings.LayerNorm.weight"] = b };
        Assert.Throws<InvalidDataException>(() => HfWeightNames.ToPrefixed(clash, "bert"));
    }
}
