namespace AttnXai.Common;

/// <summary>
/// A mistake in what the user gave (an option's value, a combination of options, a file's content, a text with nothing
/// to explain), as opposed to a bug. Its message names the option, file or value and says what is wrong, on one line,
/// with no .NET type names: front-ends print it as it is (the CLI as one <c>error:</c> line, exit code 1) and keep
/// stack traces for everything else. Validation of user input throws this; a broken internal assumption throws
/// anything else (ArgumentNullException, InvalidOperationException...), so that it is reported as a bug.
/// </summary>
public class UserError : Exception
{
    public UserError(string message) : base(message) { }

    public UserError(string message, Exception? inner) : base(message, inner) { }
}
