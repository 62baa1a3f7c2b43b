using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Text;
using AttnXai.Model;

namespace AttnXai.Shortcuts.Training;

/// <summary>A trained (or reused) model of the probe.</summary>
public sealed record TrainedModel(string Role, string Folder, AttentionClassifier Model, bool Reused, double TrainingSeconds, int BestEpoch, double ValidationAccuracy);

/// <summary>
/// Trains the probe's two models into checkpoint folders and reuses them when present. Both use the same
/// extended vocabulary, sizes, recipe and seed, hence the same initial weights: the shortcut model is trained on the
/// documents with the inserted tokens, the control on the documents without them (its embedding rows of the inserted
/// tokens keep their initial values, shrunk by weight decay only).
/// <para>
/// A folder holds <c>shortcuts.json</c> (the role and recipe, written before training starts), the trainer's
/// resumable state in <c>last/</c> while training, and the checkpoint (<c>config.json</c> last). A rerun with the same
/// settings loads a finished checkpoint, resumes an unfinished one, and refuses a folder trained with other settings.
/// </para>
/// </summary>
public static class ShortcutTraining
{
    public const string ShortcutRole = "shortcut";
    public const string ControlRole = "control";
    public const string MarkerFile = "shortcuts.json";

    public static string FolderName(string role) => role + "-model";

    /// <summary>The settings that identify a trained model of the probe (compared on reuse).</summary>
    public static JsonObject RecipeJson(string role, ModelConfig config, TrainingOptions options, JsonObject dataSettings, JsonObject insertion) => new()
    {
        ["role"] = role,
        ["trained_on"] = role == ShortcutRole ? "documents with the inserted tokens" : "documents without the inserted tokens",
        ["model"] = ModelCheckpoint.ConfigToJson(config),
        ["epochs"] = options.Epochs,
        ["batch_size"] = options.BatchSize,
        ["learning_rate"] = options.LearningRate,
        ["weight_decay"] = options.WeightDecay,
        ["seed"] = options.Seed,
        ["data"] = dataSettings.DeepClone(),
        ["insertion"] = insertion.DeepClone(),
    };

    public static TrainedModel TrainOrLoad(string folder, JsonObject recipe, ModelConfig config, TrainingOptions options,
        EncodedDataset train, EncodedDataset validation, Vocabulary vocabulary, string tokenizer, ITrainingObserver? observer = null,
        AttnXai.Data.Labelled.LabelMap? labels = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        string role = recipe["role"]?.GetValue<string>() ?? throw new ArgumentException("the recipe has no role");
        var dir = Path.GetFullPath(folder);
        var marker = Path.Combine(dir, MarkerFile);
        if (File.Exists(marker))
        {
            JsonNode? saved;
            try { saved = JsonNode.Parse(File.ReadAllText(marker)); }
            catch (JsonException e) { throw new InvalidDataException($"{marker}: not valid JSON ({JsonErrors.Describe(e)}); delete the folder {dir} to retrain", e); }
            if (!JsonNode.DeepEquals(saved, recipe))
                throw new ArgumentException($"{dir} holds a {role} model trained with other settings ({Difference(saved as JsonObject, recipe)}); use another --out folder or delete {dir}");
        }
        else if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} exists and is not a model folder of this probe (no {MarkerFile}); use another --out folder or delete it");

        if (File.Exists(Path.Combine(dir, ModelCheckpoint.ConfigFile)))
        {
            var loaded = ModelCheckpoint.Load(dir);
            if (loaded.Vocabulary.Count != vocabulary.Count || !loaded.Vocabulary.Tokens.SequenceEqual(vocabulary.Tokens))
            {
                loaded.Dispose();
                throw new InvalidDataException($"{dir}: the saved vocabulary differs from the data's extended vocabulary; delete {dir} to retrain");
            }
            var metrics = ReadMetrics(dir);
            observer?.Message($"{role} model: reusing the checkpoint in {dir}");
            return new TrainedModel(role, dir, loaded.Paper, true, metrics.Seconds, metrics.BestEpoch, metrics.ValidationAccuracy);
        }

        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(marker, recipe.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        observer?.Message($"{role} model: training into {dir}");
        var trainer = new Trainer(config, options, train, validation, null, dir)
        {
            Vocabulary = vocabulary,
            Tokenizer = tokenizer,
            DataSettings = (recipe["data"] as JsonObject)?.DeepClone() as JsonObject,
            Labels = labels,
            Observer = observer,
        };
        var outcome = trainer.Run();
        return new TrainedModel(role, dir, outcome.Paper, false, outcome.Seconds, outcome.BestEpoch, outcome.Validation.Accuracy);
    }

    private static (double Seconds, int BestEpoch, double ValidationAccuracy) ReadMetrics(string dir)
    {
        var path = Path.Combine(dir, ModelCheckpoint.MetricsFile);
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            return (o?["training_seconds"]?.GetValue<double>() ?? double.NaN, o?["best_epoch"]?.GetValue<int>() ?? 0,
                o?["validation_accuracy"]?.GetValue<double>() ?? double.NaN);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
        {
            return (double.NaN, 0, double.NaN);
        }
    }

    private static string Difference(JsonObject? saved, JsonObject now)
    {
        if (saved is null) return "not a JSON object";
        var keys = saved.Select(kv => kv.Key).Union(now.Select(kv => kv.Key))
            .Where(k => !JsonNode.DeepEquals(saved[k], now[k]))
            .Select(k => $"{k}: {saved[k]?.ToJsonString() ?? "(none)"} there, {now[k]?.ToJsonString() ?? "(none)"} now");
        return string.Join("; ", keys);
    }
}
