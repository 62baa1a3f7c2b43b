using AttnXai.Common.IO;

namespace AttnXai.Reproduce.Tests;

/// <summary>A fact that runs only when the shared IMDB archive is beside the repository (else skipped, with the reason).</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (RepoPaths.SharedImdbArchive() is null)
            Skip = "the shared IMDB archive (../shared/data/aclImdb_v1_labeled.tar.gz or $ATTNXAI_SHARED_DATA) is not present";
    }
}

public class QuickRunTests
{
    /// <summary>`attnxai reproduce --quick` end to end on the real data: the code path of the command, every stage.</summary>
    [SharedDataFact]
    public void Quick_reproduction_on_imdb_writes_every_stage_and_checks_the_claims()
    {
        var dir = Fixtures.TempDir();
        var log = new List<string>();
        var p = Reproduction.Run(new ReproduceRequest { OutDir = dir, DataPath = RepoPaths.SharedImdbArchive(), Quick = true, Docs = 20 }, log.Add);

        Assert.Equal(Pipeline.StageNames(true), p.Records.Select(r => r.Name));
        Assert.All(p.Records, r => Assert.False(r.Skipped, r.Name));
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "model", "metrics.json")))!;
        Assert.Contains("test", metrics.ToJsonString());
        // Figure 4's document is the paper's: T = 99, d = 71 after cleaning.
        Assert.Contains(p.Records.Single(r => r.Name == "figure4").Findings, f => f.Contains("T = 99, d = 71"));
        // The gradient claim is computed, not asserted by eye: theory equals autograd on every row but the authors' [CLS].
        Assert.StartsWith("CLAIM HOLDS", p.Records.Single(r => r.Name == "study-gradients").Findings[0]);
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Claims checked by computation", html);
        var (_, rows) = Csv.Parse(File.ReadAllText(Path.Combine(dir, "lime_unk_documents.csv")));
        Assert.Equal(20, rows.Count);
        Directory.Delete(dir, true);
    }
}
