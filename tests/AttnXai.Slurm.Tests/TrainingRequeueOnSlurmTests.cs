using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AttnXai.Common.IO;
using AttnXai.Tests.Shared;
using Xunit.Abstractions;

namespace AttnXai.Slurm.Tests;

/// <summary>
/// `attnxai slurm train --submit` on the real test cluster: a fine-tuning of a tiny BERT encoder runs as a requeueable
/// job; once it has saved a state the job is requeued (`scontrol requeue`: Slurm sends SIGTERM, the training saves and
/// stops, the job starts again and resumes). Its weights must be bitwise those of the same training run in one go
/// here (both with one thread).
/// </summary>
public sealed class TrainingRequeueOnSlurmTests(ITestOutputHelper log) : IDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(6);
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("attnxai-slurm-train-");
    readonly List<long> submitted = [];

    static readonly string[] Training = ["--init", "encoder", "--freeze", "none", "--data", "reviews.csv", "--labels", "neg,pos", "--batch-size", "1", "--epochs", "2",
        "--save-every", "25", "--max-length", "16", "--lr", "0.001", "--validation-count", "100", "--test-count", "100"];

    [SlurmFact]
    public void A_training_requeued_midway_finishes_with_the_weights_of_an_uninterrupted_run()
    {
        var cluster = SlurmCluster.Require();
        TinyBertFolder.Write(Path.Combine(work.FullName, "encoder"));
        WriteData(Path.Combine(work.FullName, "reviews.csv"));
        Attnxai(null, ["train", .. Training, "--threads", "1", "--plain", "--out", "reference"]);

        var output = Attnxai(cluster, ["slurm", "train", .. Training, "--out", "run", "--submit"]);
        var m = Regex.Match(output, @"submitted training job (\d+)");
        Assert.True(m.Success, output);
        long job = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        submitted.Add(job);

        // Requeue as soon as a state is on disk (a few dozen steps in).
        var state = Path.Combine(work.FullName, "run", "last", "state.json");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(state))
        {
            Assert.True(clock.Elapsed < Patience, $"no state after {Patience}: {cluster.Job(job).Describe()}");
            if (File.Exists(Path.Combine(work.FullName, "run", "model.safetensors"))) Assert.Fail("the training ended before it could be requeued: give it more steps");
            Thread.Sleep(100);
        }
        var requeue = cluster.Run("scontrol", ["requeue", job.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(requeue.ExitCode == 0, requeue.FirstErrorLine);
        var done = cluster.WaitFor(job, Patience);
        var logText = File.ReadAllText(Path.Combine(work.FullName, "run-slurm", "train.log"));
        log.WriteLine(logText);
        Assert.True(done.Succeeded, done.Describe() + "\n" + logText);
        Assert.Contains("restart 1", logText);
        Assert.Contains("resuming at step", logText);
        Assert.True(File.ReadAllBytes(Path.Combine(work.FullName, "reference", "model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(work.FullName, "run", "model.safetensors"))), "the requeued run's weights differ from the uninterrupted run's");
    }

    string Attnxai(SlurmCluster? cluster, params string[] args) => AttnxaiProgram.Run(work.FullName, cluster, args);

    /// <summary>1,200 texts of the tiny vocabulary's words: positive when w1 outnumbers w2.</summary>
    static void WriteData(string path)
    {
        var rng = new Random(4);
        var sb = new StringBuilder("text,label\n");
        for (int i = 0; i < 1200; i++)
        {
            var words = Enumerable.Range(0, rng.Next(3, 13)).Select(_ => "w" + rng.Next(15)).ToList();
            bool positive = words.Count(w => w == "w1") > words.Count(w => w == "w2") || (words.Count(w => w == "w1") == words.Count(w => w == "w2") && i % 2 == 0);
            sb.Append(string.Join(' ', words)).Append(',').Append(positive ? "pos" : "neg").Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
    }

    public void Dispose()
    {
        if (SlurmCluster.UnavailableReason is null) SlurmCluster.Require().Cancel(submitted);
        work.Delete(recursive: true);
    }
}
