using System.Globalization;
using AttnXai.Common.Sharding;
using AttnXai.Data.Imdb;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce;

/// <summary>
/// `reproduce --shard I/N` and its merge. A shard's folder is a partial run folder: the study chunks of its documents
/// (parts/NAME_NNNNN.csv and .seconds) and shard.json, whose settings are what the studies' rows depend on (the data,
/// seeds, LIME and limit settings, the study size and chunk size, and the figures' settings, so that the merge draws the
/// same figures). The merge gathers every shard's chunks into the output folder and runs the <see cref="Pipeline"/>
/// there with the same settings and model: its studies find every chunk computed, so the per-document tables are the
/// unsharded run's, byte for byte, and the figures, summaries and report come from the code an unsharded run uses.
/// </summary>
public static class ReproduceShards
{
    public const string Study = "reproduce";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The settings a shard records and the merge compares and replays.</summary>
    public static SortedDictionary<string, string> Settings(PipelineOptions o)
    {
        var s = o.Settings;
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["data"] = o.Data,
            ["seed"] = s.Seed.ToString(Inv),
            ["docs"] = s.Docs?.ToString(Inv) ?? "all",
            ["chunk_size"] = s.ChunkSize.ToString(Inv),
            ["lime_runs"] = s.LimeRuns.ToString(Inv),
            ["lime_samples"] = s.LimeSamples.ToString(Inv),
            ["limit_samples"] = s.LimitSamples.ToString(Inv),
            ["limit_every"] = s.LimitEvery.ToString(Inv),
            ["top_k"] = s.TopK.ToString(Inv),
            ["sentence"] = s.Sentence,
            ["figure4_review"] = s.Figure4Review,
            ["figure5_columns"] = s.Figure5Columns.ToString(Inv),
        };
    }

    /// <summary>The settings recorded by <see cref="Settings(PipelineOptions)"/>, read back (threads: this machine's choice).</summary>
    public static ReproduceSettings ParseSettings(IReadOnlyDictionary<string, string> d, int threads)
    {
        string Get(string key) => d.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"the shards' settings have no '{key}'");
        T Parse<T>(string key) where T : IParsable<T> =>
            T.TryParse(Get(key), Inv, out var v) ? v : throw new InvalidDataException($"the shards' setting {key} '{Get(key)}' is not a number");
        return new ReproduceSettings
        {
            Seed = Parse<ulong>("seed"),
            Docs = Get("docs") == "all" ? null : Parse<int>("docs"),
            ChunkSize = Parse<int>("chunk_size"),
            LimeRuns = Parse<int>("lime_runs"),
            LimeSamples = Parse<int>("lime_samples"),
            LimitSamples = Parse<long>("limit_samples"),
            LimitEvery = Parse<int>("limit_every"),
            TopK = Parse<int>("top_k"),
            Sentence = Get("sentence"),
            Figure4Review = Get("figure4_review"),
            Figure5Columns = Parse<int>("figure5_columns"),
            Threads = threads,
        };
    }

    /// <summary>The manifest of a shard that computed <paramref name="files"/> (chunk files and their .seconds).</summary>
    public static ShardManifest Manifest(PipelineOptions o, ReproduceContext ctx, ShardSpec shard, List<string> files)
    {
        var modelDir = Path.GetFullPath(o.ModelDir ?? throw new ArgumentException("a shard needs a given model"));
        int documents = ctx.StudyDocuments().Count;
        var slice = shard.Slice(documents, o.Settings.ChunkSize);
        var seconds = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var f in files.Where(f => f.EndsWith(".seconds", StringComparison.Ordinal)))
        {
            string study = Path.GetFileName(f)[..Path.GetFileName(f).LastIndexOf('_')];
            if (double.TryParse(File.ReadAllText(Path.Combine(o.OutDir, f)), NumberStyles.Float, Inv, out var v)) seconds[study] = seconds.GetValueOrDefault(study) + v;
        }
        return new ShardManifest
        {
            Study = Study, Shard = shard.Index, Shards = shard.Count, Documents = documents, ChunkSize = o.Settings.ChunkSize,
            First = slice.Start.Value, End = slice.End.Value, Model = modelDir, ModelFingerprint = ModelCheckpoint.Fingerprint(modelDir),
            Settings = Settings(o), Files = files, Seconds = seconds,
            Environment = new() { ["host"] = Environment.MachineName, ["threads"] = o.Settings.Threads.ToString(Inv) },
        };
    }

    /// <summary>The options of the merged run: the shards' model, data and settings, unsharded, into <paramref name="outDir"/>.</summary>
    public static PipelineOptions MergeOptions(ShardSet set, string outDir, int threads)
    {
        if (set.Run.Study != Study) throw new ArgumentException($"the parts are shards of {set.Run.Study}, not of {Study}");
        return new PipelineOptions
        {
            OutDir = outDir, ModelDir = set.Run.Model, Data = set.Run.Settings.GetValueOrDefault("data", "(given reviews)"),
            Settings = ParseSettings(set.Run.Settings, threads),
        };
    }

    /// <summary>
    /// Gathers the shards' chunks into <paramref name="outDir"/> and runs the pipeline there on the given reviews (the
    /// ones the shards used): figures, the studies (nothing left to compute), the report. A folder holding a run with
    /// other settings is refused before anything is copied.
    /// </summary>
    public static Pipeline Merge(ShardSet set, string outDir, IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, Action<string>? log = null,
        int threads = 0, string? figure4Fallback = null)
    {
        var o = MergeOptions(set, outDir, threads > 0 ? threads : Environment.ProcessorCount) with { Figure4FallbackText = figure4Fallback };
        int documents = ReproduceContext.SelectStudyDocuments(test, o.Settings).Count;
        if (documents != set.Run.Documents)
            throw new InvalidDataException($"the shards computed {set.Run.Documents} study documents, but the data {o.Data} gives {documents}: not the data they used");
        Pipeline.CheckRunFolder(o);
        var copied = set.Gather("parts", outDir);
        log?.Invoke($"gathered {copied.Count / 2} chunk(s) of {set.Parts.Count} shards into {Path.Combine(outDir, "parts")}");
        var p = new Pipeline(o, train, test, log);
        p.Run();
        return p;
    }
}
