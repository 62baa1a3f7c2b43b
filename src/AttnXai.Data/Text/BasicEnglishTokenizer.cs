namespace AttnXai.Data.Text;

/// <summary>
/// torchtext's <c>basic_english</c> tokenizer, the paper's model tokenizer. Its definition is: Python's
/// <c>str.lower()</c>, then these regular-expression replacements in this order, then <c>str.split()</c>:
/// <c>'</c> → <c>" '  "</c>, <c>"</c> → nothing, <c>.</c> → <c>" . "</c>, <c>&lt;br /&gt;</c> → <c>" "</c>,
/// <c>,</c> → <c>" , "</c>, <c>(</c> → <c>" ( "</c>, <c>)</c> → <c>" ) "</c>, <c>!</c> → <c>" ! "</c>,
/// <c>?</c> → <c>" ? "</c>, <c>;</c> → <c>" "</c>, <c>:</c> → <c>" "</c>, runs of whitespace → <c>" "</c>.
/// <para>
/// This class computes the same tokens in two passes without building the intermediate strings: (1) lower-case
/// (<see cref="PythonText.Lower(string)"/>) while dropping <c>"</c> (its removal precedes the <c>&lt;br /&gt;</c>
/// rule, so <c>&lt;b"r /&gt;</c> is a line break too); (2) scan left to right: a literal <c>&lt;br /&gt;</c> is a
/// separator (matched once, before <c>;</c> and <c>:</c> become spaces, so <c>&lt;br;/&gt;</c> is not one), each of
/// <c>' . , ( ) ! ?</c> is a token of its own, <c>;</c>, <c>:</c> and Python whitespace
/// (<see cref="PythonText.IsSpace"/>) separate tokens, and every other char belongs to the current word. The
/// inserted spaces and punctuation can never create or break a <c>&lt;br /&gt;</c>, which is why one scan suffices.
/// </para>
/// </summary>
public sealed class BasicEnglishTokenizer : ITokenizer
{
    public static readonly BasicEnglishTokenizer Instance = new();

    public string Name => Tokenizers.BasicEnglish;

    // Pass-2 classes of ASCII chars: 0 word char, 1 separator, 2 one-char token, 3 '<' (maybe a line break).
    private static readonly byte[] AsciiClass = BuildClasses();

    private static byte[] BuildClasses()
    {
        var t = new byte[128];
        for (int c = 0; c < 128; c++) if (PythonText.IsSpace((char)c)) t[c] = 1;
        t[';'] = 1;
        t[':'] = 1;
        foreach (char c in "'.,()!?") t[c] = 2;
        t['<'] = 3;
        return t;
    }

    public void Tokenize(ReadOnlySpan<char> text, TokenBuffer output, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(output);
        var chars = output.Begin(text.Length * 2);
        int n = PythonText.Lower(text, chars);
        // '"' -> nothing, before the <br /> rule.
        int q = chars.AsSpan(0, n).IndexOf('"');
        if (q >= 0)
        {
            int o = q;
            for (int k = q + 1; k < n; k++) if (chars[k] != '"') chars[o++] = chars[k];
            n = o;
        }
        var s = chars.AsSpan(0, n);
        var classes = AsciiClass;
        int start = -1; // start of the current word, or -1
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            int kind = c < 128 ? classes[c] : (PythonText.IsSpace(c) ? 1 : 0);
            if (kind == 3)
            {
                if (s[i..].StartsWith("<br />"))
                {
                    if (start >= 0) { if (!output.Add(start, i - start, maxTokens)) return; start = -1; }
                    i += 6;
                    continue;
                }
                kind = 0;
            }
            if (kind == 0)
            {
                if (start < 0) start = i;
            }
            else
            {
                if (start >= 0) { if (!output.Add(start, i - start, maxTokens)) return; start = -1; }
                if (kind == 2 && !output.Add(i, 1, maxTokens)) return;
            }
            i++;
        }
        if (start >= 0) output.Add(start, s.Length - start, maxTokens);
    }
}
