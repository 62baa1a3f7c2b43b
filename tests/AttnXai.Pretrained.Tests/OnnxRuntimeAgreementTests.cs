using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Engine;
using AttnXai.Model;
using AttnXai.Model.Pretrained;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Pretrained.Tests;

/// <summary>
/// AttnXai's BertClassifier (TorchSharp, float32) against ONNX Runtime running the package's model.onnx itself, on real
/// IMDB reviews through the WordPiece tokenizer: the last hidden state at every real position agrees to 1e-4 of its
/// scale; short reviews, reviews truncated at 128 and at 256 positions, in padded batches.
/// </summary>
public class OnnxRuntimeAgreementTests(ConvertedMiniLm converted, ITestOutputHelper output) : IClassFixture<ConvertedMiniLm>
{
    [SharedDataTheory]
    [InlineData(128)]
    [InlineData(256)]
    public void LastHiddenStateEqualsOnnxRuntimesOnImdbReviews(int length)
    {
        var data = ImdbReader.Read(RepoPaths.SharedImdbArchive()!);
        // 50 reviews: the 20 shortest and 30 spread over the test part (most of them longer than 256 tokens).
        var test = data.Test;
        var texts = test.OrderBy(r => r.Text.Length).Take(20).Concat(test.Where((_, i) => i % 834 == 0).Take(30)).Select(r => r.Text).ToList();
        var tokenizer = AttnXai.Data.Text.WordPiece.BertWordPieceTokenizer.FromCheckpoint(converted.Directory);
        using var scope = NewDisposeScope();
        var (model, architecture, _, _) = PretrainedModel.FromEncoder(converted.Directory, BertHead.Mean, 2, length, seed: 1);
        using var _m = model;
        using var session = new InferenceSession(converted.OnnxPath);
        double worst = 0, scale = 0;
        int truncated = 0, padded = 0;
        const int batch = 5;
        for (int start = 0; start < texts.Count; start += batch)
        {
            var rows = texts.Skip(start).Take(batch).Select(t => tokenizer.EncodeWithSpecials(t, length)).ToList();
            int L = rows.Max(r => r.Length), B = rows.Count;
            truncated += rows.Count(r => r.Length == length);
            padded += rows.Count(r => r.Length < L);
            var ids = new long[B * L];
            var mask = new long[B * L];
            for (int b = 0; b < B; b++)
                for (int i = 0; i < rows[b].Length; i++) { ids[b * L + i] = rows[b][i]; mask[b * L + i] = 1; }
            int[] dims = [B, L];
            using var results = session.Run(
            [
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[B * L], dims)),
            ], ["last_hidden_state"]);
            var ort = results.First().AsTensor<float>().ToArray();
            using var inner = NewDisposeScope();
            var maskT = tensor(mask.Select(m => m == 1).ToArray(), [B, L]);
            var mine = model.Encode(((ITextClassifier)model).Embed(tensor(ids, [B, L])), maskT).ToArray<float>();
            for (int b = 0; b < B; b++)
                for (int i = 0; i < rows[b].Length; i++)
                    for (int j = 0; j < 384; j++)
                    {
                        int k = (b * L + i) * 384 + j;
                        worst = Math.Max(worst, Math.Abs((double)mine[k] - ort[k]));
                        scale = Math.Max(scale, Math.Abs((double)ort[k]));
                    }
        }
        output.WriteLine($"L {length}: largest difference {worst:G3}, scale {scale:G3} ({worst / scale:G3} relative); {truncated} truncated, {padded} padded");
        Assert.True(truncated >= 5 && padded >= 5, $"{truncated} truncated, {padded} padded rows: the sample does not cover the cases");
        Assert.True(worst <= 1e-4 * scale, $"largest difference {worst:G3} against a scale of {scale:G3}");
    }
}

/// <summary>A theory that runs only when the shared IMDB archive is present, reported as skipped with the reason
/// otherwise.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (RepoPaths.SharedImdbArchive() is null)
            Skip = "the shared IMDB archive (../shared/data/aclImdb_v1_labeled.tar.gz or $ATTNXAI_SHARED_DATA) is not present";
    }
}

/// <summary>A classifier made from the converted MiniLM, written back as a Hugging Face folder and loaded through the
/// one loader every command uses.</summary>
public class PretrainedClassifierFolderTests(ConvertedMiniLm converted) : IClassFixture<ConvertedMiniLm>, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-pretrained-folder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Theory]
    [InlineData(BertHead.Mean)]
    [InlineData(BertHead.Pooler)]
    public void AWrittenClassifierReloadsBitwise(BertHead head)
    {
        using var scope = NewDisposeScope();
        var (model, _, config, tokenizer) = PretrainedModel.FromEncoder(converted.Directory, head, 3, 64, seed: 7);
        using var _m = model;
        var dir = Path.Combine(_root, head.ToString());
        var labels = new AttnXai.Data.Labelled.LabelMap(["neg", "neutral", "pos"]);
        PretrainedModel.Save(dir, model, config, tokenizer, labels, seed: 7);
        using var loaded = ModelCheckpoint.Load(dir);
        var reloaded = (BertClassifier)loaded.Model;
        Assert.Equal(head, reloaded.Architecture.Head);
        Assert.Equal(64, loaded.Model.Inputs.Length);
        Assert.Equal(["neg", "neutral", "pos"], loaded.Labels.ClassNames);
        Assert.Equal(3, loaded.Model.Classes);
        Assert.Equal("wordpiece-uncased", loaded.TokenizerName);
        var mine = model.state_dict();
        foreach (var (name, t) in reloaded.state_dict())
            Assert.True(torch.equal(t, mine[name]).all().item<bool>(), $"tensor {name} differs after the round trip");
        Assert.Equal(mine.Count, reloaded.state_dict().Count);
        // The same logits through the encoder every command uses.
        var enc = loaded.Encoder.Encode("A film I will not forget.");
        var ids = tensor(enc.Ids, [1, enc.Ids.Length]);
        var mask = tensor(enc.Mask!, [1, enc.Ids.Length]);
        Assert.Equal(model.LogitsOfIds(ids, mask).ToArray<float>(), loaded.Model.LogitsOfIds(ids, mask).ToArray<float>());
        Assert.Equal(tokenizer.EncodeWithSpecials("A film I will not forget.", 64), enc.Ids.Take(enc.Mask!.Count(m => m)).ToArray());
    }

    [Fact]
    public void ABareEncoderIsNotAClassifierAndABadTensorIsNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(converted.Directory));
        Assert.Contains("attnxai train --init", e.Message);
        using var scope = NewDisposeScope();
        var (model, _, config, tokenizer) = PretrainedModel.FromEncoder(converted.Directory, BertHead.Cls, 2, 32, seed: 1);
        using var _m = model;
        var dir = Path.Combine(_root, "misshapen");
        PretrainedModel.Save(dir, model, config, tokenizer, new AttnXai.Data.Labelled.LabelMap(["a", "b"]), seed: 1);
        // A classifier of 3 rows against config's 2 labels; then a missing tensor.
        var w = HfCheckpoint.ReadWeights(dir);
        w["classifier.weight"] = torch.zeros([3, 384]);
        w["classifier.bias"] = torch.zeros([3]);
        AttnXai.Engine.SafetensorsFile.Save(Path.Combine(dir, "model.safetensors"), w);
        e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("id2label", e.Message);
        w.Remove("classifier.bias");
        w["classifier.weight"] = torch.zeros([2, 384]);
        AttnXai.Engine.SafetensorsFile.Save(Path.Combine(dir, "model.safetensors"), w);
        e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("missing tensor 'classifier.bias'", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }
}

/// <summary>A DistilBERT classifier (random weights, DistilBERT's names and head) written as a Hugging Face folder and
/// loaded back through the loader every command uses.</summary>
public class DistilBertFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-distilbert-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Fact]
    public void ADistilBertClassifierRoundTripsWithItsNamesAndHead()
    {
        Directory.CreateDirectory(_root);
        var vocab = Path.Combine(_root, "vocab-source.txt");
        File.WriteAllLines(vocab, new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "bad", "film", "##s", "." });
        var tokenizer = AttnXai.Data.Text.WordPiece.BertWordPieceTokenizer.FromVocabulary(vocab);
        var config = new BertConfig("distilbert", 11, 8, 2, 2, 6, 16, 0, 1e-12, "gelu", 0, [], []);
        using var scope = NewDisposeScope();
        using var model = new BertClassifier(new BertArchitecture(PretrainedModel.Sizes(config), BertHead.Pooler, 2, 12, tokenizer.Special));
        model.eval();
        torch.manual_seed(2);
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.add_(torch.randn(p.shape).mul(0.5f));
        var dir = Path.Combine(_root, "distil");
        PretrainedModel.Save(dir, model, config, tokenizer, new AttnXai.Data.Labelled.LabelMap(["neg", "pos"]), seed: 2);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("distilbert", json["model_type"]!.GetValue<string>());
        Assert.Equal("DistilBertForSequenceClassification", json["architectures"]![0]!.GetValue<string>());
        Assert.Equal("pos", json["id2label"]!["1"]!.GetValue<string>());
        var names = HfCheckpoint.ReadWeights(dir).Keys.ToHashSet();
        Assert.Contains("distilbert.transformer.layer.1.attention.q_lin.weight", names);
        Assert.Contains("pre_classifier.weight", names);
        using var loaded = ModelCheckpoint.Load(dir);
        Assert.Equal("distilbert", loaded.Architecture.Architecture);
        Assert.Equal(["neg", "pos"], loaded.Labels.ClassNames);
        var enc = loaded.Encoder.Encode("A good films.");
        var ids = tensor(enc.Ids, [1, enc.Ids.Length]);
        var mask = tensor(enc.Mask!, [1, enc.Ids.Length]);
        Assert.Equal(model.LogitsOfIds(ids, mask).ToArray<float>(), loaded.Model.LogitsOfIds(ids, mask).ToArray<float>());
        Assert.Equal([2L, 5, 6, 8, 9, 10, 3], enc.Ids.Take(7).ToArray());
    }
}
