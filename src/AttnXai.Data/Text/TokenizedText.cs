namespace AttnXai.Data.Text;

/// <summary>
/// The ids a model's input reserves: [CLS] first; [SEP] after the tokens when the model has one (BERT); padding after
/// that up to the model's length; UNK for text the vocabulary lacks; [MASK] when the model has one. The paper's model
/// and AttnXai's Transformers have [CLS] and UNK only, and pad with UNK.
/// </summary>
/// <param name="Cls">The id at position 0.</param>
/// <param name="Unk">The id of a token the vocabulary lacks.</param>
/// <param name="Pad">The id that fills the positions after the document.</param>
/// <param name="Sep">The id written right after the last token, or null (no [SEP]).</param>
/// <param name="Mask">The [MASK] id, or null (no mask token).</param>
public sealed record SpecialTokens(long Cls, long Unk, long Pad, long? Sep = null, long? Mask = null)
{
    /// <summary>The paper's layout: [CLS], the words, then UNK padding; no [SEP], no [MASK].</summary>
    public static SpecialTokens Paper(long cls, long unk) => new(cls, unk, unk);

    /// <summary>Positions the specials take in a document: [CLS], and [SEP] when there is one.</summary>
    public int Count => Sep is null ? 1 : 2;

    /// <summary>
    /// Writes a document's ids into <paramref name="ids"/> (the model's length): [CLS], <paramref name="tokens"/>,
    /// [SEP] when the model has one, then padding. Returns the real length (the positions before the padding).
    /// </summary>
    public int Write(ReadOnlySpan<long> tokens, Span<long> ids)
    {
        int real = tokens.Length + Count;
        if (real > ids.Length)
            throw new ArgumentException($"{tokens.Length} tokens and {Count} special positions do not fit in {ids.Length} positions", nameof(tokens));
        ids[0] = Cls;
        tokens.CopyTo(ids[1..]);
        if (Sep is { } sep) ids[tokens.Length + 1] = sep;
        ids[real..].Fill(Pad);
        return real;
    }
}

/// <summary>
/// A text as a model reads it: its words and each word's tokens (one token per word for the paper's tokenizer, one
/// or more WordPieces for a BERT-family model). A word is what the tokenizer's basic split gives (for BERT: split at
/// whitespace and around punctuation, after lower-casing and accent stripping when the model is uncased), in order of
/// occurrence; the tokens of word i are the consecutive tokens t with <c>WordOfToken[t] == i</c>.
/// </summary>
/// <param name="Words">The kept words in order of occurrence (a repeated word appears each time), as the model's
/// normaliser wrote them.</param>
/// <param name="Tokens">The kept tokens (without specials), as strings ("play", "##ing").</param>
/// <param name="Ids">The id of each token (UNK for what the vocabulary lacks).</param>
/// <param name="WordOfToken">For each token, the index of its word in <see cref="Words"/> (non-decreasing).</param>
/// <param name="TotalTokens">Tokens of the whole text before truncation.</param>
/// <param name="TotalWords">Words of the whole text before truncation.</param>
public sealed record TokenizedText(string[] Words, string[] Tokens, long[] Ids, int[] WordOfToken, int TotalTokens, int TotalWords)
{
    /// <summary>True when tokens were cut off (the last kept word may have lost some of its tokens).</summary>
    public bool Truncated => TotalTokens > Tokens.Length;
}

/// <summary>
/// The tokenizer a model declares: text to words and token ids, with the model's special tokens. Implementations are
/// thread-safe.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>A short name for outputs ("clean+vocabulary", "wordpiece-uncased").</summary>
    string Name { get; }

    /// <summary>The model's special ids.</summary>
    SpecialTokens Special { get; }

    /// <summary>The words and tokens of <paramref name="text"/>, keeping at most <paramref name="maxTokens"/> tokens
    /// (the first ones; a word cut by the limit keeps its first tokens, as Hugging Face's truncation does).</summary>
    TokenizedText Tokenize(string text, int maxTokens = int.MaxValue);
}
