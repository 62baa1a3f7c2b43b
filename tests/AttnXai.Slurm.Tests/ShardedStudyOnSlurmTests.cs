using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AttnXai.Common.IO;
using Xunit.Abstractions;

namespace AttnXai.Slurm.Tests;

/// <summary>
/// `attnxai slurm ... --submit` on the real test cluster: a tiny model is trained in the test's folder, the
/// faithfulness test on 20 documents runs once in this process's child (the reference) and once as a 3-task job
/// array with the dependent merge job the generated scripts submit; the merged per-document CSV (and the summary
/// table and chart drawn from it) must be byte for byte the single run's (both with one thread, the array tasks'
/// default: what is compared is the sharding, not libtorch's threads).
/// </summary>
public sealed partial class ShardedStudyOnSlurmTests(ITestOutputHelper log) : IDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("attnxai-slurm-study-");
    readonly List<long> submitted = [];

    // 20 documents in chunks of 5: the 3 shards hold chunks {0}, {1}, {2, 3} (documents 0-4, 5-9, 10-19).
    static readonly string[] Study = ["--model", "model", "--docs", "20", "--chunk-size", "5", "--methods", "alpha-avg,G-avg,lime-delete,random",
        "--lime-runs", "1", "--lime-samples", "200"];

    [SlurmFact]
    public void A_faithfulness_study_in_three_shards_merged_on_the_cluster_equals_the_single_run_byte_for_byte()
    {
        var cluster = SlurmCluster.Require();
        WriteData(Path.Combine(work.FullName, "reviews.csv"));
        Attnxai(null, "train", "--data", "reviews.csv", "--labels", "neg,pos", "--out", "model", "--embed-dim", "8", "--att-dim", "4", "--out-dim", "4",
            "--heads", "2", "--length", "24", "--epochs", "2", "--lr", "0.01", "--plain");
        Attnxai(null, ["faithfulness", .. Study, "--threads", "1", "--out", "single"]);

        var clock = Stopwatch.StartNew();
        var slurm = Attnxai(cluster, ["slurm", "faithfulness", .. Study, "--shards", "3", "--out", "run", "--submit"]);
        long array = JobId(slurm, "submitted job array "), merge = JobId(slurm, "submitted merge job ");
        submitted.AddRange([array, merge]);
        var (arrayJob, mergeJob) = (cluster.WaitFor(array, Patience), cluster.WaitFor(merge, Patience));
        log.WriteLine($"3 shards and the merge, from submission to the merge job's end: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(arrayJob.Succeeded, arrayJob.Describe());
        Assert.True(mergeJob.Succeeded, mergeJob.Describe());
        Assert.Equal(["1", "2", "3"], arrayJob.Tasks.Select(t => t.ArrayTaskId).Order());

        // Each task computed only its slice: the parts' rows are disjoint and together the single run's rows.
        string single = Path.Combine(work.FullName, "single"), run = Path.Combine(work.FullName, "run");
        var rows = File.ReadAllLines(Path.Combine(single, "faithfulness_documents.csv")).Skip(1).ToList();
        var partRows = Enumerable.Range(1, 3).Select(i => File.ReadAllLines(Path.Combine(run, "parts", $"shard-{i}", "faithfulness_documents.csv")).Skip(1).ToList()).ToList();
        Assert.All(partRows, p => Assert.InRange(p.Count, 1, rows.Count - 1));
        Assert.Equal(rows, partRows.SelectMany(p => p));

        foreach (var file in new[] { "faithfulness_documents.csv", "faithfulness_summary.csv", "violation_ratios.svg", "erasure_documents.csv", "erasure_summary.csv", "erasure_aopc.svg" })
            Assert.True(File.ReadAllBytes(Path.Combine(single, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(run, "merged", file))),
                $"merged/{file} differs from the single run's");
    }

    string Attnxai(SlurmCluster? cluster, params string[] args) => AttnxaiProgram.Run(work.FullName, cluster, args);

    static long JobId(string output, string prefix)
    {
        var m = Regex.Match(output, Regex.Escape(prefix) + @"(\d+)");
        Assert.True(m.Success, $"no '{prefix}ID' in:\n{output}");
        return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>200 texts of two classes: fillers, two words of the class, and a word of the text's own.</summary>
    static void WriteData(string path)
    {
        string[] fillers = ["the", "film", "movie", "a", "was", "plot", "actor", "and", "it", "is"];
        string[] pos = ["good", "great", "fine", "lovely", "superb", "nice"], neg = ["bad", "awful", "poor", "boring", "dull", "worse"];
        var rng = new Random(1);
        var sb = new StringBuilder("text,label\n");
        for (int i = 0; i < 200; i++)
        {
            bool positive = i % 2 == 1;
            var words = Enumerable.Range(0, rng.Next(5, 15)).Select(_ => fillers[rng.Next(fillers.Length)])
                .Concat(Enumerable.Range(0, 2).Select(_ => (positive ? pos : neg)[rng.Next(6)])).OrderBy(_ => rng.Next()).Append($"id{i}");
            sb.Append('"').Append(string.Join(' ', words)).Append("\",").Append(positive ? "pos" : "neg").Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
    }

    public void Dispose()
    {
        if (SlurmCluster.UnavailableReason is null) SlurmCluster.Require().Cancel(submitted);
        work.Delete(recursive: true);
    }
}
