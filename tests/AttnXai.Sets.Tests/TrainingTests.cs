using System.Diagnostics;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Sets.Benchmark;
using AttnXai.Sets.Scoring;
using AttnXai.Sets.Tasks;
using AttnXai.Sets.Training;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Sets.Tests;

public class TrainingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-sets-tests-" + Guid.NewGuid().ToString("N"));

    public TrainingTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Fact]
    public void SmallModelLearnsSingleAndItsAttentionFindsTheKey()
    {
        var clock = Stopwatch.StartNew();
        var options = new BagOptions();
        var vocabulary = SetVocabulary.Create(options.Fillers);
        var model = new SetModelOptions { Epochs = 5 };
        var config = model.Config(vocabulary, options.Length);
        Assert.False(config.PositionEncoding); // sets: no positions
        var train = SetTraining.Encode(BagGenerator.Generate(SetTask.Single, options, 1000, 1), options.Length, config.PaddingMask);
        var val = SetTraining.Encode(BagGenerator.Generate(SetTask.Single, options, 200, 2), options.Length, config.PaddingMask);
        var testBags = BagGenerator.Generate(SetTask.Single, options, 200, 3);
        var test = SetTraining.Encode(testBags, options.Length, config.PaddingMask);
        var outcome = SetTraining.Train(config, model.Training(7), train, val, test);
        using var trained = outcome.Model;
        Assert.True(outcome.Test!.Accuracy >= 0.95, $"test accuracy {outcome.Test.Accuracy}");

        // Attention ranks the key word above the fillers.
        var bags = testBags.Take(60).ToList();
        var docs = bags.Select(b => ExplainDocument.FromTokens(null!, b.TokenIds.Select(id => vocabulary[(int)id]).ToArray(), w => vocabulary.GetId(w), config)).ToList();
        var alpha = ExplainerRegistry.Create(["alpha-avg"]).Single().Explain(new ExplainTarget(trained, vocabulary), docs);
        var q = ExplanationQuality.Score(bags, alpha.Select(x => x.TokenScores).ToList());
        Assert.True(q.BagsScored > 20);
        Assert.True(q.Auroc > 0.9, $"alpha-avg AUROC {q.Auroc}");
        Assert.True(clock.Elapsed.TotalSeconds < 25, $"took {clock.Elapsed.TotalSeconds:F1} s");

        // The trained set model ignores the order of a bag's tokens.
        var shuffled = bags.Select(b => b with { TokenIds = b.TokenIds.Reverse().ToArray() }).ToList();
        var a = Evaluation.Logits(trained, SetTraining.Encode(bags, options.Length, config.PaddingMask));
        var r = Evaluation.Logits(trained, SetTraining.Encode(shuffled, options.Length, config.PaddingMask));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], r[i], 4);
    }

    private static SetBenchmarkSettings Tiny => new()
    {
        Tasks = [SetTask.Single, SetTask.Negative],
        Seeds = 2,
        TrainBags = 300,
        ValidationBags = 60,
        TestBags = 60,
        Bags = 20,
        Methods = ["alpha-avg,GxI,lime-unk,random"],
        Explainers = new() { LimeSamples = 200, LimeRuns = 1 },
        Model = new SetModelOptions { Epochs = 2 },
    };

    [Fact]
    public void BenchmarkWritesTidyFilesAndIsDeterministic()
    {
        var r1 = SetBenchmark.Run(Tiny);
        var r2 = SetBenchmark.Run(Tiny);
        var d1 = Path.Combine(_root, "a");
        SetOutputs.Write(d1, r1);
        foreach (var f in SetOutputs.Files) Assert.True(File.Exists(Path.Combine(d1, f)), f);
        Assert.Empty(Directory.GetFiles(d1, "*.tmp*")); // atomic writes leave no temporary file
        // Same seed, same numbers.
        Assert.Equal(SetOutputs.Results(r1).ToString(), SetOutputs.Results(r2).ToString());
        Assert.Equal(SetOutputs.Ensembles(r1).ToString(), SetOutputs.Ensembles(r2).ToString());

        var (header, rows) = Csv.Parse(File.ReadAllText(Path.Combine(d1, "results.csv")));
        Assert.Equal("task", header[0]);
        // 2 tasks x (2 models + ensemble) x (alpha-avg, GxI, |GxI|, lime-unk, |lime-unk|, random, |random|): the
        // random baseline is signed (the catalogue's N(0, 1)), so it is read both ways like the other signed methods.
        Assert.Equal(2 * 3 * 7, rows.Count);
        Assert.Equal(2 * 7, rows.Count(x => x[1] == "ensemble"));
        // Per-kind accuracy: each model's kinds cover every test bag.
        Assert.All(r1.Kinds.GroupBy(k => (k.Task, k.Model)), g => Assert.Equal(Tiny.TestBags, g.Sum(k => k.Bags)));
        Assert.Contains(r1.Kinds, k => k.Task == "negative" && k.Kind == "A+N" && k.Label == 0);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(d1, "summary.json")))!;
        Assert.Equal(2, summary["settings"]!["seeds"]!.GetValue<int>());
        Assert.False(summary["settings"]!["model"]!["position_encoding"]!.GetValue<bool>());
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(d1, "report.html")));

        // Another seed gives other bags.
        var r3 = SetBenchmark.Run(Tiny with { Seed = 2, Tasks = [SetTask.Single], Seeds = 1 });
        Assert.NotEqual(r1.ExplainedBags["single"][0].TokenIds, r3.ExplainedBags["single"][0].TokenIds);
    }
}
