using System.Text.RegularExpressions;

namespace AttnXai.Common;

/// <summary>Exceptions as the one line an `error:` message or a log shows.</summary>
public static partial class ErrorText
{
    /// <summary>The exception's message on one line, without .NET's " (Parameter 'x')" suffix or "Actual value was" line.</summary>
    public static string OneLine(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var m = e.Message;
        if (e is ArgumentException { ParamName: { } p })
        {
            m = m.Replace($" (Parameter '{p}')", "");
            int actual = m.IndexOf("\nActual value was", StringComparison.Ordinal);
            if (actual >= 0) m = m[..actual];
        }
        return WhiteSpace().Replace(m.Trim(), " ");
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
