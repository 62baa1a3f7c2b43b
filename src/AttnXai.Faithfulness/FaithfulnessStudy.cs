using System.Diagnostics;
using System.Text.Json.Nodes;
using AttnXai.Common.Random;
using AttnXai.Data.Labelled;
using AttnXai.Explain;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Faithfulness;

/// <summary>Settings of <see cref="FaithfulnessStudy.Run"/> (the options of `attnxai faithfulness`).</summary>
public sealed record FaithfulnessSettings
{
    public required string ModelDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    /// <summary>The data: IMDB, a labelled file or a folder of part files (null: the data the model was trained on,
    /// see <see cref="ModelData.Read"/>).</summary>
    public string? DataPath { get; init; }
    /// <summary>How labelled files are read (columns, format, quoting; labels: the model's unless given).</summary>
    public LabelledTextOptions FileOptions { get; init; } = new();
    /// <summary>test, val or train, split as the model's training split its data.</summary>
    public string Split { get; init; } = "test";
    /// <summary>Documents tested: a seeded sample of the split (all of it when larger).</summary>
    public int Docs { get; init; } = 1000;
    /// <summary>Explainer names (ExplainerRegistry's, plus "random"), or "all".</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["all"];
    public IReadOnlyList<FeatureRemoval> Removals { get; init; } = FeatureRemovals.All;
    /// <summary>Seed of the document sample, LIME, SHAP and the random baseline.</summary>
    public ulong Seed { get; init; }
    public int LimeRuns { get; init; } = 5;
    public int LimeSamples { get; init; } = 5000;
    /// <summary>How the erasure curves take tokens out (delete, the default, or UNK in place).</summary>
    public RemovalMode ErasureRemoval { get; init; } = RemovalMode.Delete;
    public Device? Device { get; init; }
}

/// <summary>
/// The whole test as the CLI and experiments/faithfulness.cs run it: load the model and a seeded sample of IMDB
/// reviews, run the explainers (and the random baseline), remove each top word three ways, compute the erasure curves
/// (comprehensiveness and sufficiency at ERASER's fractions, <see cref="Erasure"/>), write the outputs.
/// </summary>
public static class FaithfulnessStudy
{
    /// <summary>The accepted method names: the catalogue's, removal variants spelled out, the random baseline included.</summary>
    public static IReadOnlyList<string> KnownMethods => ExplainerRegistry.MethodNames();

    /// <summary>The explainers for the names, in the order given, duplicates dropped ("all": every method, the perturbation
    /// methods in both removal modes, then the random baseline).</summary>
    public static IReadOnlyList<IExplainer> Explainers(IReadOnlyList<string> names, ulong seed, int limeRuns = 5, int limeSamples = 5000)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (limeRuns < 1) throw new ArgumentException($"the number of LIME runs must be at least 1, got {limeRuns}");
        if (limeSamples < 2) throw new ArgumentException($"the number of LIME samples must be at least 2, got {limeSamples}");
        var settings = new ExplainerSettings
        {
            Aggregation = WordAggregation.Last,
            Removals = RemovalNames.All,
            LimeRuns = limeRuns,
            LimeSamples = limeSamples,
            Seed = seed,
        };
        return ExplainerRegistry.Create(names, settings, allIncludesBaselines: true);
    }

    /// <summary>A seeded sample of <paramref name="count"/> documents (all when count &gt;= the split's size), in the split's order.</summary>
    public static IReadOnlyList<T> Sample<T>(IReadOnlyList<T> reviews, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        if (count < 1) throw new ArgumentException($"the number of documents must be positive, got {count}");
        if (reviews.Count == 0) throw new ArgumentException("the split holds no review");
        if (count >= reviews.Count) return reviews;
        var perm = new SplitMix64(SplitMix64.Derive(seed, 11UL)).Permutation(reviews.Count);
        return perm.Take(count).Order().Select(i => reviews[i]).ToArray();
    }

    /// <summary>Runs the study and writes its outputs; returns the result and the written paths.</summary>
    public static (ViolationTestResult Result, IReadOnlyList<ErasureCurve> Erasure, IReadOnlyList<string> Files) Run(FaithfulnessSettings s, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        var total = Stopwatch.StartNew();
        if (s.Removals.Count == 0) throw new ArgumentException("no removal chosen (use delete, zero, attention)");
        if (s.Docs < 1) throw new ArgumentException($"the number of documents must be positive, got {s.Docs}");
        if (s.Split.Trim().ToLowerInvariant() is not ("test" or "val" or "train")) throw new ArgumentException($"unknown split '{s.Split}' (use test, val or train)");
        var explainers = Explainers(s.Methods, s.Seed, s.LimeRuns, s.LimeSamples);
        if (!Directory.Exists(s.ModelDirectory)) throw new DirectoryNotFoundException($"model folder not found: {s.ModelDirectory}");
        using var loaded = ModelCheckpoint.Load(s.ModelDirectory, s.Device);
        if (loaded.Model.Classes != 2)
            throw new ArgumentException($"the faithfulness test needs a two-class model; {loaded.Directory} has {loaded.Model.Classes} classes ({loaded.Labels.Describe()})");
        var (parts, documents) = ModelData.ReadPart(loaded, s.DataPath, s.FileOptions, s.Split, progress);
        var source = parts.Path;
        var sample = Sample(documents, s.Docs, s.Seed);
        var target = new ExplainTarget(loaded.Model, loaded.Vocabulary);
        var docs = new List<TestDocument>();
        foreach (var r in sample)
        {
            ExplainDocument d;
            try { d = target.Prepare(r.Text, r.Origin); }
            catch (ArgumentException e) { throw new ArgumentException($"document {r.Origin} of {parts.Description}: {e.Message}", e); }
            docs.Add(new TestDocument(d, r.Label));
        }
        progress?.Invoke($"{docs.Count} {s.Split} documents, {explainers.Count} methods ({string.Join(", ", explainers.Select(e => e.Name))}), removals {string.Join(", ", s.Removals.Select(FeatureRemovals.Name))}");
        var scores = ViolationTest.Explain(target, docs, explainers, progress);
        var result = ViolationTest.Score(target, docs, scores, s.Removals, progress);
        var erasureSettings = new ErasureSettings(ErasureSettings.EraserFractions, s.ErasureRemoval);
        var clock = Stopwatch.StartNew();
        var erasure = Erasure.FromScores(target.Model, docs, scores.Tokens, erasureSettings);
        result = result with { Seconds = new Dictionary<string, double>(result.Seconds) { ["erasure"] = clock.Elapsed.TotalSeconds } };
        progress?.Invoke($"erasure curves: {erasure.Count} document-method pairs ({clock.Elapsed.TotalSeconds:F1} s)");
        var settings = new JsonObject
        {
            ["model"] = Path.GetFullPath(s.ModelDirectory),
            ["data"] = source,
            ["split"] = s.Split,
            ["documents"] = docs.Count,
            ["documents_requested"] = s.Docs,
            ["sample"] = "the first N of a SplitMix64 permutation of the split (seed derived from --seed), in the split's order",
            ["methods"] = new JsonArray(explainers.Select(e => (JsonNode)e.Name).ToArray()),
            ["removals"] = new JsonArray(s.Removals.Select(r => (JsonNode)FeatureRemovals.Name(r)).ToArray()),
            ["seed"] = s.Seed,
            ["lime_runs"] = s.LimeRuns,
            ["lime_samples"] = s.LimeSamples,
            ["erasure_fractions"] = new JsonArray(erasureSettings.Fractions.Select(q => (JsonNode)q).ToArray()),
            ["erasure_removal"] = s.ErasureRemoval.Name(),
            ["threads"] = torch.get_num_threads(),
            ["device"] = loaded.Model.Device.ToString(),
        };
        var files = FaithfulnessWriters.WriteAll(s.OutputDirectory, result, erasure, settings, total.Elapsed.TotalSeconds);
        return (result, erasure, files);
    }
}
