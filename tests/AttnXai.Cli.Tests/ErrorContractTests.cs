using System.Text.RegularExpressions;

namespace AttnXai.Cli.Tests;

/// <summary>
/// The other half of the error contract: a bug (here the hidden `internal-error` command, which fails with a
/// NullReferenceException as a bug would) is not dressed up as a user's mistake: it prints one "error: internal error"
/// line and then its stack trace, with exit code 70; `--debug` or ATTNXAI_DEBUG=1 adds the stack trace to a user error's
/// one line, which keeps its exit code 1.
/// </summary>
public sealed partial class ErrorContractTests(CliFixture fx) : IClassFixture<CliFixture>
{
    [Fact]
    public void An_internal_error_prints_its_stack_trace_and_exit_code_70()
    {
        var r = Cli.Run(fx.Root, "internal-error");
        Assert.True(r.ExitCode == 70, r.ToString());
        var error = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: internal error (a bug in attnxai, not in your input; please report it with what follows): NullReferenceException", error);
        Assert.Contains("System.NullReferenceException: Object reference not set to an instance of an object.", r.Stderr);
        Assert.Matches(StackFrame(), r.Stderr);
        Assert.Contains("AttnXai.Cli.Commands.CliRunner", r.Stderr);   // the frame that threw
    }

    [Fact]
    public void The_hidden_command_is_not_listed()
    {
        var r = Cli.Run(fx.Root, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("internal-error", r.Stdout);
        Assert.Contains("--debug", r.Stdout);
    }

    [Fact]
    public void A_user_error_is_one_line_without_a_trace_unless_debug_is_asked()
    {
        string missing = Path.Combine(fx.Root, "no-model-here");
        var plain = Cli.Run(fx.Root, "eval", "--model", missing);
        Assert.Equal(1, plain.ExitCode);
        Assert.Equal($"error: model folder not found: {missing}", Assert.Single(plain.ErrorLines));
        Assert.DoesNotMatch(StackFrame(), plain.Stderr);

        foreach (var r in new[]
                 {
                     Cli.Run(fx.Root, "eval", "--model", missing, "--debug"),
                     Cli.Run(fx.Root, "eval", "--debug", "--model", missing),
                     Cli.Run(fx.Root, new Dictionary<string, string?> { ["ATTNXAI_DEBUG"] = "1" }, "eval", "--model", missing),
                 })
        {
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Equal($"error: model folder not found: {missing}", Assert.Single(r.ErrorLines));
            Assert.Contains("System.IO.DirectoryNotFoundException: model folder not found", r.Stderr);
            Assert.Matches(StackFrame(), r.Stderr);
            Assert.Contains("AttnXai.Model.ModelCheckpoint.Load", r.Stderr);
        }
    }

    [Fact]
    public void A_user_error_raised_by_an_option_check_shows_its_trace_under_debug()
    {
        // explain's own validation (a UserError): one line; with --debug, its trace too.
        var plain = Cli.Run(fx.Root, "explain", "--model", fx.Model, "--out", fx.Fresh("debug-explain"));
        Assert.Equal(1, plain.ExitCode);
        Assert.Equal("error: give exactly one of --text, --file or --split", Assert.Single(plain.ErrorLines));
        Assert.DoesNotMatch(StackFrame(), plain.Stderr);
        var debug = Cli.Run(fx.Root, "explain", "--model", fx.Model, "--out", fx.Fresh("debug-explain-2"), "--debug");
        Assert.Equal(1, debug.ExitCode);
        Assert.Equal("error: give exactly one of --text, --file or --split", Assert.Single(debug.ErrorLines));
        Assert.Contains("AttnXai.Common.UserError: give exactly one of --text, --file or --split", debug.Stderr);
        Assert.Matches(StackFrame(), debug.Stderr);
    }

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
