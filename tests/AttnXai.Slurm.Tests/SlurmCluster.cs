using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace AttnXai.Slurm.Tests;

/// <summary>
/// The one-node Slurm cluster that scripts/slurm/start-cluster.sh runs on this machine (.ci/run starts it before
/// ./test.sh), as tests see it. The script writes an env file once the node is idle, <c>$ATTNXAI_SLURM_DIR/env</c>
/// (default /var/tmp/attnxai-slurm/env), with KEY=VALUE lines: SLURM_CONF (the cluster's private slurm.conf),
/// ATTNXAI_SLURM_CONTROLLER (host:port of slurmctld), ATTNXAI_SLURM_PARTITION and ATTNXAI_SLURM_NODE. Every Slurm
/// command a test runs (sbatch, scontrol, and any program that calls them, such as <c>attnxai slurm --submit</c>) gets
/// these settings in its environment: that is how a client finds this cluster and not another.
/// <para>Use: <c>[SlurmFact]</c> on the test, then <c>var cluster = SlurmCluster.Require();</c>,
/// <c>Submit</c> the scripts (or <c>ApplyTo</c> the process that submits them), <c>WaitFor</c> the last job (a
/// dependent job finishes too: it either runs or is cancelled when its dependency fails), assert on
/// <c>SlurmJob.Succeeded</c> with <c>Describe()</c> as the message, then read the files the jobs wrote.</para>
/// </summary>
public sealed class SlurmCluster
{
    public const string DefaultDirectory = "/var/tmp/attnxai-slurm";

    /// <summary>Where the start script keeps the cluster: $ATTNXAI_SLURM_DIR, or /var/tmp/attnxai-slurm.</summary>
    public static string ClusterDirectory =>
        Environment.GetEnvironmentVariable("ATTNXAI_SLURM_DIR") is { Length: > 0 } d ? d : DefaultDirectory;

    /// <summary>The env file's settings, given to every Slurm command this class runs.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }
    public string Partition => Settings.GetValueOrDefault("ATTNXAI_SLURM_PARTITION", "debug");
    public string Node => Settings.GetValueOrDefault("ATTNXAI_SLURM_NODE", "");

    SlurmCluster(IReadOnlyDictionary<string, string> settings) => Settings = settings;

    static readonly Lazy<(SlurmCluster? Cluster, string? Reason)> local = new(() => Probe(ClusterDirectory));

    /// <summary>Why this machine's test cluster cannot be used (null when it answers); probed once per process.</summary>
    public static string? UnavailableReason => local.Value.Reason;

    /// <summary>This machine's test cluster; throws with the reason when there is none (tests under [SlurmFact] never see that).</summary>
    public static SlurmCluster Require() =>
        local.Value.Cluster ?? throw new InvalidOperationException(local.Value.Reason);

    /// <summary>
    /// Looks for the cluster whose env file is in <paramref name="directory"/> and asks it for its node: the cluster,
    /// or null and the reason, one of "no Slurm cluster: ..." (the programs or the env file are missing) or "the
    /// cluster did not answer: ..." (the daemons are not running or the node is not usable).
    /// </summary>
    public static (SlurmCluster? Cluster, string? Reason) Probe(string directory)
    {
        const string start = "scripts/slurm/start-cluster.sh";
        if (FindProgram("sinfo") is null)
            return (null, $"no Slurm cluster: sinfo not found on PATH ({start} installs and starts one; .ci/run calls it)");
        string envFile = Path.Combine(directory, "env");
        if (!File.Exists(envFile))
            return (null, $"no Slurm cluster: {envFile} not found ({start} writes it once the cluster is up)");
        var settings = ReadEnvFile(envFile);
        if (!settings.TryGetValue("SLURM_CONF", out var conf) || !File.Exists(conf))
            return (null, $"no Slurm cluster: the configuration {conf ?? "(SLURM_CONF)"} named in {envFile} is not there");

        // A controller that is not running makes sinfo retry for about 9 s: a refused connection says so at once.
        if (settings.TryGetValue("ATTNXAI_SLURM_CONTROLLER", out var controller) && !Listens(controller))
            return (null, $"the cluster did not answer: nothing listens on {controller} (slurmctld is not running; {start} starts it)");
        var cluster = new SlurmCluster(settings);
        var r = cluster.Run("sinfo", ["-h", "-N", "-n", cluster.Node, "-o", "%T"], timeout: TimeSpan.FromSeconds(20));
        if (r.ExitCode != 0)
            return (null, $"the cluster did not answer: sinfo: {r.FirstErrorLine}");
        string state = r.StandardOutput.Trim();
        if (!Regex.IsMatch(state, "^(idle|mixed|allocated|completing)$"))
            return (null, $"the cluster did not answer: node {cluster.Node} is {(state.Length > 0 ? state : "unknown to sinfo")}, not idle");
        return (cluster, null);
    }

    /// <summary>KEY=VALUE lines; blank lines and # comments skipped.</summary>
    public static Dictionary<string, string> ReadEnvFile(string path)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            int eq = line.IndexOf('=');
            if (line.Length == 0 || line[0] == '#' || eq <= 0) continue;
            settings[line[..eq]] = line[(eq + 1)..];
        }
        return settings;
    }

    /// <summary>Gives a process the cluster's settings (for a program that itself calls sbatch, e.g. attnxai slurm --submit).</summary>
    public void ApplyTo(ProcessStartInfo start)
    {
        foreach (var (key, value) in Settings) start.Environment[key] = value;
    }

    /// <summary>Runs a program with the cluster's settings; kills it after <paramref name="timeout"/> (default 60 s).</summary>
    public CommandResult Run(string program, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(FindProgram(program) ?? program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        ApplyTo(start);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(-1, stdout.Result, $"{program} did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s\n" + stderr.Result);
        }
        process.WaitForExit();
        return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Submits a batch script file (<c>sbatch --parsable --chdir=workingDirectory options... script</c>) and returns
    /// its job id (for an array, the array's id). Relative output paths (#SBATCH --output) are in the working
    /// directory. Example options: <c>--dependency=afterok:12</c>, <c>--array=0-3</c>.
    /// </summary>
    public long Submit(string scriptPath, string workingDirectory, params string[] options)
    {
        var r = Run("sbatch", ["--parsable", "--chdir=" + workingDirectory, .. options, scriptPath], workingDirectory);
        // --parsable prints "jobid" or "jobid;cluster".
        if (r.ExitCode != 0 || !long.TryParse(r.StandardOutput.Trim().Split(';')[0], CultureInfo.InvariantCulture, out long id))
            throw new SlurmException($"sbatch {scriptPath} failed (exit {r.ExitCode}): {r.FirstErrorLine}");
        return id;
    }

    /// <summary>Writes <paramref name="script"/> to NAME.sh in the working directory and submits it.</summary>
    public long SubmitScript(string name, string script, string workingDirectory, params string[] options)
    {
        string path = Path.Combine(workingDirectory, name + ".sh");
        File.WriteAllText(path, script.ReplaceLineEndings("\n"));
        return Submit(path, workingDirectory, options);
    }

    /// <summary>
    /// The job's records as <c>scontrol show job -o ID</c> gives them: one for a plain job; for an array, one per task
    /// that has started and one for the tasks still pending together (ArrayTaskId "2-3"). Finished jobs stay listed
    /// for the cluster's MinJobAge (an hour).
    /// </summary>
    public SlurmJob Job(long jobId)
    {
        var r = Run("scontrol", ["show", "job", "-o", jobId.ToString(CultureInfo.InvariantCulture)]);
        if (r.ExitCode != 0) throw new SlurmException($"scontrol show job {jobId}: {r.FirstErrorLine}");
        var tasks = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(SlurmTask.Parse).ToList();
        if (tasks.Count == 0) throw new SlurmException($"scontrol show job {jobId} listed nothing");
        return new SlurmJob(jobId, tasks);
    }

    /// <summary>
    /// Polls the job until every task of it has finished (see <see cref="SlurmTask.Finished"/>), and returns its last
    /// records; throws a TimeoutException with the job's states after <paramref name="timeout"/> (a guard against a
    /// hang, not a performance check).
    /// </summary>
    public SlurmJob WaitFor(long jobId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var job = Job(jobId);
            if (job.Finished) return job;
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"Slurm job {jobId} did not finish within {timeout.TotalSeconds} s:\n{job.Describe()}");
            Thread.Sleep(250);
        }
    }

    /// <summary>Waits for several jobs in turn (e.g. a job array and the merge job that depends on it), one deadline for all.</summary>
    public IReadOnlyList<SlurmJob> WaitForAll(TimeSpan timeout, params long[] jobIds)
    {
        var deadline = Stopwatch.StartNew();
        return jobIds.Select(id => WaitFor(id, timeout - deadline.Elapsed)).ToList();
    }

    /// <summary>Cancels jobs (scancel; finished or unknown ones are ignored): a test's clean-up.</summary>
    public void Cancel(IEnumerable<long> jobIds)
    {
        var ids = jobIds.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToList();
        if (ids.Count > 0) Run("scancel", ids);
    }

    /// <summary>The program <paramref name="name"/> on PATH (or in /usr/bin, /usr/sbin), or null.</summary>
    public static string? FindProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Append("/usr/bin").Append("/usr/sbin")
        .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Whether something accepts TCP connections at "host:port" within 2 s.</summary>
    static bool Listens(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture, out int port)) return true; // not ours to judge: sinfo decides
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(hostPort[..colon], port).Wait(TimeSpan.FromSeconds(2)) && client.Connected;
        }
        catch (AggregateException) { return false; }
        catch (SocketException) { return false; }
    }
}

/// <summary>A finished command: exit code (-1 when it was killed for taking too long) and its output.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string FirstErrorLine =>
        (StandardError + "\n" + StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .FirstOrDefault() ?? "(no output)";
}

public sealed class SlurmException(string message) : Exception(message);

/// <summary>A job's records (one per array task once the tasks have started).</summary>
public sealed record SlurmJob(long Id, IReadOnlyList<SlurmTask> Tasks)
{
    public bool Finished => Tasks.All(t => t.Finished);
    /// <summary>Every task completed with exit code 0.</summary>
    public bool Succeeded => Tasks.All(t => t.Succeeded);

    /// <summary>One line per task (id, state, reason, exit code), and the output file's last lines for a task that failed: an assertion message.</summary>
    public string Describe() => string.Join("\n", Tasks.Select(t =>
        $"job {t.Name}: {t.State} (reason {t.Reason}, exit code {t.ExitCode})" + (t.Finished && !t.Succeeded ? t.OutputTail() : "")));
}

/// <summary>
/// One record of <c>scontrol show job -o</c>: its KEY=VALUE fields, with the ones tests need as properties. (A value
/// is everything up to the next " Key=", so a job name or path containing " X=" would be split wrongly: tests do not
/// use such names.)
/// </summary>
public sealed record SlurmTask(IReadOnlyDictionary<string, string> Fields)
{
    public long JobId => long.Parse(Fields["JobId"], CultureInfo.InvariantCulture);
    /// <summary>"12_3" for task 3 of array 12, "12_[2-3]" for its pending tasks, "12" for a plain job.</summary>
    public string Name => Fields.TryGetValue("ArrayTaskId", out var t) ? $"{Fields["ArrayJobId"]}_{(t.Contains('-') || t.Contains(',') ? $"[{t}]" : t)}" : Fields["JobId"];
    public string? ArrayTaskId => Fields.GetValueOrDefault("ArrayTaskId");
    public string State => Fields.GetValueOrDefault("JobState", "UNKNOWN");
    public string Reason => Fields.GetValueOrDefault("Reason", "None");
    /// <summary>"exit status:signal", "0:0" for success.</summary>
    public string ExitCode => Fields.GetValueOrDefault("ExitCode", "");
    public string? StdOut => Fields.GetValueOrDefault("StdOut");
    public DateTime? StartTime => Time("StartTime");
    public DateTime? EndTime => Time("EndTime");

    /// <summary>
    /// The task will not change any more: a final state (COMPLETED, FAILED, CANCELLED, TIMEOUT...), or pending on a
    /// dependency that can never be satisfied (a cluster without kill_invalid_depend leaves such a job pending for ever).
    /// </summary>
    public bool Finished => FinalStates.Contains(State) || (State == "PENDING" && Reason == "DependencyNeverSatisfied");
    public bool Succeeded => State == "COMPLETED" && ExitCode == "0:0";

    static readonly HashSet<string> FinalStates =
        ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"];

    static readonly Regex Key = new(@"(?:^| )([A-Za-z][A-Za-z0-9_/:]*)=", RegexOptions.CultureInvariant);

    public static SlurmTask Parse(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = Key.Matches(line);
        for (int k = 0; k < keys.Count; k++)
        {
            int from = keys[k].Index + keys[k].Length;
            int to = k + 1 < keys.Count ? keys[k + 1].Index : line.Length;
            fields[keys[k].Groups[1].Value] = line[from..to];
        }
        if (!fields.ContainsKey("JobId")) throw new SlurmException("not a scontrol job record: " + line);
        return new SlurmTask(fields);
    }

    DateTime? Time(string key) =>
        DateTime.TryParseExact(Fields.GetValueOrDefault(key), "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t : null;

    /// <summary>The last lines of the task's output file, indented, or nothing when it cannot be read.</summary>
    public string OutputTail(int lines = 10)
    {
        if (StdOut is not { Length: > 0 } path || !File.Exists(path)) return "";
        var tail = File.ReadLines(path).TakeLast(lines);
        return $"\n  last lines of {path}:\n" + string.Join("\n", tail.Select(l => "    " + l));
    }
}
