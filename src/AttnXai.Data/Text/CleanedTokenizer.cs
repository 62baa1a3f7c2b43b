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
        var chars = output.Begin(text.Length);
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsAsciiLetterOrDigit(c))
            {
                chars[i] = (char)(c <= 'Z' && c >= 'A' ? c | 0x20 : c);
                if (start < 0) start = i;
            }
            else if (start >= 0)
            {
                if (!output.Add(start, i - start, maxTokens)) return;
                start = -1;
            }
        }
        if (start >= 0) output.Add(start, text.Length - start, maxTokens);
    }

    /// <summary>The cleaned text itself: the tokens joined by single spaces.</summary>
    public static string CleanText(string text) => string.Join(' ', Instance.Tokenize(text));
}
