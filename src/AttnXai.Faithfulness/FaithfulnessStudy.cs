using System.Diagnostics;
using System.Text.Json.Nodes;
using AttnXai.Common.Random;
using AttnXai.Data.Imdb;
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
    /// <summary>IMDB folder or archive (null: the usual search, see ImdbDataLoader.Locate).</summary>
    public string? DataPath { get; init; }
    /// <summary>test, val or train (val and train: the model's own split of the train reviews).</summary>
    public string Split { get; init; } = "test";
    /// <summary>Reviews tested: a seeded sample of the split (all of it when larger).</summary>
    public int Docs { get; init; } = 1000;
    /// <summary>Explainer names (ExplainerRegistry's, plus "random"), or "all".</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["all"];
    public IReadOnlyList<FeatureRemoval> Removals { get; init; } = FeatureRemovals.All;
    /// <summary>Seed of the document sample, LIME, SHAP and the random baseline.</summary>
    public ulong Seed { get; init; }
    public int LimeRuns { get; init; } = 5;
    public int LimeSamples { get; init; } = 5000;
    public Device? Device { get; init; }
}

/// <summary>
/// The whole test as the CLI and experiments/faithfulness.cs run it: load the model and a seeded sample of IMDB
/// reviews, run the explainers (and the random baseline), remove each top word three ways, write the outputs.
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

    /// <summary>A seeded sample of <paramref name="count"/> reviews (all when count &gt;= the split's size), in the split's order.</summary>
    public static IReadOnlyList<ImdbReview> Sample(IReadOnlyList<ImdbReview> reviews, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        if (count < 1) throw new ArgumentException($"the number of documents must be positive, got {count}");
        if (reviews.Count == 0) throw new ArgumentException("the split holds no review");
        if (count >= reviews.Count) return reviews;
        var perm = new SplitMix64(SplitMix64.Derive(seed, 11UL)).Permutation(reviews.Count);
        return perm.Take(count).Order().Select(i => reviews[i]).ToArray();
    }

    /// <summary>Runs the study and writes its outputs; returns the result and the written paths.</summary>
    public static (ViolationTestResult Result, IReadOnlyList<string> Files) Run(FaithfulnessSettings s, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        var total = Stopwatch.StartNew();
        if (s.Removals.Count == 0) throw new ArgumentException("no removal chosen (use delete, zero, attention)");
        if (s.Docs < 1) throw new ArgumentException($"the number of documents must be positive, got {s.Docs}");
        if (s.Split.Trim().ToLowerInvariant() is not ("test" or "val" or "train")) throw new ArgumentException($"unknown split '{s.Split}' (use test, val or train)");
        var explainers = Explainers(s.Methods, s.Seed, s.LimeRuns, s.LimeSamples);
        if (!Directory.Exists(s.ModelDirectory)) throw new DirectoryNotFoundException($"model folder not found: {s.ModelDirectory}");
        using var loaded = ModelCheckpoint.Load(s.ModelDirectory, s.Device);
        var source = ImdbDataLoader.Locate(s.DataPath);
        progress?.Invoke($"reading IMDB from {source}");
        var data = ImdbDataLoader.Read(source);
        var reviews = SplitOf(data, s.Split, loaded.Json);
        var sample = Sample(reviews, s.Docs, s.Seed);
        var target = new ExplainTarget(loaded.Model, loaded.Vocabulary);
        var docs = new List<TestDocument>();
        foreach (var r in sample)
        {
            ExplainDocument d;
            try { d = target.Prepare(r.Text, r.RelativePath); }
            catch (ArgumentException e) { throw new ArgumentException($"review {r.RelativePath} in {source}: {e.Message}", e); }
            docs.Add(new TestDocument(d, r.Label));
        }
        progress?.Invoke($"{docs.Count} {s.Split} reviews, {explainers.Count} methods ({string.Join(", ", explainers.Select(e => e.Name))}), removals {string.Join(", ", s.Removals.Select(FeatureRemovals.Name))}");
        var result = ViolationTest.Run(target, docs, explainers, s.Removals, progress);
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
            ["threads"] = torch.get_num_threads(),
            ["device"] = loaded.Model.Device.ToString(),
        };
        var files = FaithfulnessWriters.WriteAll(s.OutputDirectory, result, settings, total.Elapsed.TotalSeconds);
        return (result, files);
    }

    private static IReadOnlyList<ImdbReview> SplitOf(ImdbDataset data, string split, JsonObject modelJson)
    {
        var d = modelJson["training"]?["data"] as JsonObject;
        int validation = d?["validation_count"]?.GetValue<int>() ?? DataSplits.PaperValidationCount;
        ulong seed = d?["split_seed"]?.GetValue<ulong>() ?? DataSplits.PaperSeed;
        return split.Trim().ToLowerInvariant() switch
        {
            "test" => data.Test,
            "val" => data.SplitTrain(validation, seed).Validation,
            "train" => data.SplitTrain(validation, seed).Train,
            _ => throw new ArgumentException($"unknown split '{split}' (use test, val or train)"),
        };
    }
}
