using System.Text.Json.Nodes;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

public class CheckpointTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-ckpt-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    /// <summary>A freshly saved checkpoint folder (a model of Synthetic.Config, seed 9).</summary>
    private string Saved(string name = "m")
    {
        var dir = Path.Combine(_root, name);
        using var model = new AttentionClassifier(Synthetic.Config, 9);
        ModelCheckpoint.Save(dir, model, Synthetic.Vocabulary(), "basic_english", 9, new JsonObject { ["epochs"] = 1 }, new JsonObject { ["test_accuracy"] = 0.5 });
        return dir;
    }

    [Fact]
    public void SavedCheckpointLoadsBackToIdenticalOutputs()
    {
        using var scope = torch.NewDisposeScope();
        var dir = Path.Combine(_root, "trained");
        var trainer = new Trainer(Synthetic.Config, new TrainingOptions { Epochs = 2, BatchSize = 8, LearningRate = 5e-3, Seed = 3 },
            Synthetic.Data(64, 1), Synthetic.Data(32, 2), Synthetic.Data(16, 3), dir) { Vocabulary = Synthetic.Vocabulary() };
        var outcome = trainer.Run();
        using var model = outcome.Paper;
        using var loaded = ModelCheckpoint.Load(dir);
        Assert.Equal(model.Config, loaded.Architecture);
        Assert.Equal(3, loaded.Seed);
        Assert.Equal(Synthetic.Vocabulary().Tokens, loaded.Vocabulary.Tokens);
        Assert.Equal("basic_english", loaded.Tokenizer.Name);
        var ids = torch.tensor(Synthetic.Data(10, 4).Ids, [10, 12]);
        Assert.Equal(model.Forward(ids).Logits.ToArray<float>(), loaded.Paper.Forward(ids).Logits.ToArray<float>());
        foreach (var (k, v) in model.state_dict()) Assert.Equal(v.ToArray<float>(), loaded.Paper.state_dict()[k].ToArray<float>());
        // The text pipeline: "good good" encodes to [cls] good good UNK...
        var enc = loaded.Encoder.Encode("Good good");
        Assert.Equal(new long[] { 0, 2, 2, 1 }, enc.Ids[..4]);
        Assert.Equal(12, enc.Ids.Length);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!;
        Assert.Equal(outcome.Test!.Accuracy, metrics["test_accuracy"]!.GetValue<double>());
        Assert.Equal(2, loaded.Json["training"]!["epochs"]!.GetValue<int>());
    }

    [Fact]
    public void LoadingLeavesTheCallersRandomStreamUntouched()
    {
        // Loading used to build a seeded model (reseeding the global generator and drawing initial weights) before
        // reading the weights, so a caller's torch.rand after a load depended on the checkpoint's seed.
        using var scope = torch.NewDisposeScope();
        var dir = Saved();
        torch.manual_seed(5);
        var expected = torch.rand([6]).ToArray<float>();
        torch.manual_seed(5);
        using (var loaded = ModelCheckpoint.Load(dir))
            Assert.NotEqual(0f, loaded.Paper.W_q.abs().sum().ToSingle()); // the weights were read
        Assert.Equal(expected, torch.rand([6]).ToArray<float>());
        // The loading constructor itself starts from zeros.
        using var empty = AttentionClassifier.ForLoading(Synthetic.Config);
        Assert.Equal(0f, empty.EmbeddingWeight.abs().sum().ToSingle());
        Assert.Equal(0f, empty.W_l.abs().sum().ToSingle());
    }

    [Fact]
    public void MissingFolderAndIncompleteFolder()
    {
        var e1 = Assert.ThrowsAny<IOException>(() => ModelCheckpoint.Load(Path.Combine(_root, "nothing")));
        Assert.Contains("model folder not found", e1.Message);
        var dir = Saved();
        File.Delete(Path.Combine(dir, "config.json"));
        var e2 = Assert.ThrowsAny<IOException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("no config.json", e2.Message);
    }

    [Fact]
    public void MissingWeights()
    {
        var dir = Saved();
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var e = Assert.ThrowsAny<IOException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("missing model.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedWeights()
    {
        var dir = Saved();
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("model.safetensors", e.Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("model.safetensors", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
    }

    [Fact]
    public void ConfigNotJson()
    {
        var dir = Saved();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{ \"format\": ");
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("config.json: not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("seed", null, "missing field 'seed'")]
    [InlineData("tokenizer", null, "missing field 'tokenizer'")]
    [InlineData("model.heads", null, "missing field 'heads'")]
    [InlineData("model.heads", "\"six\"", "field 'heads' must be an integer")]
    [InlineData("tokenizer", "\"whitespace\"", "unknown tokenizer 'whitespace'")]
    [InlineData("format", "\"other\"", "format 'other'")]
    public void ConfigMissingOrBadField(string field, string? value, string expected)
    {
        var dir = Saved();
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var parts = field.Split('.');
        var owner = parts.Length == 2 ? json[parts[0]]!.AsObject() : json;
        if (value is null) owner.Remove(parts[^1]); else owner[parts[^1]] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains(expected, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void VocabularySizeDifferentFromEmbeddingRows()
    {
        var dir = Saved();
        var path = Path.Combine(dir, "vocab.txt");
        File.WriteAllLines(path, File.ReadAllLines(path).Take(15));
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("vocab.txt", e.Message);
        Assert.Contains("15 tokens", e.Message);
        Assert.Contains("20 rows", e.Message);
        File.Delete(path);
        Assert.Contains("missing vocabulary file vocab.txt", Assert.ThrowsAny<IOException>(() => ModelCheckpoint.Load(dir)).Message);
    }

    /// <summary>Save records the SHA-256 of the weights file (checked here against .NET's SHA-256 of the bytes);
    /// Load refuses the file once one bit of a tensor's bytes changed (the file still parses, every value finite),
    /// naming it; a config.json without the field loads as before.</summary>
    [Fact]
    public void WeightsChecksum()
    {
        var dir = Saved();
        var weights = Path.Combine(dir, "model.safetensors");
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(weights))), (string)config["weights_sha256"]!);
        using (var ok = ModelCheckpoint.Load(dir)) Assert.NotNull(ok.Model);

        var bytes = File.ReadAllBytes(weights);
        bytes[^4] ^= 1;   // the lowest mantissa bit of the last float32 of the last tensor: still a finite number
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.StartsWith(weights + ": the file's SHA-256 (", e.Message);
        Assert.Contains("is not the one config.json records", e.Message);

        // Without the field (a checkpoint from before it, or from elsewhere) the same bytes load.
        config.Remove("weights_sha256");
        File.WriteAllText(configPath, config.ToJsonString());
        using (var loaded = ModelCheckpoint.Load(dir)) Assert.NotNull(loaded.Model);
        // A malformed value is named.
        config["weights_sha256"] = "abc";
        File.WriteAllText(configPath, config.ToJsonString());
        Assert.Contains("weights_sha256 'abc' is not a SHA-256", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
    }

    [Fact]
    public void TensorShapeMismatch()
    {
        var dir = Saved();
        // Weights of a model with 3 heads under a config that says 2.
        using var other = new AttentionClassifier(Synthetic.Config with { Heads = 3 }, 1);
        ModelCheckpoint.SaveWeights(Path.Combine(dir, "model.safetensors"), other);
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Matches("tensor 'W_[qkv]' has shape \\[3, 4, 8\\]", e.Message);
        Assert.Contains("[2, 4, 8]", e.Message);
    }

    [Fact]
    public void CorruptVocabulary()
    {
        var dir = Saved();
        File.WriteAllText(Path.Combine(dir, "vocab.txt"), "hello\nUNK\n");
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("vocab.txt", e.Message);
    }

    [Fact]
    public void LabelsAreWrittenAndReadAndOldCheckpointsGetTheDefault()
    {
        var dir = Path.Combine(_root, "labelled");
        using (var model = new AttentionClassifier(Synthetic.Config, 9))
        {
            var e = Assert.Throws<ArgumentException>(() => ModelCheckpoint.Save(dir, model, Synthetic.Vocabulary(), "basic_english", 9, labels: AttnXai.Data.Labelled.LabelMap.Parse("a,b,c")));
            Assert.Equal("3 labels (a,b,c) for a model of 2 classes", e.Message);
            ModelCheckpoint.Save(dir, model, Synthetic.Vocabulary(), "basic_english", 9, labels: AttnXai.Data.Labelled.LabelMap.Parse("bad,good"));
        }
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(3, json["format_version"]!.GetValue<int>());
        Assert.Equal("attention-classifier", json["architecture"]!.GetValue<string>());
        Assert.Equal("[\"bad\",\"good\"]", json["labels"]!.ToJsonString());
        using (var loaded = ModelCheckpoint.Load(dir)) Assert.Equal(["bad", "good"], loaded.Labels.ClassNames);

        // Versions 1 and 2 (before the architecture was named) hold the paper's classifier.
        json.Remove("architecture");
        json["format_version"] = 2;
        File.WriteAllText(path, json.ToJsonString());
        using (var loaded = ModelCheckpoint.Load(dir)) Assert.IsType<AttentionClassifier>(loaded.Model);

        // Version 1 (before labels were kept): IMDB's neg and pos for two classes.
        json["format_version"] = 1;
        json.Remove("labels");
        File.WriteAllText(path, json.ToJsonString());
        using (var loaded = ModelCheckpoint.Load(dir)) Assert.Equal(["neg", "pos"], loaded.Labels.ClassNames);

        // Version 2 must have them, one per class.
        json["format_version"] = 2;
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("missing field 'labels'", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
        json["labels"] = new JsonArray("only");
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("1 labels for a model of 2 classes", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
        json["format_version"] = 4;
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("format_version 4 is newer", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
        // Version 3 names its architecture; an unknown one is refused by name.
        json["format_version"] = 3;
        json["labels"] = new JsonArray("bad", "good");
        json["architecture"] = "mystery";
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("unknown architecture 'mystery' (known: attention-classifier, transformer", Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir)).Message);
    }

    [Fact]
    public void NonFiniteWeightsAreRefused()
    {
        var dir = Saved();
        using (var model = new AttentionClassifier(Synthetic.Config, 9))
        {
            using (torch.no_grad()) model.W_v[0, 0, 0] = float.NaN;
            ModelCheckpoint.SaveWeights(Path.Combine(dir, "model.safetensors"), model);
        }
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(dir));
        Assert.Contains("model.safetensors: tensor 'W_v' holds NaN or infinite values", e.Message);
    }
}
