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
/// STUB: this is the Reproduce project's own minimal format, used until AttnXai.Model's <c>ModelCheckpoint</c> lands;
/// <see cref="Load"/> is the single place to switch over.
/// </summary>
public static class ModelFolder
{
    public const string WeightsFile = "model.safetensors";
    public const string VocabularyFile = "vocab.txt";
    public const string ConfigFile = "config.json";

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
        var json = new Dictionary<string, object?>
        {
            ["vocab_size"] = c.VocabSize, ["embed_dim"] = c.EmbedDim, ["att_dim"] = c.AttDim, ["out_dim"] = c.OutDim,
            ["heads"] = c.Heads, ["length"] = c.Length, ["classes"] = c.Classes, ["padding_mask"] = c.PaddingMask,
            ["cls_id"] = c.ClsId, ["unk_id"] = c.UnkId, ["init_range"] = c.InitRange, ["test_accuracy"] = bundle.TestAccuracy,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static ModelBundle Load(string dir)
    {
        if (!Exists(dir))
            throw new FileNotFoundException($"{dir} is not a model folder (expected {WeightsFile}, {VocabularyFile} and {ConfigFile})");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ConfigFile)));
        var r = doc.RootElement;
        int I(string n, int dflt) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : dflt;
        var config = new ModelConfig(
            I("vocab_size", 0), I("embed_dim", 128), I("att_dim", 64), I("out_dim", 64), I("heads", 6), I("length", 256), I("classes", 2),
            r.TryGetProperty("padding_mask", out var pm) && pm.ValueKind == JsonValueKind.True,
            I("cls_id", 0), I("unk_id", 1),
            r.TryGetProperty("init_range", out var ir) && ir.ValueKind == JsonValueKind.Number ? ir.GetDouble() : 0.1);
        double? acc = r.TryGetProperty("test_accuracy", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : null;
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
