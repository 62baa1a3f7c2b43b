using System.Diagnostics;
using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Slurm.Tests;

/// <summary>The built attnxai of this test configuration, run the way the Slurm tests run it.</summary>
public static class AttnxaiProgram
{
    /// <summary>src/AttnXai.Cli/bin/CONFIG/net10.0/attnxai of this test's configuration.</summary>
    public static string Executable
    {
        get
        {
            var root = RepoPaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no repository root above " + AppContext.BaseDirectory);
            var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            return Path.Combine(root, "src", "AttnXai.Cli", "bin", config, "net10.0", "attnxai");
        }
    }

    /// <summary>Runs attnxai in <paramref name="workingDirectory"/> (with the cluster's settings when given); fails the
    /// test unless it exits with 0 within 5 minutes; returns its standard output.</summary>
    public static string Run(string workingDirectory, SlurmCluster? cluster, params string[] args)
    {
        var start = new ProcessStartInfo(Executable, args)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        cluster?.ApplyTo(start);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); Assert.Fail($"attnxai {args[0]} did not finish in 5 minutes"); }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"attnxai {string.Join(' ', args)}: exit {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
