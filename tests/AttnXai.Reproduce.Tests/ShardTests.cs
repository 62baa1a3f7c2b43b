using AttnXai.Common.Sharding;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Model;

namespace AttnXai.Reproduce.Tests;

/// <summary>`reproduce --shard I/N` and `attnxai merge` on a tiny model: the merged studies are the unsharded run's, byte for byte.</summary>
public sealed class ShardTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 6 study documents in chunks of 2: three chunks, one per shard of three.
    private static readonly ReproduceSettings Settings = Fixtures.Settings with { ChunkSize = 2 };
    private static readonly List<ImdbReview> Train = Fixtures.Reviews(ImdbSplit.Train, 160, 1), Test = Fixtures.Reviews(ImdbSplit.Test, 10, 2);

    private string SaveModel(string name, long seed)
    {
        var ctx = Fixtures.Context(seed);
        var dir = Path.Combine(_dir, name);
        ModelCheckpoint.Save(dir, ctx.Model, ctx.Bundle.Vocabulary, Tokenizers.BasicEnglish, seed);
        return dir;
    }

    private Pipeline Run(string outDir, string model, ShardSpec? shard = null, ReproduceSettings? settings = null)
    {
        var p = new Pipeline(new PipelineOptions { OutDir = outDir, ModelDir = model, Settings = settings ?? Settings, Shard = shard }, Train, Test);
        p.Run();
        return p;
    }

    [Fact]
    public void Merged_shards_give_the_unsharded_runs_study_tables_byte_for_byte_and_foreign_or_missing_shards_are_refused()
    {
        var model = SaveModel("model", 3);
        var whole = Path.Combine(_dir, "whole");
        Run(whole, model);

        var parts = Enumerable.Range(1, 3).Select(i => Path.Combine(_dir, "parts", i.ToString())).ToList();
        for (int i = 0; i < 3; i++)
        {
            var p = Run(parts[i], model, new ShardSpec(i + 1, 3));
            // A shard computes its chunk of each study and nothing else: no figure, summary, table or report.
            Assert.Equal(["model", .. Pipeline.StudyStages], p.Records.Select(r => r.Name));
            Assert.Equal(["gradients_0000" + i + ".csv", "lime_delete_0000" + i + ".csv", "lime_unk_0000" + i + ".csv"],
                Directory.GetFiles(Path.Combine(parts[i], "parts"), "*.csv").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Empty(Directory.GetFiles(parts[i], "*.csv"));
            Assert.False(File.Exists(Path.Combine(parts[i], "report.html")));
            var m = ShardManifest.Read(parts[i]);
            Assert.Equal((2 * i, 2 * i + 2, 6), (m.First, m.End, m.Documents));
            Assert.Equal(ModelCheckpoint.Fingerprint(model), m.ModelFingerprint);
        }

        var merged = Path.Combine(_dir, "merged");
        var run = ReproduceShards.Merge(ShardSet.Open([parts[2], parts[0], parts[1]]), merged, Train, Test, threads: 2);
        Assert.Equal(Pipeline.StageNames(true), run.Records.Select(r => r.Name));
        foreach (var file in new[] { "gradients_documents.csv", "lime_delete_documents.csv", "lime_unk_documents.csv",
                     "gradients_summary.csv", "lime_delete_summary.csv", "lime_unk_summary.csv", "lime_delete_binned.csv", "lime_unk_binned.csv", "figure4.csv" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, file))), file);
        Assert.Equal(6, AttnXai.Common.IO.Csv.Parse(File.ReadAllText(Path.Combine(merged, "lime_unk_documents.csv"))).Rows.Count);
        Assert.True(File.Exists(Path.Combine(merged, "report.html")));
        Assert.StartsWith("CLAIM HOLDS", run.Records.Single(r => r.Name == "study-gradients").Findings[0]);

        // A shard of another model, or of other settings, is not a part of this run; a missing or duplicated shard is named.
        var other = Path.Combine(_dir, "other-model");
        Run(other, SaveModel("model-b", 4), new ShardSpec(2, 3));
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], other, parts[2]]));
        Assert.StartsWith($"{other} (shard 2/3) is not a part of this run: computed with another model ({_dir}/model-b, sha256:", e.Message);
        var seeded = Path.Combine(_dir, "other-seed");
        Run(seeded, model, new ShardSpec(2, 3), Settings with { Seed = 5 });
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], seeded, parts[2]]));
        Assert.Equal($"{seeded} (shard 2/3) is not a part of this run: other settings (seed 5, 42 in {parts[0]})", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], parts[2]]));
        Assert.Equal("shard 2/3 is missing (the parts given are 1/3 and 3/3)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], parts[1], parts[1], parts[2]]));
        Assert.Equal($"shard 2/3 is given twice: {parts[1]} and {parts[1]}", e.Message);
    }

    [Fact]
    public void A_shard_needs_a_model_studies_and_no_more_shards_than_chunks()
    {
        var model = SaveModel("model", 3);
        var e = Assert.Throws<ArgumentException>(() => Run(Path.Combine(_dir, "a"), null!, new ShardSpec(1, 2)));
        Assert.Contains("a shard needs a trained model (--model)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Run(Path.Combine(_dir, "b"), model, new ShardSpec(1, 4)));
        Assert.Equal("--shard 1/4: 4 shards for the 6 study documents, which make 3 chunks of 2 (a shard computes whole chunks): use at most 3 shards or a smaller chunk size", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "b")));
    }
}
