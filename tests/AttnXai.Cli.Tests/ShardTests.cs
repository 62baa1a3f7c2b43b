using System.Diagnostics;
using System.Text;

namespace AttnXai.Cli.Tests;

/// <summary>
/// Sharded studies through the program, on the fixture's tiny model: shards computed apart and joined by `attnxai
/// merge` give the unsharded run's files byte for byte; `attnxai slurm` writes job scripts that, run by hand as Slurm
/// would run them (task ids 1..N, then the merge), do the same. The real cluster is tests/AttnXai.Slurm.Tests.
/// </summary>
public sealed class ShardTests(CliFixture fx) : IClassFixture<CliFixture>
{
    // The test part of the fixture's data holds 20 documents: 4 chunks of 5.
    private static readonly string[] Faithfulness = ["faithfulness", "--docs", "20", "--chunk-size", "5", "--methods", "alpha-avg,lime-delete,random", "--lime-runs", "1", "--lime-samples", "100"];
    private static readonly string[] Explain = ["explain", "--split", "test", "--count", "5", "--methods", "alpha-avg,lime,occlusion", "--removal", "delete",
        "--lime-samples", "100", "--lime-runs", "1", "--limit-samples", "1000"];

    [Fact]
    public void Explain_in_two_shards_merged_writes_every_file_of_the_single_run_byte_for_byte()
    {
        string dir = fx.Fresh("shards-explain");
        Ok(Cli.Run(fx.Root, [.. Explain, "--model", fx.Model, "--out", Path.Combine(dir, "single")]));
        // Shard 2 first: the shards are independent.
        Ok(Cli.Run(fx.Root, [.. Explain, "--model", fx.Model, "--out", Path.Combine(dir, "b"), "--shard", "2/2"]));
        Ok(Cli.Run(fx.Root, [.. Explain, "--model", fx.Model, "--out", Path.Combine(dir, "a"), "--shard", "1/2"]));
        var merged = Cli.Run(fx.Root, ["merge", "--out", Path.Combine(dir, "merged"), Path.Combine(dir, "b"), Path.Combine(dir, "a")]);
        Ok(merged);
        Assert.Contains("merged 2 shard(s) of explain (5 documents)", merged.Stdout);
        SameFiles(Path.Combine(dir, "single"), Path.Combine(dir, "merged"));

        // A shard of another run (another seed) is refused by name, and nothing is written.
        Ok(Cli.Run(fx.Root, [.. Explain, "--model", fx.Model, "--seed", "3", "--out", Path.Combine(dir, "b-seed-3"), "--shard", "2/2"]));
        var foreign = Cli.Run(fx.Root, ["merge", "--out", Path.Combine(dir, "merged-2"), Path.Combine(dir, "a"), Path.Combine(dir, "b-seed-3")]);
        Assert.Equal(1, foreign.ExitCode);
        Assert.Equal([$"error: {Path.Combine(dir, "b-seed-3")} (shard 2/2) is not a part of this run: other settings (seed 3, 0 in {Path.Combine(dir, "a")})"], foreign.ErrorLines);
        Assert.False(Directory.Exists(Path.Combine(dir, "merged-2")));
    }

    [Fact]
    public void The_slurm_scripts_run_by_hand_as_Slurm_runs_them_give_the_single_runs_faithfulness_files()
    {
        string dir = fx.Fresh("shards-slurm");
        Ok(Cli.Run(fx.Root, [.. Faithfulness, "--model", fx.Model, "--out", Path.Combine(dir, "single")]));
        var slurm = Cli.Run(fx.Root, ["slurm", .. Faithfulness, "--model", fx.Model, "--shards", "3", "--out", Path.Combine(dir, "run"), "--cpus-per-task", "2"]);
        Ok(slurm);
        string scripts = Path.Combine(dir, "run", "slurm");
        Assert.Equal($"faithfulness in 3 shard(s) on Slurm: wrote\n  {scripts}/shards.sh\n  {scripts}/merge.sh\n  {scripts}/submit.sh\n" +
                     $"submit them with: bash {scripts}/submit.sh\nthe merged outputs will be in {Path.Combine(dir, "run", "merged")}\n", slurm.Stdout);

        var array = File.ReadAllText(Path.Combine(scripts, "shards.sh"));
        Assert.Contains("#SBATCH --array=1-3\n", array);
        Assert.Contains("#SBATCH --cpus-per-task=2\n", array);
        Assert.Contains($"#SBATCH --chdir={fx.Root}\n", array);
        Assert.DoesNotContain("--gpus", array);
        Assert.Contains($" --threads 2 --out {Path.Combine(dir, "run", "parts")}/shard-\"$shard\" --shard \"$shard/3\"\n", array);
        Assert.Contains("merge=$(sbatch --parsable --dependency=afterok:\"$array\" ", File.ReadAllText(Path.Combine(scripts, "submit.sh")));

        // What Slurm does: each array task (in any order) runs the script with its SLURM_ARRAY_TASK_ID, then the merge job.
        foreach (var task in new[] { 3, 1, 2 }) Bash(Path.Combine(scripts, "shards.sh"), ("SLURM_ARRAY_TASK_ID", task.ToString()));
        Bash(Path.Combine(scripts, "merge.sh"));
        foreach (var file in new[] { "faithfulness_documents.csv", "faithfulness_summary.csv", "violation_ratios.svg", "erasure_documents.csv", "erasure_summary.csv", "erasure_aopc.svg" })
            Assert.True(File.ReadAllBytes(Path.Combine(dir, "single", file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "run", "merged", file))),
                $"merged {file} differs from the single run's");
    }

    [Fact]
    public void With_device_cuda_the_array_tasks_ask_for_gpus()
    {
        string dir = fx.Fresh("shards-slurm-gpu");
        Ok(Cli.Run(fx.Root, ["slurm", .. Faithfulness, "--model", fx.Model, "--device", "cuda", "--shards", "2", "--out", dir, "--gpus-per-task", "2",
            "--partition", "gpu", "--time", "4:00:00", "--threads", "3"]));
        var array = File.ReadAllText(Path.Combine(dir, "slurm", "shards.sh"));
        foreach (var line in new[] { "#SBATCH --gpus-per-task=2\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=4:00:00\n", "#SBATCH --cpus-per-task=1\n", " --device cuda --threads 3 --out " })
            Assert.Contains(line, array);
        var merge = File.ReadAllText(Path.Combine(dir, "slurm", "merge.sh"));
        Assert.DoesNotContain("--gpus", merge);
        Assert.Contains("#SBATCH --partition=gpu\n", merge);
    }

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.ToString());

    private void Bash(string script, params (string Key, string Value)[] env)
    {
        var psi = new ProcessStartInfo("bash", [script]) { WorkingDirectory = fx.Root, RedirectStandardOutput = true, RedirectStandardError = true, StandardErrorEncoding = Encoding.UTF8 };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"bash {script}: exit {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
    }

    private static void SameFiles(string expected, string actual)
    {
        var names = Directory.GetFiles(expected).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(actual).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        foreach (var n in names)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, n!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, n!))), $"{n} differs");
    }
}
