using System.Diagnostics;
using AttnXai.Common.IO;

namespace AttnXai.Cli.Tests;

/// <summary>
/// The launcher ./attnxai: it builds only when a source, project, props or targets file is newer than its last build
/// stamp, and otherwise runs the built program directly. Run on a copy of the script in a fake tree of its own, with
/// a stub `dotnet` first on PATH that records each call (and makes the program a first build makes), so that no test
/// rebuilds the tree the other tests run.
/// </summary>
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-launcher-" + Guid.NewGuid().ToString("N"));
    private string Bin => Path.Combine(_root, "src", "AttnXai.Cli", "bin", "Release", "net10.0");
    private string Exe => Path.Combine(Bin, "attnxai");
    private string Stamp => Path.Combine(Bin, ".attnxai-built");
    private string Source => Path.Combine(_root, "src", "AttnXai.Cli", "Program.cs");
    private string DotnetLog => Path.Combine(_root, "dotnet-calls.log");
    private string StubBin => Path.Combine(_root, "stub-bin");

    private static readonly DateTime Then = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    public LauncherTests()
    {
        var repo = RepoPaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no repository root");
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        Directory.CreateDirectory(Path.GetDirectoryName(Source)!);
        Directory.CreateDirectory(StubBin);
        File.Copy(Path.Combine(repo, "attnxai"), Path.Combine(_root, "attnxai"));
        File.Copy(Path.Combine(repo, "scripts", "setup.sh"), Path.Combine(_root, "scripts", "setup.sh"));
        File.WriteAllText(Path.Combine(_root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Source, "// the program\n");
        File.WriteAllText(Path.Combine(_root, "src", "AttnXai.Cli", "AttnXai.Cli.csproj"), "<Project />\n");
        // The stub dotnet: records its arguments; fails when the file 'fail-build' exists; else makes the program.
        WriteExecutable(Path.Combine(StubBin, "dotnet"),
            $"#!/usr/bin/env bash\necho \"$*\" >> '{DotnetLog}'\n" +
            $"if [ -e '{_root}/fail-build' ]; then echo 'Program.cs(1,1): error CS1002: ; expected'; exit 1; fi\n" +
            $"mkdir -p '{Bin}'\nprintf '#!/usr/bin/env bash\\necho \"ran: $*\"\\n' > '{Exe}'\nchmod +x '{Exe}'\n");
        foreach (var f in new[] { Source, Path.Combine(_root, "Directory.Build.props"), Path.Combine(_root, "src", "AttnXai.Cli", "AttnXai.Cli.csproj") })
            File.SetLastWriteTimeUtc(f, Then);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A built tree: the program and a stamp an hour newer than every source.</summary>
    private void Built()
    {
        Directory.CreateDirectory(Bin);
        WriteExecutable(Exe, "#!/usr/bin/env bash\necho \"ran: $*\"\n");
        File.WriteAllText(Stamp, "");
        File.SetLastWriteTimeUtc(Stamp, Then.AddHours(1));
    }

    private string[] DotnetCalls => File.Exists(DotnetLog) ? File.ReadAllLines(DotnetLog) : [];

    private CliResult Launch(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(_root, "attnxai")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = StubBin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1))) { p.Kill(entireProcessTree: true); throw new TimeoutException("the launcher did not finish"); }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void A_built_tree_runs_the_program_without_calling_dotnet()
    {
        Built();
        var r = Launch("--help", "two words");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("ran: --help two words\n", r.Stdout);
        Assert.Equal("", r.Stderr);
        Assert.Empty(DotnetCalls);
    }

    [Theory]
    [InlineData("src/AttnXai.Cli/Program.cs")]
    [InlineData("src/AttnXai.Cli/AttnXai.Cli.csproj")]
    [InlineData("Directory.Build.props")]
    [InlineData("src/AttnXai.Model/New.targets")]
    public void A_changed_source_triggers_one_rebuild_then_none(string changed)
    {
        Built();
        var path = Path.Combine(_root, changed);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, "\n");
        File.SetLastWriteTimeUtc(path, Then.AddHours(2)); // newer than the stamp

        var r = Launch("eval", "--model", "m");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("the sources changed since the last build: rebuilding first", r.Stderr);
        Assert.Equal("ran: eval --model m\n", r.Stdout);
        var call = Assert.Single(DotnetCalls);
        Assert.StartsWith("build " + Path.Combine(_root, "src", "AttnXai.Cli", "AttnXai.Cli.csproj") + " -c Release", call);
        Assert.True(File.GetLastWriteTimeUtc(Stamp) > Then.AddHours(2), "the stamp records the build");

        var again = Launch("--help");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("", again.Stderr);
        Assert.Single(DotnetCalls); // no second build
    }

    [Fact]
    public void A_file_outside_the_sources_does_not_trigger_a_rebuild()
    {
        Built();
        var notes = Path.Combine(_root, "src", "AttnXai.Cli", "README.md");
        File.WriteAllText(notes, "notes\n");
        File.SetLastWriteTimeUtc(notes, Then.AddHours(2));
        var objFile = Path.Combine(_root, "src", "AttnXai.Cli", "obj", "Generated.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(objFile)!);
        File.WriteAllText(objFile, "// generated\n");
        File.SetLastWriteTimeUtc(objFile, Then.AddHours(2));
        var r = Launch("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(DotnetCalls);
    }

    [Fact]
    public void Without_a_stamp_the_launcher_builds_once()
    {
        Built();
        File.Delete(Stamp);
        var r = Launch("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Single(DotnetCalls);
        Assert.True(File.Exists(Stamp));
    }

    [Fact]
    public void The_first_run_says_so_and_builds()
    {
        var r = Launch("doctor");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("attnxai: first run: restoring TorchSharp", r.Stderr);
        Assert.Equal("ran: doctor\n", r.Stdout);
        Assert.Single(DotnetCalls);
    }

    [Fact]
    public void A_failed_build_prints_its_output_and_one_error_line()
    {
        Built();
        File.SetLastWriteTimeUtc(Source, Then.AddHours(2));
        File.WriteAllText(Path.Combine(_root, "fail-build"), "");
        var r = Launch("--help");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout); // the program did not run
        Assert.Contains("error CS1002", r.Stderr);
        Assert.Equal(["error: building the AttnXai command-line program failed (the build output is above)"], r.ErrorLines);
        Assert.Equal(Then.AddHours(1), File.GetLastWriteTimeUtc(Stamp)); // not marked as built
        Launch("--help");
        Assert.Equal(2, DotnetCalls.Length); // and tried again on the next call
    }
}
