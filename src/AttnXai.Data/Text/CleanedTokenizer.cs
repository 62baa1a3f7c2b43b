namespace AttnXai.Data.Text;

/// <summary>
/// The paper's cleaning for LIME and the figures: every run of characters outside [A-Za-z0-9] becomes a space,
/// the text is lower-cased, then split on whitespace. The tokens are therefore the maximal runs of ASCII letters and
/// digits, lower-cased; everything else (including non-ASCII letters) separates tokens. These tokens coincide with
/// LIME's word split (\W+) and with basic_english applied to the cleaned text. Truncation to the first 255 tokens
/// is the encoder's job (or pass maxTokens).
/// </summary>
public sealed class CleanedTokenizer : ITokenizer
{
    public static readonly CleanedTokenizer Instance = new();

    public string Name => Tokenizers.Clean;

    public void Tokenize(ReadOnlySpan<char> text, TokenBuffer output, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Clear();
        foreach (char c in text)
        {
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
            {
                if (!output.Append(c, maxTokens)) return;
            }
            else if (c >= 'A' && c <= 'Z')
            {
                if (!output.Append((char)(c | 0x20), maxTokens)) return;
            }
            else
            {
                output.End();
            }
        }
        output.End();
    }

    /// <summary>The cleaned text itself: the tokens joined by single spaces.</summary>
    public static string CleanText(string text) => string.Join(' ', Instance.Tokenize(text));
}
