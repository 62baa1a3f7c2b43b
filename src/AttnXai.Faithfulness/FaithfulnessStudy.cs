using AttnXai.Common;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Common.Sharding;
using System.Text.Json.Nodes;
using AttnXai.Common.Random;
using AttnXai.Data.Labelled;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

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
    /// <summary>The class whose logit is explained and tested, as a label of the model or a class index (null: the
    /// model's own explained class, the positive one of a binary model).</summary>
    public string? Target { get; init; }
    /// <summary>Documents tested: a seeded sample of the split (all of it when larger).</summary>
    public int Docs { get; init; } = 1000;
    /// <summary>True when <see cref="Docs"/> was asked for (--docs): more than the part holds is then refused, as
    /// explain refuses a --count beyond the part; a default beyond it takes the whole part, with a note.</summary>
    public bool DocsGiven { get; init; }
    /// <summary>Explainer names (ExplainerRegistry's, plus "random"), or "all".</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["all"];
    public IReadOnlyList<FeatureRemoval> Removals { get; init; } = FeatureRemovals.All;
    /// <summary>Seed of the document sample, LIME, SHAP and the random baseline.</summary>
    public ulong Seed { get; init; }
    /// <summary>The explainers' settings (LIME's samples and runs, IG's steps, ...), taken whole; the study sets the
    /// aggregation (last), both removal modes and the seed (<see cref="Seed"/>) itself.</summary>
    public ExplainerSettings Explainers { get; init; } = new();
    /// <summary>How the erasure curves take tokens out (delete, the default, or UNK in place).</summary>
    public RemovalMode ErasureRemoval { get; init; } = RemovalMode.Delete;
    public Device? Device { get; init; }
    /// <summary>Documents computed together: one batch of each explainer, then one batched pass of their removals.</summary>
    public int ChunkSize { get; init; } = 100;
    /// <summary>Compute only this shard of the sample (whole chunks), writing its per-document rows and shard.json
    /// (null: the whole test and every output); see <see cref="FaithfulnessStudy.Merge"/>.</summary>
    public ShardSpec? Shard { get; init; }
}

/// <summary>
/// The whole test as the CLI and experiments/faithfulness.cs run it: load the model and a seeded sample of IMDB
/// reviews, run the explainers (and the random baseline), remove each top word three ways, compute the erasure curves
/// (comprehensiveness and sufficiency at ERASER's fractions, <see cref="Erasure"/>), write the outputs. Everything is
/// computed chunk by chunk (<see cref="FaithfulnessSettings.ChunkSize"/> documents: explainers, removals, erasure
/// curves), so a document's rows depend only on its chunk. Sharded (<see cref="FaithfulnessSettings.Shard"/>), it
/// computes the per-document rows (violation instances and erasure curves) of its slice of the sample only;
/// <see cref="Merge"/> concatenates the shards' rows and draws the summaries from them as an unsharded run does.
/// </summary>
public static class FaithfulnessStudy
{
    /// <summary>The accepted method names: the catalogue's, removal variants spelled out, the random baseline included.</summary>
    public static IReadOnlyList<string> KnownMethods => ExplainerRegistry.MethodNames();

    /// <summary>The explainers for the names, in the order given, duplicates dropped ("all": every method, the perturbation
    /// methods in both removal modes, then the random baseline).</summary>
    public static IReadOnlyList<IExplainer> Explainers(IReadOnlyList<string> names, ulong seed, ExplainerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var used = (settings ?? new ExplainerSettings()).Validate() with
        {
            Aggregation = WordAggregation.Last,
            Removals = RemovalNames.All,
            Seed = seed,
        };
        return ExplainerRegistry.Create(names, used, allIncludesBaselines: true);
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
        var explainers = Explainers(s.Methods, s.Seed, s.Explainers);
        if (!Directory.Exists(s.ModelDirectory)) throw new DirectoryNotFoundException($"model folder not found: {s.ModelDirectory}");
        using var loaded = ModelCheckpoint.Load(s.ModelDirectory, s.Device);
        int? targetClass = s.Target is { } targetText ? TargetClass(targetText, loaded) : null;
        if (loaded.Model.Classes != 2)
            throw new ArgumentException($"the faithfulness test needs a two-class model; {loaded.Directory} has {loaded.Model.Classes} classes ({loaded.Labels.Describe()})");
        var (parts, documents) = ModelData.ReadPart(loaded, s.DataPath, s.FileOptions, s.Split, progress);
        var source = parts.Path;
        if (s.Docs > documents.Count)
        {
            if (s.DocsGiven) throw new ArgumentException($"--docs {s.Docs} is more than the {documents.Count} documents of the {s.Split} part of {parts.Description}");
            progress?.Invoke($"note: the {s.Split} part holds {documents.Count} documents, fewer than the default {s.Docs}: all of them are tested");
        }
        var sample = Sample(documents, s.Docs, s.Seed);
        var shard = s.Shard ?? ShardSpec.Whole;
        if (s.ChunkSize < 1) throw new ArgumentException($"the chunk size must be at least 1, got {s.ChunkSize}");
        shard.CheckFits(sample.Count, s.ChunkSize, $"the {sample.Count} documents of the sample");
        var slice = shard.Slice(sample.Count, s.ChunkSize);
        // A method zero by construction for this model computes rounding noise: left out, with the reason.
        var zero = explainers.Select(e => (e.Name, Reason: e.Info.ZeroReason(loaded.Model))).Where(z => z.Reason is not null).Select(z => (z.Name, Reason: z.Reason!)).ToList();
        if (zero.Count > 0)
        {
            explainers = [.. explainers.Where(e => !zero.Any(z => z.Name == e.Name))];
            foreach (var (name, reason) in zero) progress?.Invoke($"{name} left out: zero by construction on this model ({reason})");
            if (explainers.Count == 0)
                throw new ArgumentException($"every method chosen is zero by construction on {loaded.Directory} ({string.Join("; ", zero.Select(z => $"{z.Name}: {z.Reason}"))}); choose others with --methods");
        }
        var target = ExplainTarget.For(loaded);
        if (targetClass is { } tc) target = target.ForClass(tc);
        var docs = new List<TestDocument>();
        foreach (var r in sample.Take(slice).ToArray())
        {
            ExplainDocument d;
            try { d = target.Prepare(r.Text, r.Origin); }
            catch (ArgumentException e) { throw new ArgumentException($"document {r.Origin} of {parts.Description}: {e.Message}", e); }
            docs.Add(new TestDocument(d, r.Label));
        }
        string which = s.Shard is null ? "" : $" (shard {shard}: documents {slice.Start.Value} to {slice.End.Value - 1} of {sample.Count})";
        progress?.Invoke($"{docs.Count} {s.Split} documents{which}, {explainers.Count} methods ({string.Join(", ", explainers.Select(e => e.Name))}), removals {string.Join(", ", s.Removals.Select(FeatureRemovals.Name))}");
        var erasureSettings = new ErasureSettings(ErasureSettings.EraserFractions, s.ErasureRemoval);
        var erasure = new List<ErasureCurve>();
        var erasureClock = new Stopwatch();
        var result = ViolationTest.Run(target, docs, explainers, s.Removals, progress, s.ChunkSize, (chunk, scores) =>
        {
            erasureClock.Start();
            erasure.AddRange(Erasure.FromScores(target.Model, chunk, scores.Tokens, erasureSettings));
            erasureClock.Stop();
            progress?.Invoke($"erasure curves: {erasure.Count} document-method pairs ({erasureClock.Elapsed.TotalSeconds:F1} s)");
        });
        result = result with { Seconds = new Dictionary<string, double>(result.Seconds) { ["erasure"] = erasureClock.Elapsed.TotalSeconds } };
        var settings = Settings(s, source, sample.Count, explainers);
        if (s.Target is not null) settings["target"] = $"{loaded.Labels.ClassNames[target.Model.ExplainedClass]} (class {target.Model.ExplainedClass})";
        if (zero.Count > 0) settings[ZeroKey] = string.Join("\n", zero.Select(z => $"{z.Name}: {z.Reason}"));
        int threads = torch.get_num_threads();
        string device = loaded.Model.Device.ToString();
        if (s.Shard is null)
            return (result, erasure, FaithfulnessWriters.WriteAll(s.OutputDirectory, result, erasure, SettingsJson(settings, loaded.Directory, threads, device), total.Elapsed.TotalSeconds));
        Directory.CreateDirectory(s.OutputDirectory);
        var csv = Path.Combine(s.OutputDirectory, FaithfulnessWriters.DocumentsFile);
        FaithfulnessWriters.DocumentsCsv(result).Write(csv);
        var erasureCsv = Path.Combine(s.OutputDirectory, FaithfulnessWriters.ErasureDocumentsFile);
        FaithfulnessWriters.ErasureDocumentsCsv(erasure).Write(erasureCsv);
        new ShardManifest
        {
            Study = Study, Shard = shard.Index, Shards = shard.Count, Documents = sample.Count, ChunkSize = s.ChunkSize, First = slice.Start.Value, End = slice.End.Value,
            Model = Path.GetFullPath(loaded.Directory), ModelFingerprint = ModelCheckpoint.Fingerprint(loaded.Directory), Settings = settings,
            Files = [FaithfulnessWriters.DocumentsFile, FaithfulnessWriters.ErasureDocumentsFile], Seconds = new(result.Seconds.ToDictionary(), StringComparer.Ordinal),
            Environment = new(StringComparer.Ordinal)
            {
                ["host"] = Environment.MachineName, ["threads"] = threads.ToString(Inv), ["device"] = device,
                ["wall_seconds"] = total.Elapsed.TotalSeconds.ToString("R", Inv),
            },
        }.Write(s.OutputDirectory);
        return (result, erasure, [csv, erasureCsv, Path.Combine(s.OutputDirectory, ShardManifest.FileName)]);
    }

    /// <summary>A class given as a label of the model or an index (one class for every document: "predicted" is
    /// explain's, whose documents each have theirs); <paramref name="study"/> names the caller in the error.</summary>
    public static int TargetClass(string text, LoadedModel loaded, string study = "the faithfulness test")
    {
        if (loaded.Labels.TryParseClass(text, out int c)) return c;
        throw new UserError($"--target '{text}' is neither a label of {loaded.Directory} ({loaded.Labels.Describe()}) nor a class index 0 to {loaded.Model.Classes - 1} ({study} explains one class for every document)");
    }

    /// <summary>The name of the study in shard manifests.</summary>
    public const string Study = "faithfulness";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What the per-document rows depend on (besides the model): recorded by shards and compared by the merge.</summary>
    public static SortedDictionary<string, string> Settings(FaithfulnessSettings s, string data, int documents, IReadOnlyList<IExplainer> explainers) =>
        new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["data"] = data,
            ["split"] = s.Split,
            ["documents"] = documents.ToString(Inv),
            ["documents_requested"] = s.Docs.ToString(Inv),
            ["methods"] = string.Join(",", explainers.Select(e => e.Name)),
            ["removals"] = string.Join(",", s.Removals.Select(FeatureRemovals.Name)),
            ["seed"] = s.Seed.ToString(Inv),
            ["lime_runs"] = s.Explainers.LimeRuns.ToString(Inv),
            ["lime_samples"] = s.Explainers.LimeSamples.ToString(Inv),
            ["chunk_size"] = s.ChunkSize.ToString(Inv),
            ["erasure_fractions"] = string.Join(",", ErasureSettings.EraserFractions.Select(q => q.ToString("R", Inv))),
            ["erasure_removal"] = s.ErasureRemoval.Name(),
        }.WithChanged(s.Explainers);

    /// <summary>The other explainer settings (IG's steps, SHAP's samples, ...) where they differ from the methods'
    /// defaults, under their option's name in snake case ("ig_steps"); LIME's samples and runs are always recorded.</summary>
    private static SortedDictionary<string, string> WithChanged(this SortedDictionary<string, string> d, ExplainerSettings x)
    {
        var defaults = new ExplainerSettings();
        foreach (var setting in ExplainerRegistry.SharedSettings.Where(t => t != LimeExplainer.SamplesSetting && t != LimeExplainer.RunsSetting))
        {
            var value = Convert.ToString(setting.Get!(x), Inv)!;
            if (value != Convert.ToString(setting.Get!(defaults), Inv)) d[setting.Option!.TrimStart('-').Replace('-', '_')] = value;
        }
        return d;
    }

    /// <summary>The settings key of the methods left out as zero by construction ("METHOD: reason" lines).</summary>
    public const string ZeroKey = "zero_by_construction";

    /// <summary>The settings as summary.json and the report show them (an unsharded run's and a merge's alike).</summary>
    public static JsonObject SettingsJson(IReadOnlyDictionary<string, string> d, string model, int threads, string device)
    {
        string Get(string key) => d.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"the shards' settings have no '{key}'");
        T Parse<T>(string key) where T : IParsable<T> =>
            T.TryParse(Get(key), Inv, out var v) ? v : throw new InvalidDataException($"the shards' setting {key} '{Get(key)}' is not a number");
        JsonArray Numbers(string key) => new(Get(key).Split(',').Select(x =>
            (JsonNode)(double.TryParse(x, NumberStyles.Float, Inv, out var v) ? v : throw new InvalidDataException($"the shards' setting {key} '{Get(key)}' is not a list of numbers"))).ToArray());
        var json = new JsonObject
        {
            ["model"] = Path.GetFullPath(model),
            ["data"] = Get("data"),
            ["split"] = Get("split"),
            ["documents"] = Parse<int>("documents"),
            ["documents_requested"] = Parse<int>("documents_requested"),
            ["sample"] = "the first N of a SplitMix64 permutation of the split (seed derived from --seed), in the split's order",
            ["methods"] = new JsonArray(Get("methods").Split(',').Select(m => (JsonNode)m).ToArray()),
            ["removals"] = new JsonArray(Get("removals").Split(',').Select(r => (JsonNode)r).ToArray()),
            ["seed"] = Parse<ulong>("seed"),
            ["lime_runs"] = Parse<int>("lime_runs"),
            ["lime_samples"] = Parse<int>("lime_samples"),
            ["chunk_size"] = Parse<int>("chunk_size"),
            ["erasure_fractions"] = Numbers("erasure_fractions"),
            ["erasure_removal"] = Get("erasure_removal"),
            ["threads"] = threads,
            ["device"] = device,
        };
        if (d.TryGetValue("target", out var target)) json["target"] = target;
        if (d.TryGetValue(ZeroKey, out var zero))
        {
            var o = new JsonObject();
            foreach (var line in zero.Split('\n'))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                o[line[..colon]] = line[(colon + 2)..];
            }
            json[ZeroKey] = o;
        }
        return json;
    }

    /// <summary>
    /// `attnxai merge` of faithfulness shards: their per-document rows concatenated in document order (the unsharded
    /// run's faithfulness_documents.csv and erasure_documents.csv, byte for byte), then the summaries, charts and report
    /// drawn from those rows by the code an unsharded run uses. The times are the shards' summed. Returns the violation
    /// summary, the erasure summary and the written files.
    /// </summary>
    public static (ViolationSummary Summary, IReadOnlyList<ErasureSummaryRow> Erasure, IReadOnlyList<string> Files) Merge(ShardSet set, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(set);
        var run = set.Run;
        if (run.Study != Study) throw new ArgumentException($"the parts are shards of {run.Study}, not of {Study}");
        var csv = Path.Combine(outputDirectory, FaithfulnessWriters.DocumentsFile);
        set.ConcatenateCsv(FaithfulnessWriters.DocumentsFile, csv);
        var erasureCsv = Path.Combine(outputDirectory, FaithfulnessWriters.ErasureDocumentsFile);
        set.ConcatenateCsv(FaithfulnessWriters.ErasureDocumentsFile, erasureCsv);
        var instances = FaithfulnessWriters.ReadDocuments(csv);
        var erasure = Erasure.Summarise(FaithfulnessWriters.ReadErasureDocuments(erasureCsv));
        var methods = run.Settings["methods"].Split(',');
        var removals = FeatureRemovals.ParseList(run.Settings["removals"]);
        var summary = ViolationSummary.Of(run.Documents, methods, removals, instances, set.Seconds);
        int threads = int.TryParse(run.Environment.GetValueOrDefault("threads"), Inv, out var t) ? t : 0;
        double wall = set.Parts.Sum(p => double.TryParse(p.Manifest.Environment.GetValueOrDefault("wall_seconds"), NumberStyles.Float, Inv, out var w) ? w : 0);
        var files = FaithfulnessWriters.WriteSummaries(outputDirectory, summary, erasure, SettingsJson(run.Settings, run.Model, threads, run.Environment.GetValueOrDefault("device", "cpu")), wall);
        return (summary, erasure, [csv, erasureCsv, .. files]);
    }
}
