using System.CommandLine;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>Runs the parsed command and turns expected failures (bad input, missing files) into one clear line and exit code 1.</summary>
public static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            // Let exceptions reach the filter below instead of System.CommandLine's stack-trace printer.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is IOException or InvalidDataException or ArgumentException or System.Runtime.InteropServices.ExternalException or TorchUnavailableException or UnauthorizedAccessException
            or DllNotFoundException or InvalidOperationException or AttnXai.Data.DataException or NotSupportedException;

    /// <summary>The common --threads option: libtorch intra-op threads (default: libtorch's choice).</summary>
    public static Option<int?> ThreadsOption() => new("--threads") { Description = "libtorch threads (default: one per core)" };

    public static void ApplyThreads(int? threads)
    {
        if (threads is { } t) torch.set_num_threads(t);
    }
}
