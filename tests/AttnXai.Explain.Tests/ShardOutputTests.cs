using System.Text.Json;
using AttnXai.Common.Sharding;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Output;
using AttnXai.Explain.Theory;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

/// <summary>The outputs of `explain --split` shards, merged: every file equals the unsharded run's, byte for byte.</summary>
public sealed class ShardOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnxai-explain-shards-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes the run whole, then as <paramref name="shards"/> parts (a slice of the same results each, numbered
    /// from its first document), merges the parts and compares every file.</summary>
    private void WholeEqualsMerged(ExplainRunResult run, IReadOnlyList<DocumentPrediction>? predictions, int shards, AttnXai.Model.IModelArchitecture config)
    {
        var whole = Path.Combine(_dir, "whole");
        var files = ExplanationWriters.WriteAll(whole, run, config, predictions).Select(Path.GetFileName).ToList();
        var parts = new List<string>();
        for (int i = 1; i <= shards; i++)
        {
            var shard = new ShardSpec(i, shards);
            var r = shard.Slice(run.Documents.Count);
            var slice = new ExplainRunResult(run.Documents.Take(r).ToList(), run.Explanations.Take(r).ToList(), run.Studies?.Take(r).ToList(), run.Explainers, run.Settings);
            var dir = Path.Combine(_dir, "part" + i);
            var written = ExplanationWriters.WriteAll(dir, slice, config, predictions?.Take(r).ToList(), r.Start.Value, pages: false);
            Assert.DoesNotContain(written, p => p.EndsWith(".html"));
            new ShardManifest
            {
                Study = ExplanationWriters.Study, Shard = i, Shards = shards, Documents = run.Documents.Count, First = r.Start.Value, End = r.End.Value,
                Model = "/m", ModelFingerprint = "sha256:m", Settings = new() { ["seed"] = "0" }, Files = written.Select(Path.GetFileName).ToList()!,
            }.Write(dir);
            parts.Add(dir);
        }
        parts.Reverse();
        var (paths, documents) = ExplanationWriters.Merge(ShardSet.Open(parts), Path.Combine(_dir, "merged"));
        Assert.Equal(run.Documents.Count, documents);
        Assert.Equal(files.Order(StringComparer.Ordinal), paths.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "merged", f!))), f);
    }

    [Fact]
    public void Every_method_and_the_theory_merge_into_the_unsharded_files()
    {
        using var model = SmallModels.Create(8);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { "w2 <b>w3</b> & w2 \"w4\"", "w5 w6", "w7 w2 w7", "qqq w3", "w4 w5 w6 w7", "w2" }.Select((t, i) => target.Prepare(t, $"d{i} \"ü\"")).ToArray();
        var settings = new ExplainerSettings { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk], LimeSamples = 300, LimeRuns = 2, IgSteps = 8 };
        var run = ExplainRun.Run(target, docs, ExplainerRegistry.Create(["all"], settings),
            new StudyOptions { Explainers = settings, LimitSamples = 5000 }, new Dictionary<string, string> { ["k"] = "<v>" });
        var predictions = docs.Select((d, i) => new DocumentPrediction([0.1 * i, -0.3], i % 2, ["neg", "pos"])).ToList();
        WholeEqualsMerged(run, predictions, 3, model.Config);
    }

    [Fact]
    public void Paged_output_merges_into_the_same_index_and_pages()
    {
        using var model = SmallModels.Create(8);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        int n = ExplanationWriters.PageSize + 3;
        var docs = Enumerable.Range(0, n).Select(i => target.Prepare($"w{2 + i % 5} w{3 + i % 4}", $"doc{i}")).ToArray();
        var run = ExplainRun.Run(target, docs, ExplainerRegistry.Create(["alpha-avg"]), null);
        var predictions = docs.Select((d, i) => new DocumentPrediction([0.25 * i, -0.5], i % 2, ["neg", "pos"])).ToList();
        WholeEqualsMerged(run, predictions, 4, model.Config);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "merged", ExplanationWriters.JsonFile)));
        Assert.Equal(Enumerable.Range(0, n), json.RootElement.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("index").GetInt32()));
    }
}
