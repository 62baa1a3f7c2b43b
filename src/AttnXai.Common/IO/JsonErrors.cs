using System.Globalization;
using System.Text.Json;

namespace AttnXai.Common.IO;

/// <summary>
/// A JSON error in the project's words: where (lines and bytes counted from 1, as an editor counts them) and what,
/// without .NET's 0-based "LineNumber | BytePositionInLine" suffix (which names the line before the one meant).
/// </summary>
public static class JsonErrors
{
    /// <summary>"line 3, byte 3: 'o' is an invalid start of a property name. Expected a '"'." (with "at $.path" when the
    /// error has a path); <paramref name="withLine"/> false leaves the line out (a JSON Lines reader names it itself).</summary>
    public static string Describe(JsonException e, bool withLine = true)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = e.Message;
        foreach (var tail in new[] { " Path: ", " LineNumber: " })
        {
            int i = text.IndexOf(tail, StringComparison.Ordinal);
            if (i >= 0) text = text[..i];
        }
        text = text.Trim();
        var inv = CultureInfo.InvariantCulture;
        var where = new List<string>();
        if (withLine && e.LineNumber is { } line) where.Add("line " + (line + 1).ToString(inv));
        if (e.BytePositionInLine is { } b) where.Add("byte " + (b + 1).ToString(inv));
        if (e.Path is { Length: > 0 } p && p != "$") where.Add("at " + p);
        return where.Count == 0 ? text : $"{string.Join(", ", where)}: {text}";
    }
}
