using System.Text.Json.Nodes;
using AttnXai.Data.Imdb;
using AttnXai.Data.Sources;
using AttnXai.Data.Text;
using AttnXai.Model;

namespace AttnXai.Reproduce;

/// <summary>A trained model with its vocabulary and (when known) its test accuracy. Disposing it releases the
/// model's native memory (a bundle made with <c>new</c> around a model owned elsewhere need not be disposed).</summary>
public sealed record ModelBundle(AttentionClassifier Model, Vocabulary Vocabulary, double? TestAccuracy = null, string? Source = null) : IDisposable
{
    public void Dispose() => Model.Dispose();

    /// <summary>Loads a checkpoint folder (<see cref="ModelCheckpoint.Load"/>) and the test accuracy of its metrics.json.</summary>
    public static ModelBundle Load(string dir)
    {
        var loaded = ModelCheckpoint.Load(dir);
        try
        {
            var metrics = Path.Combine(loaded.Directory, ModelCheckpoint.MetricsFile);
            double? accuracy = File.Exists(metrics) && JsonNode.Parse(File.ReadAllText(metrics))?["test_accuracy"] is JsonValue v
                && v.TryGetValue(out double a) ? a : null;
            return new ModelBundle(loaded.Paper, loaded.Vocabulary, accuracy, loaded.Directory);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains with AttnXai.Model's <see cref="Trainer"/> into <paramref name="dir"/> (a checkpoint folder, resumable
    /// after an interruption), on the given reviews prepared as `attnxai train` prepares IMDB.
    /// </summary>
    public static void Train(string dir, IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, TrainingRecipe recipe, Action<string>? log = null)
    {
        var data = DataPreparation.Prepare(DataSource.FromImdb(new ImdbDataset("reproduce", train, test)), recipe.Data);
        var trainer = new Trainer(recipe.Config(data.Vocabulary.Count), recipe.Training, data.Train, data.Validation, data.Test, dir)
        {
            Vocabulary = data.Vocabulary, Tokenizer = data.Tokenizer.Name, DataSettings = data.Settings, Labels = data.Labels, Observer = new LogObserver(log),
        };
        var outcome = trainer.Run();
        log?.Invoke($"test accuracy {outcome.Test?.Accuracy:P2} on {outcome.Test?.Count} reviews");
        outcome.Model.Dispose();
    }

    private sealed class LogObserver(Action<string>? log) : ITrainingObserver
    {
        public void EpochCompleted(EpochMetrics m, bool best) =>
            log?.Invoke($"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, validation accuracy {m.ValidationAccuracy:P2}{(best ? " (best)" : "")}");
        public void Message(string text) => log?.Invoke(text);
    }
}
