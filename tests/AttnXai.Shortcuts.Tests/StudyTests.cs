using System.Text.Json.Nodes;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Study;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Shortcuts.Tests;

/// <summary>The whole study on a tiny IMDB-like folder: outputs, reuse of the models, same seed same results.</summary>
public sealed class StudyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-shortcuts-study-" + Guid.NewGuid().ToString("N"));

    public StudyTests()
    {
        var rng = new Random(5);
        string[] pos = ["great", "good", "fine", "superb"], neg = ["bad", "awful", "boring", "poor"], filler = ["the", "movie", "was", "a", "plot", "and"];
        foreach (var (split, count) in new[] { ("train", 40), ("test", 16) })
            for (int i = 0; i < count; i++)
            {
                int label = i % 2;
                var words = Enumerable.Range(0, rng.Next(4, 40)).Select(_ => rng.Next(3) == 0 ? (label == 1 ? pos : neg)[rng.Next(4)] : filler[rng.Next(filler.Length)]);
                var dir = Path.Combine(_root, "aclImdb", split, label == 1 ? "pos" : "neg");
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, $"{i}_{(label == 1 ? 8 : 2)}.txt"), string.Join(' ', words));
            }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ShortcutSettings Settings(string outName) => new()
    {
        DataPath = Path.Combine(_root, "aclImdb"),
        OutDir = Path.Combine(_root, outName),
        Insertion = new InsertionSpec { Count = 2 },
        Recipe = new TrainingRecipe
        {
            EmbedDim = 8, AttDim = 4, OutDim = 4, Heads = 2,
            Data = new DataOptions { Length = 24, ValidationCount = 8 },
            Training = new TrainingOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-2, Seed = 9 },
        },
        RecipeName = "tiny",
        Docs = 4,
        Methods = ["alpha-avg", "occlusion-delete", "random"],
        Explainers = new() { LimeSamples = 50, LimeRuns = 1 },
    };

    [Fact]
    public void Writes_everything_reuses_its_models_and_repeats_itself()
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            var first = ShortcutStudy.Run(Settings("a"));
            var dir = Path.Combine(_root, "a");
            foreach (var f in new[] { ShortcutStudy.AccuracyCsv, ShortcutStudy.MassCsv, ShortcutStudy.SeparationCsv, ShortcutStudy.ExplainersCsv,
                         ShortcutStudy.SummaryJson, ShortcutStudy.ReportHtml, ShortcutStudy.MassSvg, ShortcutStudy.AurocSvg, "shortcut-model/config.json", "control-model/config.json" })
                Assert.True(File.Exists(Path.Combine(dir, f)), $"missing {f}");
            Assert.All(first.Models, m => Assert.False(m.Reused));
            Assert.Equal(8, first.Accuracy.Count); // 2 models x 4 conditions
            Assert.Equal(6, first.Explainers.Count);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ShortcutStudy.SummaryJson)))!;
            Assert.Equal("start", summary["settings"]!["insertion"]!["position"]!.GetValue<string>());
            Assert.Equal(9, summary["settings"]!["seed"]!.GetValue<long>());
            Assert.Equal(8, summary["data"]!["validation"]!.GetValue<int>());

            string accuracy = File.ReadAllText(Path.Combine(dir, ShortcutStudy.AccuracyCsv));
            string mass = File.ReadAllText(Path.Combine(dir, ShortcutStudy.MassCsv));
            var second = ShortcutStudy.Run(Settings("a"));
            Assert.All(second.Models, m => Assert.True(m.Reused));
            Assert.Equal(accuracy, File.ReadAllText(Path.Combine(dir, ShortcutStudy.AccuracyCsv)));
            Assert.Equal(mass, File.ReadAllText(Path.Combine(dir, ShortcutStudy.MassCsv)));

            // Same seed in a fresh folder: trained again, same numbers.
            var third = ShortcutStudy.Run(Settings("b"));
            Assert.All(third.Models, m => Assert.False(m.Reused));
            Assert.Equal(accuracy, File.ReadAllText(Path.Combine(_root, "b", ShortcutStudy.AccuracyCsv)));
            Assert.Equal(mass, File.ReadAllText(Path.Combine(_root, "b", ShortcutStudy.MassCsv)));
            Assert.Equal(first.Explainers.Select(e => (e.Method, e.Top1, e.Top5, e.AbsShare)), third.Explainers.Select(e => (e.Method, e.Top1, e.Top5, e.AbsShare)));

            // Other settings in a folder with models: refused, naming the folder and the difference.
            var e = Assert.Throws<ArgumentException>(() => ShortcutStudy.Run(Settings("a") with { Recipe = Settings("a").Recipe with { Training = Settings("a").Recipe.Training with { Seed = 10 } } }));
            Assert.Contains("shortcut-model holds a shortcut model trained with other settings (seed: 9 there, 10 now)", e.Message);
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
