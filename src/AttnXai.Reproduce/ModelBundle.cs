using System.Text.Json;
using AttnXai.Common.IO;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Torch;

namespace AttnXai.Reproduce;

/// <summary>A trained model with its vocabulary and (when known) its test accuracy.</summary>
public sealed record ModelBundle(AttentionClassifier Model, Vocabulary Vocabulary, double? TestAccuracy = null, string? Source = null);

/// <summary>
/// Saves and loads a model folder: <c>model.safetensors</c> (the state dictionary), <c>vocab.txt</c> and
/// <c>config.json</c> (the <see cref="ModelConfig"/>, plus an optional "test_accuracy").
/// Written in the layout of AttnXai.Model's checkpoint folders (config.json with the sizes under "model"); reads those
/// folders too. STUB until AttnXai.Model's <c>ModelCheckpoint</c> is committed: <see cref="Load"/> is the place to switch over.
/// </summary>
public static class ModelFolder
{
    public const string WeightsFile = "model.safetensors";
    public const string VocabularyFile = "vocab.txt";
    public const string ConfigFile = "config.json";
    public const string MetricsFile = "metrics.json";

    /// <summary>The test accuracy recorded in metrics.json: a number under a key naming test and accuracy, at any depth.</summary>
    public static double? TestAccuracyFromMetrics(string dir)
    {
        var path = Path.Combine(dir, MetricsFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var m = JsonDocument.Parse(File.ReadAllText(path));
            return Find(m.RootElement, false);
        }
        catch (JsonException) { return null; }

        static double? Find(JsonElement e, bool underTest)
        {
            if (e.ValueKind != JsonValueKind.Object) return null;
            foreach (var p in e.EnumerateObject())
            {
                string k = p.Name.ToLowerInvariant();
                bool test = underTest || k.Contains("test");
                if (p.Value.ValueKind == JsonValueKind.Number && test && k.Contains("acc")) return p.Value.GetDouble();
                if (Find(p.Value, test) is double d) return d;
            }
            return null;
        }
    }

    public static bool Exists(string dir) =>
        File.Exists(Path.Combine(dir, WeightsFile)) && File.Exists(Path.Combine(dir, VocabularyFile)) && File.Exists(Path.Combine(dir, ConfigFile));

    public static void Save(string dir, ModelBundle bundle)
    {
        Directory.CreateDirectory(dir);
        bundle.Vocabulary.Save(Path.Combine(dir, VocabularyFile));
        var tmp = Path.Combine(dir, $".{WeightsFile}.{Environment.ProcessId}.tmp");
        Safetensors.Save(tmp, bundle.Model.state_dict());
        File.Move(tmp, Path.Combine(dir, WeightsFile), true);
        var c = bundle.Model.Config;
        var model = new Dictionary<string, object?>
        {
            ["vocab_size"] = c.VocabSize, ["embed_dim"] = c.EmbedDim, ["att_dim"] = c.AttDim, ["out_dim"] = c.OutDim,
            ["heads"] = c.Heads, ["length"] = c.Length, ["classes"] = c.Classes, ["padding_mask"] = c.PaddingMask,
            ["cls_id"] = c.ClsId, ["unk_id"] = c.UnkId, ["init_range"] = c.InitRange,
        };
        var json = new Dictionary<string, object?>
        {
            ["format"] = "attnxai.attention-classifier", ["format_version"] = 1, ["model"] = model,
            ["dtype"] = bundle.Model.DType == ScalarType.Float64 ? "float64" : "float32", ["tokenizer"] = "basic_english",
            ["vocabulary_file"] = VocabularyFile, ["weights_file"] = WeightsFile,
        };
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(dir, MetricsFile), JsonSerializer.Serialize(new Dictionary<string, object?> { ["test_accuracy"] = bundle.TestAccuracy }, indented));
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), JsonSerializer.Serialize(json, indented));
    }

    public static ModelBundle Load(string dir)
    {
        if (!Exists(dir))
            throw new FileNotFoundException($"{dir} is not a model folder (expected {WeightsFile}, {VocabularyFile} and {ConfigFile})");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ConfigFile)));
        var root = doc.RootElement;
        // AttnXai.Model's checkpoint format nests the sizes under "model"; the older flat form is accepted too.
        var r = root.TryGetProperty("model", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        int I(string n, int dflt) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : dflt;
        var config = new ModelConfig(
            I("vocab_size", 0), I("embed_dim", 128), I("att_dim", 64), I("out_dim", 64), I("heads", 6), I("length", 256), I("classes", 2),
            r.TryGetProperty("padding_mask", out var pm) && pm.ValueKind == JsonValueKind.True,
            I("cls_id", 0), I("unk_id", 1),
            r.TryGetProperty("init_range", out var ir) && ir.ValueKind == JsonValueKind.Number ? ir.GetDouble() : 0.1);
        double? acc = r.TryGetProperty("test_accuracy", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : TestAccuracyFromMetrics(dir);
        var model = new AttentionClassifier(config, 0);
        using (var scope = torch.NewDisposeScope())
        {
            var state = Safetensors.Load(Path.Combine(dir, WeightsFile));
            var own = model.state_dict();
            var converted = state.ToDictionary(kv => kv.Key, kv => own.TryGetValue(kv.Key, out var o) && o.dtype != kv.Value.dtype ? kv.Value.to(o.dtype) : kv.Value);
            model.load_state_dict(converted);
        }
        model.eval();
        return new ModelBundle(model, Vocabulary.Load(Path.Combine(dir, VocabularyFile)), acc, Path.GetFullPath(dir));
    }
}
