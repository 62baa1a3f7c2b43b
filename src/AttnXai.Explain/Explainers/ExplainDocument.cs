using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// One document ready to explain: its tokens (position t = token index + 1, [CLS] at 0, then [SEP] when the model has
/// one), its words, and the ids the model reads. Words (LIME's features) are the distinct words in order of first
/// occurrence; <see cref="WordOfToken"/> maps each token to its word, so that per-token scores aggregate to words and a
/// removed word takes all its tokens with it.
/// <para>For the paper's model (<see cref="Prepare"/>) the text goes through the paper's LIME-compatible cleaning (the
/// "clean" tokenizer: every run of characters outside [A-Za-z0-9] becomes a space, lower-case) and is truncated to the
/// model's Length - 1 words (255 for the paper), so that LIME's words (its \W+ split of the cleaned text) and the
/// model's tokens coincide one to one; ids: [CLS], the words' ids (unknown words: UNK), then UNK padding. For a model
/// with its own tokenizer (<see cref="FromTokenized"/>, e.g. BERT's WordPieces) a word is what the tokenizer's basic
/// split gives and has one or more tokens.</para>
/// </summary>
public sealed class ExplainDocument
{
    private ExplainDocument(string text, TokenizedText tokenized, TextInputs config, string? label, long? replacementId, bool modelTokenized)
    {
        Text = text;
        ModelTokenized = modelTokenized;
        Tokens = tokenized.Tokens;
        TokenIds = tokenized.Ids;
        OriginalTokenCount = tokenized.TotalTokens;
        Occurrences = tokenized.Words;
        OccurrenceOfToken = tokenized.WordOfToken;
        Length = config.Length;
        Special = config.Special;
        ClsId = config.ClsId;
        UnkId = config.UnkId;
        ReplacementId = replacementId ?? config.UnkId;
        Label = label;
        var tokens = Tokens;
        SubwordTokens = tokens.Length != Occurrences.Length;
        // Words (LIME's features) are the distinct words in order of first occurrence; every token of every occurrence
        // of a word maps to it. With one token per word (the paper's model) a word is a distinct token.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var words = new List<string>();
        var wordIds = new List<long>();
        WordOfToken = new int[tokens.Length];
        for (int t = 0; t < tokens.Length; t++)
        {
            var word = Occurrences[OccurrenceOfToken[t]];
            if (!index.TryGetValue(word, out int j))
            {
                j = words.Count;
                index.Add(word, j);
                words.Add(word);
                wordIds.Add(TokenIds[t]);
            }
            WordOfToken[t] = j;
        }
        Words = words.ToArray();
        WordIds = wordIds.ToArray();
        Ids = new long[Length];
        RealLength = Special.Write(TokenIds, Ids);
        UnknownCount = TokenIds.Count(id => id == UnkId);
        var warnings = new List<string>();
        if (Truncated)
            warnings.Add(SubwordTokens
                ? $"the text has {OriginalTokenCount} tokens; only the first {tokens.Length} (the model's length {Length} minus {Special.Count} special positions) are explained"
                : $"the text has {OriginalTokenCount} words after cleaning; only the first {tokens.Length} (the model's length {Length} minus [CLS]) are explained");
        if (UnknownCount == tokens.Length) warnings.Add("every word is unknown to the vocabulary: the model sees [CLS] and UNK only, so most explanations are zero");
        else if (UnknownCount > 0) warnings.Add(SubwordTokens
            ? $"{UnknownCount} of {tokens.Length} tokens are unknown to the vocabulary (encoded as [UNK])"
            : $"{UnknownCount} of {tokens.Length} words are unknown to the vocabulary (encoded as UNK)");
        if (words.Count == 1) warnings.Add("the text has a single distinct word: LIME, occlusion and SHAP have one feature");
        Warnings = warnings;
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }
    /// <summary>An optional label (e.g. an IMDB file name or "line 3").</summary>
    public string? Label { get; }
    /// <summary>The kept tokens, in order (T of them): the cleaned words for the paper's model, WordPieces for a
    /// BERT-family model.</summary>
    public string[] Tokens { get; }
    /// <summary>The kept words in order of occurrence (a repeated word each time), before WordPiece: for the paper's
    /// model the same as <see cref="Tokens"/>.</summary>
    public string[] Occurrences { get; }
    /// <summary>For each token, the index of its occurrence in <see cref="Occurrences"/>.</summary>
    public int[] OccurrenceOfToken { get; }
    /// <summary>True when the document came from a model's own tokenizer (<see cref="FromTokenized"/>), whose words may
    /// have several tokens; false for the paper's cleaned words.</summary>
    public bool ModelTokenized { get; }
    /// <summary>True when some word has more than one token (a subword tokenizer).</summary>
    public bool SubwordTokens { get; }
    /// <summary>The model's special ids ([CLS], [SEP], padding...).</summary>
    public SpecialTokens Special { get; }
    /// <summary>The id a removed token becomes when words are replaced in place (RemovalMode.ReplaceWithUnk): UNK for
    /// the paper's model, [MASK] (or [UNK], an option) for a BERT-family model.</summary>
    public long ReplacementId { get; }
    /// <summary>The model id of each token.</summary>
    public long[] TokenIds { get; }
    /// <summary>The distinct tokens in order of first occurrence (d of them): LIME's features.</summary>
    public string[] Words { get; }
    /// <summary>The model id of each distinct word (of its first token, for a subword tokenizer).</summary>
    public long[] WordIds { get; }
    /// <summary>For each token, the index of its word in <see cref="Words"/>.</summary>
    public int[] WordOfToken { get; }
    /// <summary>The encoded document: L ids ([CLS], tokens, [SEP] when the model has one, padding).</summary>
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
    /// <summary>[CLS], the T tokens and [SEP] when the model has one; the rest is padding.</summary>
    public int RealLength { get; }
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
        var tokenized = new TokenizedText(kept, kept, ids, [.. Enumerable.Range(0, keep)], tokens.Count, tokens.Count);
        return new ExplainDocument(text ?? string.Join(' ', tokens), tokenized, config, label, null, modelTokenized: false);
    }

    /// <summary>
    /// A document from a model's own tokenization (words and their tokens, see <see cref="ITextTokenizer"/>), already
    /// truncated to the model's <see cref="TextInputs.MaxTokens"/>. <paramref name="replacementId"/>: the id removed
    /// tokens become in place (null: UNK). Throws ArgumentException when there is no token to explain.
    /// </summary>
    public static ExplainDocument FromTokenized(string text, TokenizedText tokenized, TextInputs config, string? label = null, long? replacementId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokenized);
        ArgumentNullException.ThrowIfNull(config);
        if (tokenized.Tokens.Length == 0)
            throw new ArgumentException("the text has no words to explain: the model's tokenizer finds no token in it", nameof(tokenized));
        if (tokenized.Tokens.Length > config.MaxTokens)
            throw new ArgumentException($"{tokenized.Tokens.Length} tokens do not fit the model's {config.MaxTokens} (truncate when tokenizing)", nameof(tokenized));
        if (tokenized.Ids.Length != tokenized.Tokens.Length || tokenized.WordOfToken.Length != tokenized.Tokens.Length)
            throw new ArgumentException("a tokenization needs one id and one word index per token", nameof(tokenized));
        for (int t = 0; t < tokenized.Ids.Length; t++)
        {
            long id = tokenized.Ids[t];
            if (id < 0 || id >= config.VocabSize)
                throw new ArgumentException($"token '{tokenized.Tokens[t]}' has id {id}, outside the model's vocabulary [0, {config.VocabSize})", nameof(tokenized));
            int w = tokenized.WordOfToken[t];
            if (w < 0 || w >= tokenized.Words.Length || (t > 0 && w < tokenized.WordOfToken[t - 1]))
                throw new ArgumentException($"token {t} maps to word {w}: word indices must be non-decreasing within [0, {tokenized.Words.Length})", nameof(tokenized));
        }
        if (replacementId is { } r && (r < 0 || r >= config.VocabSize))
            throw new ArgumentException($"the replacement id {r} is outside the model's vocabulary [0, {config.VocabSize})", nameof(replacementId));
        return new ExplainDocument(text, tokenized, config, label, replacementId, modelTokenized: true);
    }

    /// <summary>
    /// Writes the L ids of the document perturbed by one mask row (d flags, true = the word is kept) and returns its
    /// real length ([CLS], the tokens the model sees, and [SEP] when the model has one). Delete: every token of a removed
    /// word's occurrences is deleted, later tokens shift left, padding at the end (the real length shrinks): the text
    /// re-tokenized without those words, as each word's tokens depend on the word alone. ReplaceWithUnk: each removed
    /// token becomes <see cref="ReplacementId"/> in place (the real length stays).
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
            for (int t = 0; t < TokenIds.Length; t++) ids[pos++] = keep[WordOfToken[t]] ? TokenIds[t] : ReplacementId;
        }
        if (Special.Sep is { } sep) ids[pos++] = sep;
        ids[pos..].Fill(Special.Pad);
        return pos;
    }

    /// <summary>Writes the L ids of the document with some tokens removed (<paramref name="keepToken"/>: T flags, true
    /// keeps the token): deleted (later tokens shift left) or replaced in place by <see cref="ReplacementId"/>, then
    /// [SEP] when the model has one and padding. Returns the real length.</summary>
    public int TokenPerturbedIds(ReadOnlySpan<bool> keepToken, RemovalMode mode, Span<long> ids)
    {
        if (keepToken.Length != TokenCount) throw new ArgumentException($"{keepToken.Length} flags for T = {TokenCount} tokens", nameof(keepToken));
        if (ids.Length != Length) throw new ArgumentException($"ids must hold {Length} values", nameof(ids));
        ids[0] = ClsId;
        int pos = 1;
        for (int t = 0; t < TokenIds.Length; t++)
        {
            if (keepToken[t]) ids[pos++] = TokenIds[t];
            else if (mode == RemovalMode.ReplaceWithUnk) ids[pos++] = ReplacementId;
        }
        if (Special.Sep is { } sep) ids[pos++] = sep;
        ids[pos..].Fill(Special.Pad);
        return pos;
    }

    /// <summary>The L ids of a reference document of the same shape: [CLS], every token replaced by
    /// <paramref name="tokenId"/>, [SEP] when the model has one, then padding (IG's baseline).</summary>
    public long[] ReferenceIds(long tokenId)
    {
        var ids = new long[Length];
        var tokens = new long[TokenIds.Length];
        tokens.AsSpan().Fill(tokenId);
        Special.Write(tokens, ids);
        // Beyond the document: the padding the model reads there (UNK for the paper's model, as before).
        return ids;
    }
}
