using AttnXai.Common.IO;
using System.Diagnostics;
using System.Xml.Linq;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce.Tests;

public class PipelineTests
{
    static Pipeline Make(string dir, List<string> log, ReproduceSettings? settings = null, string? modelDir = null) => new(
        new PipelineOptions { OutDir = dir, Recipe = Fixtures.TinyRecipe, Settings = settings ?? Fixtures.Settings, ModelDir = modelDir },
        Fixtures.Reviews(ImdbSplit.Train, 160, 1), Fixtures.Reviews(ImdbSplit.Test, 10, 2), log.Add);

    [Fact]
    public void Quick_like_run_writes_every_output_then_resumes_without_recomputing()
    {
        var dir = Fixtures.TempDir();
        var log = new List<string>();
        var p = Make(dir, log);
        p.Run();
        Assert.Equal(Pipeline.StageNames(true), p.Records.Select(r => r.Name));
        Assert.All(p.Records, r => Assert.False(r.Skipped));
        foreach (var f in new[] { "figure1.svg", "figure1.csv", "figure3.svg", "figure4_delete.svg", "figure4_unk.svg", "figure4.csv", "figure5.svg",
                     "gradients_documents.csv", "gradients_summary.csv", "lime_delete_documents.csv", "lime_unk_summary.csv", "lime_unk_binned.csv", "report.html" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        foreach (var svg in Directory.GetFiles(dir, "*.svg")) Assert.Equal("svg", XDocument.Parse(File.ReadAllText(svg)).Root!.Name.LocalName);

        // The studies cover Docs documents; the gradient claim is checked on them.
        var (h, rows) = Csv.Parse(File.ReadAllText(Path.Combine(dir, "lime_delete_documents.csv")));
        Assert.Equal(Studies.LimeHeader, h);
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, rows.Select(r => r[1]).Distinct().Count());
        var grad = p.Records.Single(r => r.Name == "study-gradients");
        Assert.StartsWith("CLAIM HOLDS", grad.Findings[0]);
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("Stage times", html);
        Assert.Contains("libtorch", html);
        Assert.Contains("Test accuracy", html);
        Assert.Contains("alpha-avg", html);

        // Rerun: every stage but the report is skipped and its outputs are untouched.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "figure1.svg"));
        var lime = File.ReadAllText(Path.Combine(dir, "lime_delete_documents.csv"));
        // Remove one study's finished table and marker but keep its chunks: it is rebuilt from the chunks alone.
        File.Delete(p.MarkerPath("study-lime-delete"));
        File.Delete(Path.Combine(dir, "lime_delete_documents.csv"));
        var p2 = Make(dir, new List<string>());
        p2.Run();
        Assert.All(p2.Records.Where(r => r.Name is not ("report" or "study-lime-delete")), r => Assert.True(r.Skipped, r.Name));
        Assert.False(p2.Records.Single(r => r.Name == "study-lime-delete").Skipped);
        // The rebuilt stage still reports what its chunks cost when they were computed in the first run.
        var times = Studies.ComputeTimes(dir, "lime_delete");
        Assert.True(times.Chunks > 0 && times.Unknown == 0, $"{times}");
        Assert.True(times.Seconds > 0);
        Assert.True(p2.Records.Single(r => r.Name == "study-lime-delete").Seconds >= times.Seconds);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "figure1.svg")));
        Assert.Equal(lime, File.ReadAllText(Path.Combine(dir, "lime_delete_documents.csv")));

        // A rerun with other settings is refused before any work, naming what changed, instead of reusing the old
        // results under the new settings: another study size, another model.
        var report = File.ReadAllText(Path.Combine(dir, "report.html"));
        var e = Assert.Throws<InvalidOperationException>(() => Make(dir, new List<string>(), Fixtures.Settings with { Docs = 3, LimitEvery = 2 }).Run());
        Assert.Contains("stage study-gradients computed with other settings (docs: 6 there, 3 now)", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Make(dir, new List<string>(), modelDir: Path.Combine(dir, "model")).Run());
        Assert.Contains("stage model computed with other settings (", e.Message);
        Assert.Contains($"model: trained here with recipe {Fixtures.TinyRecipe} there, reused from {Path.Combine(dir, "model")} now)", e.Message);
        Assert.Equal(report, File.ReadAllText(Path.Combine(dir, "report.html")));
        // An interrupted stage (settings recorded, no marker) must go on with the same settings too.
        File.Delete(p.MarkerPath("study-lime-delete"));
        File.Delete(p.MarkerPath("study-lime-unk"));
        e = Assert.Throws<InvalidOperationException>(() => Make(dir, new List<string>(), Fixtures.Settings with { LimitSamples = 2000 }).Run());
        Assert.Contains("stage study-lime-delete started with other settings (limit_samples: 1000 there, 2000 now)", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Quantile_bins_never_split_equal_values_and_the_limit_is_described_in_words()
    {
        static string Bins(double[] v, int k) => string.Join(" ", Studies.QuantileBins(v, k).Select(r => $"{v[r.Start.Value]}-{v[r.End.Value - 1]}:{r.End.Value - r.Start.Value}"));
        // A third of the documents truncated at 255 tokens: one 255-255 bin, not several.
        var lengths = Enumerable.Range(0, 15).Select(i => i < 10 ? 10.0 * (i + 1) : 255).ToArray();
        Assert.Equal("10-30:3 40-60:3 70-90:3 100-255:6", Bins(lengths, 5));
        Assert.Equal("1-1:4", Bins([1, 1, 1, 1], 5));
        Assert.Equal("1-1:1 2-2:1", Bins([1, 2], 5));
        Assert.Empty(Studies.QuantileBins([], 5));
        Assert.Equal("large-sample limit with 50000 samples on every document", Studies.LimitText(new ReproduceSettings { LimitEvery = 1 }));
        Assert.Equal("large-sample limit with 50000 samples on every 10th document", Studies.LimitText(new ReproduceSettings()));
        Assert.Equal("large-sample limit with 50000 samples on every 2nd document", Studies.LimitText(new ReproduceSettings { LimitEvery = 2 }));
        Assert.Equal("no large-sample limit", Studies.LimitText(new ReproduceSettings { LimitSamples = 0 }));
        Assert.Equal(["1st", "3rd", "11th", "12th", "21st", "22nd", "113th"], new[] { 1, 3, 11, 12, 21, 22, 113 }.Select(Studies.Ordinal));
    }

    [Fact]
    public void Study_chunks_on_disk_are_reused_not_recomputed()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        Studies.LimeStudy(ctx, AttnXai.Explain.Perturbation.RemovalMode.ReplaceWithUnk, dir);
        var chunk = Path.Combine(dir, "parts", "lime_unk_00000.csv");
        // Tamper with a chunk: a recomputation would overwrite it, reuse keeps the marker value.
        var text = File.ReadAllText(chunk);
        var (h, rows) = Csv.Parse(text);
        int col = Array.IndexOf(h, "confidence");
        rows[0][col] = "0.123456";
        var t = new CsvTable(h);
        foreach (var r in rows) t.Add(r);
        t.Write(chunk);
        Studies.LimeStudy(ctx, AttnXai.Explain.Perturbation.RemovalMode.ReplaceWithUnk, dir);
        var (_, all) = Csv.Parse(File.ReadAllText(Path.Combine(dir, "lime_unk_documents.csv")));
        Assert.Equal("0.123456", all[0][col]);
        Assert.Equal(6, all.Count);
    }

    [Fact]
    public void Model_folder_round_trips_weights_vocabulary_and_accuracy()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        ModelCheckpoint.Save(dir, ctx.Model, ctx.Bundle.Vocabulary, Tokenizers.BasicEnglish, 3,
            metrics: new System.Text.Json.Nodes.JsonObject { ["test_accuracy"] = ctx.Bundle.TestAccuracy });
        using var b = ModelBundle.Load(dir);
        Assert.Equal(ctx.Model.Config, b.Model.Config);
        Assert.Equal(0.5, b.TestAccuracy);
        Assert.Equal(ctx.Bundle.Vocabulary.Tokens, b.Vocabulary.Tokens);
        var w1 = ctx.Target.Weights; var w2 = new AttnXai.Explain.Adapters.ExplainTarget(b.Model).Weights;
        Assert.Equal(w1.Wq, w2.Wq);
        Assert.Equal(w1.We, w2.We);
    }
}
