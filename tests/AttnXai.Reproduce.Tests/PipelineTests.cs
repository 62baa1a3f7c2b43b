using AttnXai.Common.IO;
using System.Diagnostics;
using System.Xml.Linq;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Model;

namespace AttnXai.Reproduce.Tests;

public class PipelineTests
{
    static Pipeline Make(string dir, List<string> log) => new(
        new PipelineOptions { OutDir = dir, Recipe = Fixtures.TinyRecipe, Settings = Fixtures.Settings },
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
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Study_chunks_on_disk_are_reused_not_recomputed()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        Studies.LimeStudy(ctx, AttnXai.Explain.RemovalMode.ReplaceWithUnk, dir);
        var chunk = Path.Combine(dir, "parts", "lime_unk_00000.csv");
        // Tamper with a chunk: a recomputation would overwrite it, reuse keeps the marker value.
        var text = File.ReadAllText(chunk);
        var (h, rows) = Csv.Parse(text);
        int col = Array.IndexOf(h, "confidence");
        rows[0][col] = "0.123456";
        var t = new CsvTable(h);
        foreach (var r in rows) t.Add(r);
        t.Write(chunk);
        Studies.LimeStudy(ctx, AttnXai.Explain.RemovalMode.ReplaceWithUnk, dir);
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
        var b = ModelBundle.Load(dir);
        Assert.Equal(ctx.Model.Config, b.Model.Config);
        Assert.Equal(0.5, b.TestAccuracy);
        Assert.Equal(ctx.Bundle.Vocabulary.Tokens, b.Vocabulary.Tokens);
        var w1 = ctx.Target.Weights; var w2 = new AttnXai.Explain.Adapters.ExplainTarget(b.Model).Weights;
        Assert.Equal(w1.Wq, w2.Wq);
        Assert.Equal(w1.We, w2.We);
    }
}
