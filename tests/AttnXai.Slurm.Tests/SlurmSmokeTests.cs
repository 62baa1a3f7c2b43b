namespace AttnXai.Slurm.Tests;

/// <summary>
/// The pattern of `attnxai slurm` on the real test cluster: a job array whose tasks each write a part, and a job that
/// depends on the array (afterok) and combines the parts.
/// </summary>
public sealed class SlurmSmokeTests : IDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("attnxai-slurm-test-");
    readonly List<long> submitted = [];

    [SlurmFact]
    public void A_four_task_array_then_a_dependent_merge_job_combine_the_tasks_files()
    {
        var cluster = SlurmCluster.Require();
        long array = Submit(cluster, "part", """
            #!/bin/bash
            #SBATCH --array=0-3
            #SBATCH --output=part-%a.log
            echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT in array $SLURM_ARRAY_JOB_ID" > part-$SLURM_ARRAY_TASK_ID.txt
            """);
        long merge = Submit(cluster, "merge", """
            #!/bin/bash
            #SBATCH --output=merge.log
            cat part-0.txt part-1.txt part-2.txt part-3.txt > combined.txt
            """, $"--dependency=afterok:{array}");

        var mergeJob = cluster.WaitFor(merge, Patience);
        var arrayJob = cluster.WaitFor(array, Patience);
        Assert.True(arrayJob.Succeeded, arrayJob.Describe());
        Assert.True(mergeJob.Succeeded, mergeJob.Describe());
        Assert.Equal(["0", "1", "2", "3"], arrayJob.Tasks.Select(t => t.ArrayTaskId).Order());
        Assert.Equal(string.Concat(Enumerable.Range(0, 4).Select(i => $"task {i} of 4 in array {array}\n")),
            File.ReadAllText(Path.Combine(work.FullName, "combined.txt")));
        // The dependency held the merge back until every task had ended.
        var mergeStart = mergeJob.Tasks.Single().StartTime;
        Assert.NotNull(mergeStart);
        Assert.All(arrayJob.Tasks, t => Assert.True(t.EndTime <= mergeStart, $"{t.Name} ended {t.EndTime:s}, the merge started {mergeStart:s}"));
    }

    [SlurmFact]
    public void A_failed_array_task_cancels_the_dependent_merge_and_the_wait_reports_the_failure()
    {
        var cluster = SlurmCluster.Require();
        long array = Submit(cluster, "part", """
            #!/bin/bash
            #SBATCH --array=0-1
            #SBATCH --output=part-%a.log
            echo "task $SLURM_ARRAY_TASK_ID gives up"
            exit $((SLURM_ARRAY_TASK_ID * 3))
            """);
        long merge = Submit(cluster, "merge", """
            #!/bin/bash
            touch merged.txt
            """, $"--dependency=afterok:{array}");

        // The wait returns (the merge can never run) instead of timing out.
        var mergeJob = cluster.WaitFor(merge, Patience);
        var task = mergeJob.Tasks.Single();
        Assert.True(task.Finished);
        Assert.False(mergeJob.Succeeded);
        Assert.Equal("DependencyNeverSatisfied", task.Reason);
        Assert.False(File.Exists(Path.Combine(work.FullName, "merged.txt")));

        var arrayJob = cluster.WaitFor(array, Patience);
        Assert.False(arrayJob.Succeeded);
        var byTask = arrayJob.Tasks.ToDictionary(t => t.ArrayTaskId!);
        Assert.Equal(("COMPLETED", "0:0"), (byTask["0"].State, byTask["0"].ExitCode));
        Assert.Equal(("FAILED", "3:0"), (byTask["1"].State, byTask["1"].ExitCode));
        // The description names the failed task and shows its output.
        Assert.Contains($"job {array}_1: FAILED", arrayJob.Describe());
        Assert.Contains("task 1 gives up", arrayJob.Describe());
        Assert.DoesNotContain("task 0 gives up", arrayJob.Describe());
    }

    long Submit(SlurmCluster cluster, string name, string script, params string[] options)
    {
        long id = cluster.SubmitScript(name, script, work.FullName, options);
        submitted.Add(id);
        return id;
    }

    public void Dispose()
    {
        if (SlurmCluster.UnavailableReason is null) SlurmCluster.Require().Cancel(submitted);
        work.Delete(recursive: true);
    }
}
