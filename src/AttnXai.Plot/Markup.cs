using System.Text;

namespace AttnXai.Plot;

/// <summary>
/// The single escaping function used for every piece of text written into SVG or HTML output.
/// </summary>
public static class Markup
{
    /// <summary>
    /// Escapes <paramref name="text"/> for use in XML/HTML character data or in a double- or single-quoted
    /// attribute value: <c>&amp; &lt; &gt; " '</c> become entities, and characters that are not allowed in
    /// XML 1.0 (C0 controls other than tab/CR/LF, lone surrogates, U+FFFE/U+FFFF) become U+FFFD so the output
    /// always parses. A null string is treated as empty.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? replacement = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => null,
            };
            if (replacement is null)
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    sb?.Append(c).Append(text[i + 1]);
                    i++;
                    continue;
                }
                if (IsXmlChar(c))
                {
                    sb?.Append(c);
                    continue;
                }
                replacement = "\uFFFD";
            }
            sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            sb.Append(replacement);
        }
        return sb?.ToString() ?? text;
    }

    private static bool IsXmlChar(char c) =>
        c == '\t' || c == '\n' || c == '\r'
        || (c >= 0x20 && c <= 0xD7FF)
        || (c >= 0xE000 && c <= 0xFFFD);
}
