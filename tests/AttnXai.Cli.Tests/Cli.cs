using System.Diagnostics;
using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Cli.Tests;

/// <summary>What one run of the program printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] ErrorLines => Stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the built attnxai program (src/AttnXai.Cli/bin/CONFIG/net10.0/attnxai, the configuration of this test assembly).</summary>
public static class Cli
{
    public static string Executable { get; } = Find();

    private static string Find()
    {
        var root = RepoPaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("the repository root was not found above " + AppContext.BaseDirectory);
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var exe = Path.Combine(root, "src", "AttnXai.Cli", "bin", config, "net10.0", "attnxai");
        return File.Exists(exe) ? exe : throw new InvalidOperationException($"{exe} is not built (dotnet build src/AttnXai.Cli -c {config})");
    }

    /// <summary>
    /// Runs the program with <paramref name="args"/> in <paramref name="workingDirectory"/>. IMDB is pointed at a path
    /// that does not exist, so that no test downloads or reads the real archive by accident.
    /// </summary>
    public static CliResult Run(string workingDirectory, params string[] args) => Run(workingDirectory, new Dictionary<string, string?>(), args);

    /// <summary>Runs the program as <see cref="Run(string, string[])"/> does, with <paramref name="environment"/> set
    /// (ATTNXAI_DEBUG is unset unless given, so that a caller's debug setting never changes a test).</summary>
    public static CliResult Run(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ATTNXAI_DATA"] = Path.Combine(workingDirectory, "no-imdb-here");
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(workingDirectory, "cache");
        psi.Environment["TERM"] = "dumb";
        psi.Environment.Remove("ATTNXAI_DEBUG");
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"attnxai {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
