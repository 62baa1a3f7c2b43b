namespace AttnXai.Data.Text;

/// <summary>
/// Splits a text into tokens. Implementations are stateless and thread-safe; all per-call state lives in the
/// <see cref="TokenBuffer"/> the caller supplies (one per thread).
/// </summary>
public interface ITokenizer
{
    /// <summary>The registry name ("basic_english", "clean", ...), recorded with saved models.</summary>
    string Name { get; }

    /// <summary>
    /// Clears <paramref name="output"/> and writes the tokens of <paramref name="text"/> into it, stopping after
    /// <paramref name="maxTokens"/> tokens (then <see cref="TokenBuffer.Truncated"/> tells whether more followed).
    /// </summary>
    void Tokenize(ReadOnlySpan<char> text, TokenBuffer output, int maxTokens = int.MaxValue);
}

public static class TokenizerExtensions
{
    /// <summary>Convenience form: the tokens of a text as strings (allocates; use a TokenBuffer in hot loops).</summary>
    public static string[] Tokenize(this ITokenizer tokenizer, string text, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new TokenBuffer();
        tokenizer.Tokenize(text.AsSpan(), buffer, maxTokens);
        return buffer.ToArray();
    }
}
