using System.Net;
using System.Net.Sockets;

namespace AttnXai.Slurm.Tests;

/// <summary>The helper's parsing and its reasons for skipping, without a cluster.</summary>
public sealed class SlurmClusterTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("attnxai-slurm-probe-");
    public void Dispose() => dir.Delete(recursive: true);

    // A record of task 2 of array 1 as scontrol show job -o printed it on the test cluster (shortened).
    const string Finished = "JobId=5 ArrayJobId=1 ArrayTaskId=2 JobName=a.sh UserId=root(0) GroupId=root(0) JobState=COMPLETED " +
        "Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:01 StartTime=2026-11-30T05:35:19 EndTime=2026-11-30T05:35:20 " +
        "Deadline=N/A AllocNode:Sid=localhost:15115 ReqNodeList=(null) NodeList=vm TRES=cpu=1,node=1,billing=1 Socks/Node=* " +
        "Command=/tmp/w/a.sh WorkDir=/tmp/w StdErr=/tmp/w/part-2.log StdIn=/dev/null StdOut=/tmp/w/part-2.log Power=";

    [Fact]
    public void A_scontrol_record_is_read_field_by_field()
    {
        var t = SlurmTask.Parse(Finished);
        Assert.Equal(5, t.JobId);
        Assert.Equal("1_2", t.Name);
        Assert.Equal("2", t.ArrayTaskId);
        Assert.Equal(("COMPLETED", "None", "0:0"), (t.State, t.Reason, t.ExitCode));
        Assert.Equal("cpu=1,node=1,billing=1", t.Fields["TRES"]);
        Assert.Equal("localhost:15115", t.Fields["AllocNode:Sid"]);
        Assert.Equal("*", t.Fields["Socks/Node"]);
        Assert.Equal("", t.Fields["Power"]);
        Assert.Equal("/tmp/w/part-2.log", t.StdOut);
        Assert.Equal(new DateTime(2026, 11, 30, 5, 35, 19), t.StartTime);
        Assert.Equal(new DateTime(2026, 11, 30, 5, 35, 20), t.EndTime);
        Assert.True(t.Finished);
        Assert.True(t.Succeeded);
    }

    [Theory]
    [InlineData("JobId=7 JobState=PENDING Reason=Dependency ExitCode=0:0 StartTime=Unknown", "7", false, false)]
    [InlineData("JobId=7 JobState=PENDING Reason=DependencyNeverSatisfied ExitCode=0:0", "7", true, false)]
    [InlineData("JobId=7 JobState=CANCELLED Reason=DependencyNeverSatisfied ExitCode=0:0", "7", true, false)]
    [InlineData("JobId=7 JobState=RUNNING Reason=None ExitCode=0:0", "7", false, false)]
    [InlineData("JobId=7 JobState=COMPLETING Reason=None ExitCode=0:0", "7", false, false)]
    [InlineData("JobId=9 ArrayJobId=8 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0", "8_1", true, false)]
    [InlineData("JobId=9 ArrayJobId=8 ArrayTaskId=1 JobState=CANCELLED Reason=None ExitCode=0:15", "8_1", true, false)]
    [InlineData("JobId=8 ArrayJobId=8 ArrayTaskId=2-3 JobState=PENDING Reason=Resources ExitCode=0:0", "8_[2-3]", false, false)]
    [InlineData("JobId=8 ArrayJobId=8 ArrayTaskId=2-3 JobState=COMPLETED Reason=None ExitCode=0:0", "8_[2-3]", true, true)]
    public void Finished_means_the_task_will_not_change_and_success_is_completed_with_exit_code_zero(
        string record, string name, bool finished, bool succeeded)
    {
        var t = SlurmTask.Parse(record);
        Assert.Equal((name, finished, succeeded), (t.Name, t.Finished, t.Succeeded));
        Assert.Null(SlurmTask.Parse(record).StartTime);
    }

    [Fact]
    public void A_job_has_succeeded_only_when_every_task_has()
    {
        var ok = SlurmTask.Parse(Finished);
        var failed = SlurmTask.Parse("JobId=6 ArrayJobId=1 ArrayTaskId=3 JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0");
        var job = new SlurmJob(1, [ok, failed]);
        Assert.True(job.Finished);
        Assert.False(job.Succeeded);
        Assert.Equal("job 1_2: COMPLETED (reason None, exit code 0:0)\njob 1_3: FAILED (reason NonZeroExitCode, exit code 1:0)", job.Describe());
        Assert.True(new SlurmJob(1, [ok]).Succeeded);
    }

    [Fact]
    public void The_env_file_is_key_value_lines_with_comments()
    {
        string path = Path.Combine(dir.FullName, "env");
        File.WriteAllText(path, "# a comment\n\nSLURM_CONF=/x/slurm.conf\n  ATTNXAI_SLURM_NODE=vm  \nODD=a=b\nnot a setting\n");
        Assert.Equal(new Dictionary<string, string> { ["SLURM_CONF"] = "/x/slurm.conf", ["ATTNXAI_SLURM_NODE"] = "vm", ["ODD"] = "a=b" },
            SlurmCluster.ReadEnvFile(path));
    }

    // The probe's reasons, from the first thing missing on. Without Slurm's programs every reason is the same one.
    static readonly bool HasSinfo = SlurmCluster.FindProgram("sinfo") is not null;
    const string NoSinfo = "no Slurm cluster: sinfo not found on PATH";

    [Fact]
    public void Without_an_env_file_there_is_no_cluster_and_the_reason_names_the_file()
    {
        var (cluster, reason) = SlurmCluster.Probe(dir.FullName);
        Assert.Null(cluster);
        Assert.StartsWith(HasSinfo ? $"no Slurm cluster: {Path.Combine(dir.FullName, "env")} not found" : NoSinfo, reason);
    }

    [Fact]
    public void An_env_file_naming_a_missing_configuration_is_no_cluster()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "env"), $"SLURM_CONF={dir.FullName}/missing.conf\n");
        var (cluster, reason) = SlurmCluster.Probe(dir.FullName);
        Assert.Null(cluster);
        Assert.StartsWith(HasSinfo ? $"no Slurm cluster: the configuration {dir.FullName}/missing.conf named in" : NoSinfo, reason);
    }

    [Fact]
    public void A_controller_that_does_not_listen_did_not_answer()
    {
        // A port nothing listens on: one the system just handed out and took back.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        File.WriteAllText(Path.Combine(dir.FullName, "slurm.conf"), "ClusterName=x\n");
        File.WriteAllText(Path.Combine(dir.FullName, "env"), $"SLURM_CONF={dir.FullName}/slurm.conf\nATTNXAI_SLURM_CONTROLLER=127.0.0.1:{port}\n");
        var (cluster, reason) = SlurmCluster.Probe(dir.FullName);
        Assert.Null(cluster);
        Assert.StartsWith(HasSinfo ? $"the cluster did not answer: nothing listens on 127.0.0.1:{port}" : NoSinfo, reason);
    }
}
