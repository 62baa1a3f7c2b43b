using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai slurm STUDY STUDY-OPTIONS... --shards N [--out DIR] [--submit] [--partition P] [--time T]
/// [--gpus-per-task G] [--cpus-per-task C]`: runs a shardable study (see <see cref="MergeCommand.Studies"/>) on a
/// Slurm cluster through the cluster's own scheduler. It writes into DIR/slurm:
/// <list type="bullet">
/// <item>shards.sh, an sbatch job array with tasks 1..N: task I runs the study with <c>--shard I/N</c> (Slurm's
/// <c>$SLURM_ARRAY_TASK_ID</c> is the shard number, both 1-based) into DIR/parts/shard-I;</item>
/// <item>merge.sh, `attnxai merge` of the N part folders into DIR/merged, submitted with
/// <c>--dependency=afterok:ARRAY</c> so that it runs once every shard has succeeded;</item>
/// <item>submit.sh, which submits both (what --submit does, for a later or another machine).</item>
/// </list>
/// The study's options are checked first by the study's own command definition (parsed with the shard's --out and
/// --shard 1/N, then the study's own --shard checks): a bad option is refused before anything is written. The jobs
/// run in the current folder (relative paths stay valid) with the program that wrote them, in the submitting shell's
/// environment (sbatch's default). With <c>--device cuda</c> every array task asks for --gpus-per-task GPUs (default 1).
/// </summary>
public static class SlurmCommand
{
    public const string ArrayScript = "shards.sh", MergeScript = "merge.sh", SubmitScript = "submit.sh";

    /// <param name="root">Makes the program's root command, whose study commands check the study's options.</param>
    public static Command Create(Func<RootCommand> root)
    {
        var cmd = new Command("slurm", "Run a study as a Slurm job array of --shard I/N tasks and a dependent merge job: writes the sbatch scripts (and submits them with --submit)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var study = new Argument<string>("study") { Description = $"the study: {Opt.Choices([.. MergeCommand.Studies.Select(s => s.Name)])}; its options follow (all but --out and --shard); or train: a requeueable training job (train's options follow, --out is the model folder)" };
        var shards = new Option<int>("--shards") { Description = "number of shards (array tasks; not for train)", DefaultValueFactory = _ => 0 }.Range(0, Opt.MaxShards);
        var output = new Option<string?>("--out") { Description = "run folder: slurm/ (scripts, logs), parts/shard-I (the shards), merged/ (the study's outputs) (default slurm-STUDY)" };
        var submit = new Option<bool>("--submit") { Description = "submit the job array and the merge job with sbatch and print their job ids" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition of both jobs (default: the cluster's)" };
        var time = new Option<string?>("--time") { Description = "time limit of each array task and of the merge job, in Slurm's format (e.g. 2:00:00, 1-00:00:00)" };
        var gpus = new Option<int?>("--gpus-per-task") { Description = "GPUs per array task with the study's --device cuda (default 1)" }.Range(1, 64);
        var cpus = new Option<int?>("--cpus-per-task") { Description = "CPUs per task (default 1); the study's --threads defaults to it" }.Range(1, Opt.MaxThreads);
        cmd.Arguments.Add(study);
        foreach (var o in new Option[] { shards, output, submit, partition, time, gpus, cpus }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var name = r.GetValue(study)!;
            if (name == "train") return SubmitTraining(root, r, r.UnmatchedTokens.ToList(), r.GetValue(output), r.GetValue(submit), Word(r.GetValue(partition), "--partition"),
                Word(r.GetValue(time), "--time"), r.GetValue(cpus), r.GetResult(shards) is { Implicit: false }, r.GetValue(gpus) is not null);
            var known = MergeCommand.Find(name) ?? throw new UserError(
                $"'{name}' is not a study that runs sharded: give one of {Opt.Choices([.. MergeCommand.Studies.Select(s => s.Name)])}");
            var options = r.UnmatchedTokens.ToList();
            int n = r.GetValue(shards);
            if (n < 1) throw new UserError($"--shards N is needed: the number of array tasks the {name} study is split into");
            var runDirectory = Output.Folder(r.GetValue(output) ?? $"slurm-{name}");
            foreach (var (what, path) in new[] { ("--out", runDirectory), ("the current folder", Environment.CurrentDirectory) })
                if (path.Any(c => char.IsWhiteSpace(c) || c is '%' or '\'' or '"'))
                    throw new UserError($"{what} {path}: a path with spaces, quotes or % cannot go into #SBATCH lines; use another folder");
            var plan = new SlurmPlan
            {
                Study = name, StudyOptions = options, Shards = n,
                RunDirectory = runDirectory,
                WorkingDirectory = Environment.CurrentDirectory, Program = ProgramCommand(),
                Partition = Word(r.GetValue(partition), "--partition"), Time = Word(r.GetValue(time), "--time"),
                CpusPerTask = r.GetValue(cpus) ?? 1,
            };
            if (options.FirstOrDefault(o => o is "--shard" || o.StartsWith("--shard=", StringComparison.Ordinal)) is not null)
                throw new UserError($"--shard is set per array task by attnxai slurm ({name} --shard $SLURM_ARRAY_TASK_ID/{n}): give --shards N only");

            // The study's own definition checks its options (with the first shard's --out and --shard), then its --shard checks.
            var parsed = root().Parse([name, .. options, "--out", plan.PartDirectory(1), "--shard", $"1/{n}"]);
            if (parsed.Errors.Count > 0)
                throw new UserError($"{name}: {string.Join("; ", parsed.Errors.Select(e => CliRunner.ParseMessage(e.Message).TrimEnd('.')).Distinct())}");
            known.CheckShard(parsed);
            var command = parsed.CommandResult.Command;
            string? device = command.Options.Any(o => o.Name == "--device") ? parsed.GetValue<string?>("--device") : null;
            bool cuda = device is not null && device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
            if (r.GetValue(gpus) is not null && !cuda)
                throw new UserError($"--gpus-per-task goes with the study's --device cuda (the {name} run is on {device ?? "the cpu"})");
            plan = plan with
            {
                GpusPerTask = cuda ? r.GetValue(gpus) ?? 1 : 0,
                AddThreads = command.Options.FirstOrDefault(o => o.Name == "--threads") is { } threads && !parsed.Given(threads),
            };
            if (cuda && device!.Split(':') is [_, var index] && int.TryParse(index, CultureInfo.InvariantCulture, out int gpu) && gpu >= plan.GpusPerTask)
                throw new UserError($"--device {device}: each array task sees only its {plan.GpusPerTask} GPU(s), numbered from 0 (use --device cuda, or more --gpus-per-task)");
            string? sbatch = null;
            if (r.GetValue(submit))
                sbatch = FindProgram("sbatch") ?? throw new IOException("--submit: sbatch not found on PATH (no Slurm client here); run without --submit and submit the scripts on the cluster");

            var scripts = plan.Write();
            Console.WriteLine($"{name} in {n} shard(s) on Slurm: wrote");
            foreach (var s in scripts) Console.WriteLine("  " + s);
            if (sbatch is null)
            {
                Console.WriteLine($"submit them with: bash {Path.Combine(plan.ScriptDirectory, SubmitScript)}");
                Console.WriteLine($"the merged outputs will be in {plan.MergedDirectory}");
                return 0;
            }
            long array = Submit(sbatch, plan.ScriptPath(ArrayScript), []);
            Console.WriteLine($"submitted job array {array} (tasks 1-{n}: {plan.ScriptPath(ArrayScript)})");
            long merge = Submit(sbatch, plan.ScriptPath(MergeScript), [$"--dependency=afterok:{array}"]);
            Console.WriteLine($"submitted merge job {merge} (after every task of {array} succeeded: {plan.ScriptPath(MergeScript)})");
            Console.WriteLine($"the merged outputs will be in {plan.MergedDirectory}; logs in {plan.ScriptDirectory}");
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// `attnxai slurm train TRAIN-OPTIONS --out DIR`: one requeueable job (train.sh in DIR-slurm/) that runs the training
    /// and resumes it on every start. Slurm signals the batch shell (USR1) 120 s before the time limit: the shell sends
    /// SIGTERM to the training, which saves its state after the current step and exits, and the shell requeues the job,
    /// which resumes where it stopped. A preempted or `scontrol requeue`d job gets SIGTERM from Slurm itself and is
    /// requeued by Slurm; `scancel` stops it (its state kept: submitting the script again resumes it).
    /// </summary>
    private static int SubmitTraining(Func<RootCommand> root, ParseResult r, List<string> options, string? output, bool submit, string? partition, string? time, int? cpus,
        bool shardsGiven, bool gpusGiven)
    {
        if (shardsGiven) throw new UserError("--shards does not apply to train (one job, requeued until the training ends)");
        if (gpusGiven) throw new UserError("--gpus-per-task does not apply to train; request GPUs in the cluster's way and pass train's --device");
        if (output is null) throw new UserError("train needs --out DIR (the model folder; the job's scripts and log go to DIR-slurm/)");
        var outDir = Output.Folder(output);
        var scripts = outDir.TrimEnd('/') + "-slurm";
        foreach (var (what, path) in new[] { ("--out", outDir), ("the current folder", Environment.CurrentDirectory) })
            if (path.Any(c => char.IsWhiteSpace(c) || c is '%' or '\'' or '"'))
                throw new UserError($"{what} {path}: a path with spaces, quotes or % cannot go into #SBATCH lines; use another folder");
        int c = cpus ?? 1;
        bool threadsGiven = options.Any(o => o == "--threads" || o.StartsWith("--threads=", StringComparison.Ordinal));
        var args = new List<string>(ProgramCommand()) { "train" };
        args.AddRange(options);
        args.AddRange(["--out", outDir, "--plain"]);
        if (!threadsGiven) args.AddRange(["--threads", c.ToString(CultureInfo.InvariantCulture)]);
        // train's own definition checks the options before anything is written.
        var parsed = root().Parse(args.Skip(ProgramCommand().Count).ToArray());
        if (parsed.Errors.Count > 0)
            throw new UserError($"train: {string.Join("; ", parsed.Errors.Select(e => CliRunner.ParseMessage(e.Message).TrimEnd('.')).Distinct())}");
        if (!options.Any(o => o == "--init" || o.StartsWith("--init=", StringComparison.Ordinal)))
            Console.WriteLine("note: without --init the training resumes per epoch (the paper's and the Transformer's trainer); fine-tuning (--init DIR --freeze none|layers:K) resumes at any step");
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append("# Written by `attnxai slurm train`: a requeueable training that resumes itself (see `attnxai slurm --help`).\n");
        sb.Append("#SBATCH --job-name=attnxai-train\n");
        sb.Append($"#SBATCH --chdir={Environment.CurrentDirectory}\n");
        sb.Append($"#SBATCH --cpus-per-task={c}\n");
        if (partition is not null) sb.Append($"#SBATCH --partition={partition}\n");
        if (time is not null) sb.Append($"#SBATCH --time={time}\n");
        sb.Append("#SBATCH --requeue\n#SBATCH --open-mode=append\n#SBATCH --signal=B:USR1@120\n");
        sb.Append($"#SBATCH --output={Path.Combine(scripts, "train.log")}\n");
        sb.Append("set -uo pipefail\n");
        sb.Append("echo \"[$(date -Is)] job $SLURM_JOB_ID (restart ${SLURM_RESTART_COUNT:-0}) on $(hostname)\"\n");
        sb.Append(string.Join(' ', args.Select(SlurmPlan.Quote))).Append(" &\n");
        sb.Append("pid=$!\nrequeue=0\n");
        sb.Append("# USR1: the time limit is near. TERM: scancel, preemption or scontrol requeue (Slurm requeues those itself).\n");
        sb.Append("trap 'requeue=1; kill -TERM $pid 2>/dev/null' USR1\n");
        sb.Append("trap 'kill -TERM $pid 2>/dev/null' TERM\n");
        sb.Append("status=0\nwhile true; do wait $pid; status=$?; kill -0 $pid 2>/dev/null || break; done\n");
        sb.Append("if [ $status -ne 0 ] && [ $requeue -eq 1 ]; then\n");
        sb.Append("  echo \"[$(date -Is)] stopped before the time limit (state saved): requeueing job $SLURM_JOB_ID\"\n");
        sb.Append("  scontrol requeue \"$SLURM_JOB_ID\"\n  exit 0\nfi\n");
        sb.Append("exit $status\n");
        Directory.CreateDirectory(scripts);
        var script = Path.Combine(scripts, "train.sh");
        AtomicFile.WriteAllText(script, sb.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        Console.WriteLine($"wrote {script}");
        if (!submit)
        {
            Console.WriteLine($"submit it with: sbatch {script}   (log: {Path.Combine(scripts, "train.log")})");
            return 0;
        }
        var sbatch = FindProgram("sbatch") ?? throw new IOException("--submit: sbatch not found on PATH (no Slurm client here); run without --submit and submit the script on the cluster");
        long job = Submit(sbatch, script, []);
        Console.WriteLine($"submitted training job {job} (requeued until it ends; log: {Path.Combine(scripts, "train.log")}; the model: {outDir})");
        return 0;
    }

    /// <summary>A Slurm setting given as one word (it goes into an #SBATCH line).</summary>
    private static string? Word(string? value, string option)
    {
        if (value is null) return null;
        if (value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '\'' or '"' or '#'))
            throw new UserError($"{option} '{value}' is not a Slurm value (one word without quotes or #)");
        return value;
    }

    /// <summary>This program as a command line: its executable, or `dotnet exec attnxai.dll` when run through dotnet.</summary>
    private static IReadOnlyList<string> ProgramCommand()
    {
        var exe = Environment.ProcessPath ?? throw new UserError("cannot tell this program's path (needed in the job scripts)");
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? [exe, "exec", typeof(SlurmCommand).Assembly.Location] : [exe];
    }

    private static string? FindProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>sbatch --parsable [options] SCRIPT; returns the job id ("id" or "id;cluster").</summary>
    private static long Submit(string sbatch, string script, string[] options)
    {
        var start = new ProcessStartInfo(sbatch, ["--parsable", .. options, script])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(start) ?? throw new IOException($"{sbatch} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var id = stdout.Result.Trim().Split(';')[0];
        if (p.ExitCode != 0 || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long job))
        {
            var why = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {p.ExitCode}";
            throw new IOException($"sbatch {script} failed: {why}");
        }
        return job;
    }
}

/// <summary>The scripts of a sharded study on Slurm (see <see cref="SlurmCommand"/>): where everything goes and what each job runs.</summary>
public sealed record SlurmPlan
{
    public required string Study { get; init; }
    public required IReadOnlyList<string> StudyOptions { get; init; }
    public required int Shards { get; init; }
    public required string RunDirectory { get; init; }
    public required string WorkingDirectory { get; init; }
    public required IReadOnlyList<string> Program { get; init; }
    public string? Partition { get; init; }
    public string? Time { get; init; }
    public int CpusPerTask { get; init; } = 1;
    public int GpusPerTask { get; init; }

    /// <summary>Whether the study's --threads is set to the task's CPUs (the user gave none).</summary>
    public bool AddThreads { get; init; }

    public string ScriptDirectory => Path.Combine(RunDirectory, "slurm");
    public string MergedDirectory => Path.Combine(RunDirectory, "merged");
    public string PartDirectory(int shard) => Path.Combine(RunDirectory, "parts", $"shard-{shard}");
    public string ScriptPath(string name) => Path.Combine(ScriptDirectory, name);

    /// <summary>Writes the three scripts (executable) and returns their paths.</summary>
    public IReadOnlyList<string> Write()
    {
        Directory.CreateDirectory(ScriptDirectory);
        var written = new List<string>();
        foreach (var (name, text) in new[] { (SlurmCommand.ArrayScript, ArrayText()), (SlurmCommand.MergeScript, MergeText()), (SlurmCommand.SubmitScript, SubmitText()) })
        {
            var path = ScriptPath(name);
            AtomicFile.WriteAllText(path, text);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                                       | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The job array: task I (1..N) runs the study's shard I/N into parts/shard-I.</summary>
    public string ArrayText()
    {
        var sb = Header($"attnxai-{Study}", $"shard $SLURM_ARRAY_TASK_ID of {Shards} of `attnxai {Study}`; `attnxai merge` (merge.sh) joins them");
        sb.Append($"#SBATCH --array=1-{Shards}\n");
        sb.Append($"#SBATCH --output={Path.Combine(ScriptDirectory, "shard-%a.log")}\n");
        if (GpusPerTask > 0) sb.Append($"#SBATCH --gpus-per-task={GpusPerTask}\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("# Slurm's array task ids are 1..N here, as attnxai's shard numbers I of --shard I/N.\n");
        sb.Append($"shard=$SLURM_ARRAY_TASK_ID\n");
        var args = new List<string>(Program) { Study };
        args.AddRange(StudyOptions);
        if (AddThreads) args.AddRange(["--threads", CpusPerTask.ToString(CultureInfo.InvariantCulture)]);
        sb.Append("exec ").Append(string.Join(' ', args.Select(Quote)))
          .Append(" --out ").Append(Quote(Path.Combine(RunDirectory, "parts"))).Append("/shard-\"$shard\"")
          .Append($" --shard \"$shard/{Shards}\"\n");
        return sb.ToString();
    }

    /// <summary>The merge job: `attnxai merge` of every part folder into merged/.</summary>
    public string MergeText()
    {
        var sb = Header($"attnxai-{Study}-merge", $"merges the {Shards} shard(s) of shards.sh (submitted with --dependency=afterok on its array)");
        sb.Append($"#SBATCH --output={Path.Combine(ScriptDirectory, "merge.log")}\n");
        sb.Append("set -euo pipefail\n");
        var args = new List<string>(Program) { "merge", "--out", MergedDirectory, "--threads", CpusPerTask.ToString(CultureInfo.InvariantCulture) };
        args.AddRange(Enumerable.Range(1, Shards).Select(PartDirectory));
        sb.Append("exec ").Append(string.Join(' ', args.Select(Quote))).Append('\n');
        return sb.ToString();
    }

    /// <summary>Submits the array, then the merge job depending on it (what `attnxai slurm --submit` does).</summary>
    public string SubmitText()
    {
        var dir = Quote(ScriptDirectory);
        return "#!/bin/bash\n" +
               $"# Written by `attnxai slurm {Study}`: submits the {Shards}-task job array and the merge job that runs after it succeeded.\n" +
               "set -euo pipefail\n" +
               $"array=$(sbatch --parsable {dir}/{SlurmCommand.ArrayScript})\n" +
               "array=${array%%;*}\n" +
               $"merge=$(sbatch --parsable --dependency=afterok:\"$array\" {dir}/{SlurmCommand.MergeScript})\n" +
               "echo \"submitted job array $array and merge job ${merge%%;*}\"\n";
    }

    private StringBuilder Header(string jobName, string what)
    {
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append($"# Written by `attnxai slurm {Study} ... --shards {Shards}`: {what}.\n");
        sb.Append($"#SBATCH --job-name={jobName}\n");
        sb.Append($"#SBATCH --chdir={WorkingDirectory}\n");
        sb.Append($"#SBATCH --cpus-per-task={CpusPerTask}\n");
        if (Partition is not null) sb.Append($"#SBATCH --partition={Partition}\n");
        if (Time is not null) sb.Append($"#SBATCH --time={Time}\n");
        return sb;
    }

    /// <summary>A word for bash: as is when it is plain, otherwise in single quotes.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or ':' or '=' or '+' or '@' or '%')
            ? s : "'" + s.Replace("'", "'\\''") + "'";
}
