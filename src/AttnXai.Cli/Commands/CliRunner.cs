using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using AttnXai.Engine;

namespace AttnXai.Cli.Commands;

/// <summary>
/// Parses and runs a command. The error contract: bad input of any kind (an option that does not parse or is out of
/// range, a missing or corrupt file, a diverged training) ends with exactly one line on standard error starting with
/// "error:" that names the option, file or value, and exit code 1; never a stack trace, a .NET type name or the whole
/// help text. Options are checked while parsing (validators, see <see cref="Opt"/>), before any work starts.
/// </summary>
public static partial class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        ParseResult parsed;
        try { parsed = root.Parse(args); }
        catch (Exception e) when (IsUserError(e)) { return Fail(ParseMessage(Message(e))); }
        if (parsed.Action is ParseErrorAction)
        {
            var messages = parsed.Errors.Select(e => ParseMessage(e.Message).TrimEnd('.')).Distinct().ToList();
            if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            string command = parsed.CommandResult.Command is RootCommand ? "attnxai" : $"attnxai {CommandPath(parsed.CommandResult)}";
            return Fail($"{string.Join("; ", messages)} (see {command} --help)");
        }
        try
        {
            // Exceptions reach the filter below instead of System.CommandLine's stack-trace printer.
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Fail(Message(e));
        }
    }

    private static int Fail(string message)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult r)
    {
        var names = new List<string>();
        for (var c = r; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>Bad input, as opposed to a bug (which keeps its stack trace).</summary>
    public static bool IsUserError(Exception e) =>
        e is IOException or InvalidDataException or ArgumentException or System.Runtime.InteropServices.ExternalException or TorchUnavailableException
            or UnauthorizedAccessException or DllNotFoundException or InvalidOperationException or AttnXai.Data.DataException or NotSupportedException
            or OperationCanceledException;

    /// <summary>The exception's message on one line, without .NET's " (Parameter 'x')" suffix or "Actual value was" line.</summary>
    public static string Message(Exception e)
    {
        var m = e.Message;
        if (e is ArgumentException { ParamName: { } p })
        {
            m = m.Replace($" (Parameter '{p}')", "");
            int actual = m.IndexOf("\nActual value was", StringComparison.Ordinal);
            if (actual >= 0) m = m[..actual];
        }
        return OneLine(m);
    }

    public static string OneLine(string s) => WhiteSpace().Replace(s.Trim(), " ");

    /// <summary>System.CommandLine's parse errors without .NET type names: "--lr: 'abc' is not a number".</summary>
    public static string ParseMessage(string message)
    {
        var m = CannotParse().Match(message);
        if (m.Success)
        {
            var type = m.Groups["type"].Value;
            string kind = type.Contains("Double") || type.Contains("Single") ? "a number"
                : type.Contains("UInt") ? "a whole number of 0 or more"
                : type.Contains("Int") ? "a whole number"
                : type.Contains("Boolean") ? "true or false"
                : "a valid value";
            return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {kind}";
        }
        return OneLine(TypeName().Replace(message, "a value"));
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"'System\.[^']*'")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    // ---- threads ----------------------------------------------------------------------------------------------

    /// <summary>The common --threads option: libtorch intra-op threads, 1 to the number of cores (default: one per core).</summary>
    public static Option<int?> ThreadsOption(string? description = null) =>
        new Option<int?>("--threads") { Description = description ?? $"libtorch threads, at least 1 (default: one per core, {Environment.ProcessorCount} here; more than the cores is capped)" }.AtLeast(1);

    /// <summary>
    /// Sets libtorch's thread count: the given one (capped at the core count, with a note on standard error: more
    /// threads than cores only adds contention), or one per core. Returns the count used.
    /// </summary>
    public static int ApplyThreads(int? threads, int fallback = 0)
    {
        int cores = Environment.ProcessorCount;
        int n = threads ?? (fallback > 0 ? fallback : cores);
        if (n > cores)
        {
            Console.Error.WriteLine($"note: --threads {n} is more than the {cores} cores of this machine; using {cores}");
            n = cores;
        }
        TorchSharp.torch.set_num_threads(n);
        return n;
    }
}
