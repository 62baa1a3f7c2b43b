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

    public void Tokenize(ReadOnlySpan<char> text, TokenBuffer output, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Clear();
        var scratch = output.Scratch(text.Length * 2);
        int n = PythonText.Lower(text, scratch, drop: '"');
        var s = scratch.AsSpan(0, n);
        int i = 0;
        while (i < n)
        {
            char c = s[i];
            switch (c)
            {
                case '<':
                    if (i + 6 <= n && s[i + 1] == 'b' && s[i + 2] == 'r' && s[i + 3] == ' ' && s[i + 4] == '/'
                        && s[i + 5] == '>')
                    {
                        output.End();
                        i += 6;
                        continue;
                    }
                    if (!output.Append(c, maxTokens)) return;
                    break;
                case '\'':
                case '.':
                case ',':
                case '(':
                case ')':
                case '!':
                case '?':
                    if (!output.Single(c, maxTokens)) return;
                    break;
                case ';':
                case ':':
                    output.End();
                    break;
                default:
                    if (PythonText.IsSpace(c)) output.End();
                    else if (!output.Append(c, maxTokens)) return;
                    break;
            }
            i++;
        }
        output.End();
    }
}
