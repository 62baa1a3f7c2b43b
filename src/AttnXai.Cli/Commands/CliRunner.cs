using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using AttnXai.Common;
using AttnXai.Engine;

namespace AttnXai.Cli.Commands;

/// <summary>
/// Parses and runs a command. The error contract: bad input of any kind (an option that does not parse or is out of
/// range, a missing or corrupt file, a diverged training) ends with exactly one line on standard error starting with
/// "error:" that names the option, file or value, and exit code 1; never a stack trace, a .NET type name or the whole
/// help text. Options are checked while parsing (validators, see <see cref="Opt"/>), before any work starts.
/// Anything else is a bug: one "error: internal error" line, then the exception with its stack trace, and exit code
/// <see cref="InternalErrorExitCode"/>. <c>--debug</c> (every command) or <c>ATTNXAI_DEBUG=1</c> prints the stack
/// trace of a user error too, after its line. What counts as a user error: <see cref="IsUserError"/>.
/// </summary>
public static partial class CliRunner
{
    /// <summary>The exit code of an internal error (a bug): EX_SOFTWARE of sysexits.h.</summary>
    public const int InternalErrorExitCode = 70;

    /// <summary>The environment variable that, set to 1 (or true), shows the stack trace of every error.</summary>
    public const string DebugVariable = "ATTNXAI_DEBUG";

    /// <summary>The global --debug option (recursive: every command accepts it).</summary>
    public static Option<bool> DebugOption() =>
        new("--debug") { Description = $"on an error, print its stack trace too (also {DebugVariable}=1)", Recursive = true };

    /// <summary>A hidden command that fails the way a bug does (a NullReferenceException), for the tests of the
    /// error contract.</summary>
    public static Command InternalErrorCommand()
    {
        var command = new Command("internal-error", "fails with a NullReferenceException, as a bug would (tests)") { Hidden = true };
        command.SetAction(_ => Fail(null!));
        return command;

        static int Fail(string? nothing) => nothing!.Length;
    }

    public static int Run(RootCommand root, string[] args)
    {
        bool debug = DebugFromEnvironment() || args.Contains("--debug", StringComparer.Ordinal);
        ParseResult parsed;
        try { parsed = root.Parse(args); }
        catch (Exception e) when (IsUserError(e)) { return Fail(ParseMessage(Message(e)), debug ? e : null); }
        catch (Exception e) { return InternalError(e); }
        if (parsed.Action is ParseErrorAction)
        {
            var messages = parsed.Errors.Select(e => ParseMessage(e.Message).TrimEnd('.')).Distinct().ToList();
            if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            string command = parsed.CommandResult.Command is RootCommand ? "attnxai" : $"attnxai {CommandPath(parsed.CommandResult)}";
            return Fail($"{string.Join("; ", messages)} (see {command} --help)");
        }
        if (root.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--debug") is { } debugOption) debug |= parsed.GetValue(debugOption);
        try
        {
            // Exceptions reach the filters below instead of System.CommandLine's stack-trace printer.
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Fail(Message(e), debug ? e : null);
        }
        catch (Exception e)
        {
            return InternalError(e);
        }
    }

    private static bool DebugFromEnvironment() =>
        Environment.GetEnvironmentVariable(DebugVariable)?.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    private static int Fail(string message, Exception? trace = null)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"error: {message}");
        if (trace is not null) Console.Error.WriteLine(trace.ToString());
        return 1;
    }

    /// <summary>A bug: one line saying so, then the exception as .NET prints it (type, message, stack trace, inner exceptions).</summary>
    private static int InternalError(Exception e)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"error: internal error (a bug in attnxai, not in your input; please report it with what follows): {e.GetType().Name}: {OneLine(e.Message)}");
        Console.Error.WriteLine(e.ToString());
        return InternalErrorExitCode;
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult r)
    {
        var names = new List<string>();
        for (var c = r; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>
    /// Bad input, as opposed to a bug (which keeps its stack trace): a <see cref="UserError"/>; the kinds that name a
    /// file or the machine (IO, unreadable or corrupt data, access, libtorch that does not load, a cancelled run); and,
    /// until every validation throws <see cref="UserError"/>, the ArgumentException (not ArgumentNullException),
    /// InvalidOperationException and NotSupportedException that AttnXai's own code throws when it checks its input
    /// (<see cref="ThrownByAttnXai"/>). The same types thrown by .NET or a package (a bad span slice, an empty
    /// sequence, a tensor shape) are bugs.
    /// </summary>
    public static bool IsUserError(Exception e) =>
        e is UserError or IOException or InvalidDataException or AttnXai.Data.DataException or TorchUnavailableException
            or UnauthorizedAccessException or DllNotFoundException or OperationCanceledException
        || (e is ArgumentException and not ArgumentNullException or InvalidOperationException or NotSupportedException && ThrownByAttnXai(e));

    /// <summary>True when the method that threw <paramref name="e"/> is AttnXai's own (an AttnXai.* assembly).</summary>
    public static bool ThrownByAttnXai(Exception e) =>
        e.TargetSite?.DeclaringType?.Assembly.GetName().Name is { } name && (name == "attnxai" || name.StartsWith("AttnXai.", StringComparison.Ordinal));

    /// <summary>The exception's message on one line (<see cref="ErrorText.OneLine"/>).</summary>
    public static string Message(Exception e) => ErrorText.OneLine(e);

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
