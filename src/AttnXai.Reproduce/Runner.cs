using System.Diagnostics;
using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Data.Sources;
using AttnXai.Model;

namespace AttnXai.Reproduce;

/// <summary>What `attnxai reproduce` is asked to do.</summary>
public sealed record ReproduceRequest
{
    public required string OutDir { get; init; }
    public string? DataPath { get; init; }
    public string? ModelDir { get; init; }
    public bool Quick { get; init; }
    public int? Docs { get; init; }
    public int? Threads { get; init; }
    public long? LimitSamples { get; init; }
    public int? LimitEvery { get; init; }
    public bool SkipStudies { get; init; }
    /// <summary>Compute only this shard of the studies (needs ModelDir); see <see cref="ReproduceShards"/>.</summary>
    public AttnXai.Common.Sharding.ShardSpec? Shard { get; init; }
    /// <summary>Documents per chunk of the studies (null: the preset's).</summary>
    public int? ChunkSize { get; init; }
}

/// <summary>Locates and reads IMDB (as `train` does), then runs the <see cref="Pipeline"/>.</summary>
public static class Reproduction
{
    /// <summary>The IMDB data as `train` finds it (<see cref="DataSource.LocateImdb"/>), else the shared archive beside
    /// the working directory's repository (scripts run from a build folder outside the repo).</summary>
    public static string LocateData(string? explicitPath)
    {
        try { return DataSource.LocateImdb(explicitPath); }
        catch (AttnXai.Data.DataException) when (explicitPath is null && RepoPaths.FindRepoRoot(Directory.GetCurrentDirectory()) is string root
                                  && File.Exists(Path.Combine(root, "..", "shared", "data", DataLocator.LabeledArchiveName)))
        {
            return Path.GetFullPath(Path.Combine(root, "..", "shared", "data", DataLocator.LabeledArchiveName));
        }
    }

    /// <summary>The quick preset: `attnxai train --quick`'s recipe, few study documents, short LIME limit.</summary>
    public static (TrainingRecipe, ReproduceSettings) Preset(ReproduceRequest q)
    {
        var recipe = q.Quick ? TrainingRecipe.Quick : TrainingRecipe.Paper;
        var s = new ReproduceSettings();
        if (q.Quick) s = s with { Docs = 100, LimitSamples = 20_000, LimitEvery = 1, ChunkSize = 50 };
        if (q.Docs is int d) s = s with { Docs = d };
        if (q.Threads is int t) s = s with { Threads = t };
        if (q.LimitSamples is long l) s = s with { LimitSamples = l };
        if (q.LimitEvery is int e) s = s with { LimitEvery = e };
        if (q.ChunkSize is int c) s = s with { ChunkSize = c };
        return (recipe, s);
    }

    public static Pipeline Run(ReproduceRequest q, Action<string> log)
    {
        var (recipe, settings) = Preset(q);
        var data = LocateData(q.DataPath);
        var options = new PipelineOptions { OutDir = q.OutDir, ModelDir = q.ModelDir, Recipe = recipe, Settings = settings, SkipStudies = q.SkipStudies, Data = data, Shard = q.Shard };
        Pipeline.CheckRunFolder(options); // before reading the data
        log($"reading IMDB from {data} ...");
        var sw = Stopwatch.StartNew();
        var ds = ImdbReader.Read(data);
        log($"read {ds.Train.Count} train and {ds.Test.Count} test reviews in {sw.Elapsed.TotalSeconds:F1} s");
        var p = new Pipeline(options, ds.Train, ds.Test, log);
        p.Run();
        if (q.Shard is null) log($"report: {Path.GetFullPath(Path.Combine(q.OutDir, "report.html"))}");
        return p;
    }

    /// <summary>`attnxai merge` of reproduce's shards: reads the IMDB data they used, then <see cref="ReproduceShards.Merge"/>.</summary>
    public static Pipeline Merge(AttnXai.Common.Sharding.ShardSet set, string outDir, Action<string> log, int threads = 0)
    {
        var o = ReproduceShards.MergeOptions(set, outDir, Math.Max(1, threads));
        Pipeline.CheckRunFolder(o); // before reading the data
        log($"reading IMDB from {o.Data} ...");
        var ds = ImdbReader.Read(o.Data);
        var p = ReproduceShards.Merge(set, outDir, ds.Train, ds.Test, log, threads);
        log($"report: {Path.GetFullPath(Path.Combine(outDir, "report.html"))}");
        return p;
    }
}
