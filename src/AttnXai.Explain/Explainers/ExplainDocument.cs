using AttnXai.Data.Text;
using AttnXai.Model;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// One document ready to explain. The text goes through the paper's LIME-compatible cleaning (the "clean" tokenizer:
/// every run of characters outside [A-Za-z0-9] becomes a space, lower-case) and is truncated to the model's
/// Length - 1 words (255 for the paper), so that LIME's words (its \W+ split of the cleaned text) and the model's tokens
/// coincide one to one. Tokens are the kept words in order (position t = token index + 1, [CLS] at 0); Words are the
/// distinct tokens in order of first occurrence (LIME's features); <see cref="WordOfToken"/> maps one to the other.
/// Ids: [CLS], the tokens' ids (unknown words: UNK), then UNK padding up to Length.
/// </summary>
public sealed class ExplainDocument
{
    private ExplainDocument(string text, string[] tokens, long[] tokenIds, int originalTokenCount, TextInputs config, string? label)
    {
        Text = text;
        Tokens = tokens;
        TokenIds = tokenIds;
        OriginalTokenCount = originalTokenCount;
        Length = config.Length;
        ClsId = config.ClsId;
        UnkId = config.UnkId;
        Label = label;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var words = new List<string>();
        var wordIds = new List<long>();
        WordOfToken = new int[tokens.Length];
        for (int t = 0; t < tokens.Length; t++)
        {
            if (!index.TryGetValue(tokens[t], out int j))
            {
                j = words.Count;
                index.Add(tokens[t], j);
                words.Add(tokens[t]);
                wordIds.Add(tokenIds[t]);
            }
            WordOfToken[t] = j;
        }
        Words = words.ToArray();
        WordIds = wordIds.ToArray();
        Ids = new long[Length];
        Ids[0] = ClsId;
        for (int t = 0; t < tokens.Length; t++) Ids[t + 1] = tokenIds[t];
        for (int t = tokens.Length + 1; t < Length; t++) Ids[t] = UnkId;
        UnknownCount = tokenIds.Count(id => id == UnkId);
        var warnings = new List<string>();
        if (Truncated) warnings.Add($"the text has {OriginalTokenCount} words after cleaning; only the first {tokens.Length} (the model's length {Length} minus [CLS]) are explained");
        if (UnknownCount == tokens.Length) warnings.Add("every word is unknown to the vocabulary: the model sees [CLS] and UNK only, so most explanations are zero");
        else if (UnknownCount > 0) warnings.Add($"{UnknownCount} of {tokens.Length} words are unknown to the vocabulary (encoded as UNK)");
        if (words.Count == 1) warnings.Add("the text has a single distinct word: LIME, occlusion and SHAP have one feature");
        Warnings = warnings;
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }
    /// <summary>An optional label (e.g. an IMDB file name or "line 3").</summary>
    public string? Label { get; }
    /// <summary>The kept cleaned words, in order (T of them).</summary>
    public string[] Tokens { get; }
    /// <summary>The model id of each token.</summary>
    public long[] TokenIds { get; }
    /// <summary>The distinct tokens in order of first occurrence (d of them): LIME's features.</summary>
    public string[] Words { get; }
    /// <summary>The model id of each distinct word.</summary>
    public long[] WordIds { get; }
    /// <summary>For each token, the index of its word in <see cref="Words"/>.</summary>
    public int[] WordOfToken { get; }
    /// <summary>The encoded document: L ids ([CLS], tokens, UNK padding).</summary>
    public long[] Ids { get; }
    /// <summary>Words in the cleaned text before truncation.</summary>
    public int OriginalTokenCount { get; }
    public int Length { get; }
    public long ClsId { get; }
    public long UnkId { get; }
    /// <summary>T.</summary>
    public int TokenCount => Tokens.Length;
    /// <summary>d.</summary>
    public int WordCount => Words.Length;
    /// <summary>1 + T: [CLS] and the words; the rest is padding.</summary>
    public int RealLength => Tokens.Length + 1;
    public bool Truncated => OriginalTokenCount > Tokens.Length;
    /// <summary>Tokens encoded as UNK (words not in the vocabulary).</summary>
    public int UnknownCount { get; }
    /// <summary>Things a reader of the explanation should know (truncation, unknown words...).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Cleans, truncates and encodes a text for a model (see the class summary). Throws ArgumentException when nothing
    /// is left to explain (an empty text, or one with no letter or digit).
    /// </summary>
    public static ExplainDocument Prepare(string text, Vocabulary vocabulary, TextInputs config, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(config);
        if (vocabulary.Count > config.VocabSize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} entries but the model only {config.VocabSize}", nameof(vocabulary));
        var all = CleanedTokenizer.Instance.Tokenize(text);
        return FromTokens(text, all, tok => vocabulary.TryGetWordId(tok, out int id) ? id : config.UnkId, config, label);
    }

    /// <summary>
    /// A document from already-cleaned tokens and a token-to-id map (which must return the model's UNK id for unknown
    /// words). Tokens beyond Length - 1 are dropped (and reported).
    /// </summary>
    public static ExplainDocument FromTokens(string text, IReadOnlyList<string> tokens, Func<string, long> idOf, TextInputs config, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(idOf);
        ArgumentNullException.ThrowIfNull(config);
        if (tokens.Count == 0)
            throw new ArgumentException(
                "the text has no words to explain: after cleaning (runs of characters outside [A-Za-z0-9] become spaces) it is empty", nameof(tokens));
        if (config.Length < 2) throw new ArgumentException($"the model's length {config.Length} leaves no room for a word after [CLS]", nameof(config));
        int keep = Math.Min(tokens.Count, config.Length - 1);
        var kept = new string[keep];
        var ids = new long[keep];
        for (int t = 0; t < keep; t++)
        {
            kept[t] = tokens[t] ?? throw new ArgumentException($"token {t} is null", nameof(tokens));
            if (kept[t].Length == 0) throw new ArgumentException($"token {t} is empty", nameof(tokens));
            ids[t] = idOf(kept[t]);
            if (ids[t] < 0 || ids[t] >= config.VocabSize)
                throw new ArgumentException($"token '{kept[t]}' has id {ids[t]}, outside the model's vocabulary [0, {config.VocabSize})", nameof(idOf));
        }
        return new ExplainDocument(text ?? string.Join(' ', tokens), kept, ids, tokens.Count, config, label);
    }

    /// <summary>
    /// Writes the L ids of the document perturbed by one mask row (d flags, true = the word is kept) and returns its
    /// real length (1 + the number of tokens the model sees as words). Delete: removed words' occurrences are
    /// deleted, later words shift left, UNK padding at the end (the real length shrinks). ReplaceWithUnk: each removed
    /// occurrence becomes UNK in place (the real length stays 1 + T).
    /// </summary>
    public int PerturbedIds(ReadOnlySpan<bool> keep, RemovalMode mode, Span<long> ids)
    {
        if (keep.Length != WordCount) throw new ArgumentException($"a mask row holds {keep.Length} flags, expected d = {WordCount}", nameof(keep));
        if (ids.Length != Length) throw new ArgumentException($"ids must hold {Length} values", nameof(ids));
        ids[0] = ClsId;
        int pos = 1;
        if (mode == RemovalMode.Delete)
        {
            for (int t = 0; t < TokenIds.Length; t++)
                if (keep[WordOfToken[t]]) ids[pos++] = TokenIds[t];
        }
        else
        {
            for (int t = 0; t < TokenIds.Length; t++) ids[pos++] = keep[WordOfToken[t]] ? TokenIds[t] : UnkId;
        }
        ids[pos..].Fill(UnkId);
        return pos;
    }
}
