using AttnXai.Data.Batching;

namespace AttnXai.Data.Text;

/// <summary>One encoded text (see <see cref="TextEncoder.Encode"/>).</summary>
/// <param name="Ids">Length ids: [cls], the kept words' ids, then UNK padding.</param>
/// <param name="Mask">True at real positions ([cls] and the kept words), false at padding; null unless requested.</param>
/// <param name="Tokens">The kept words (without [cls]), as the tokenizer produced them.</param>
/// <param name="UnknownCount">How many kept words are not in the vocabulary (encoded as UNK).</param>
/// <param name="Truncated">True when the text had more words than the encoder keeps.</param>
public sealed record EncodedText(long[] Ids, bool[]? Mask, string[] Tokens, int UnknownCount, bool Truncated)
{
    /// <summary>Number of kept words (at most Length - 1).</summary>
    public int WordCount => Tokens.Length;

    /// <summary>Number of real positions: [cls] plus the kept words.</summary>
    public int RealLength => Tokens.Length + 1;

    /// <summary>The text has no word at all: it encodes to [cls] followed by padding only.</summary>
    public bool IsEmpty => Tokens.Length == 0;

    /// <summary>Every kept word is unknown (false for an empty text): the model sees [cls] and UNKs only.</summary>
    public bool AllUnknown => Tokens.Length > 0 && UnknownCount == Tokens.Length;

    /// <summary>At least one kept word is in the vocabulary.</summary>
    public bool HasKnownWords => UnknownCount < Tokens.Length;
}

/// <summary>Counts of one allocation-free encoding (<see cref="TextEncoder.EncodeInto"/>).</summary>
public readonly record struct EncodeCounts(int WordCount, int UnknownCount, bool Truncated);

/// <summary>
/// Encodes texts as the paper does: <c>[cls]</c> first, then the ids of the first Length - 1 tokens (255 for the
/// paper's Length of 256), then right-padding with UNK up to Length positions. Optionally also a padding mask (true
/// at the real positions) for models that use one; the paper's model has none.
/// </summary>
public sealed class TextEncoder
{
    public const int PaperLength = 256;

    public TextEncoder(ITokenizer tokenizer, Vocabulary vocabulary, int length = PaperLength, bool includeMask = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "length must be at least 1 (the [cls] position)");
        Tokenizer = tokenizer;
        Vocabulary = vocabulary;
        Length = length;
        IncludeMask = includeMask;
    }

    /// <summary>An encoder through a model's own tokenizer (a BERT-family model's WordPieces): [CLS], the first
    /// Length minus its special positions tokens, [SEP] when the model has one, then its padding id.</summary>
    public TextEncoder(ITextTokenizer tokenizer, int length, bool includeMask = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (length < tokenizer.Special.Count + 1)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"length must leave room for a token beside the {tokenizer.Special.Count} special positions");
        TextTokenizer = tokenizer;
        Length = length;
        IncludeMask = includeMask;
    }

    /// <summary>The word tokenizer (null when the encoder reads through a model's own <see cref="TextTokenizer"/>).</summary>
    public ITokenizer? Tokenizer { get; }

    /// <summary>The word vocabulary (null when the encoder reads through a model's own <see cref="TextTokenizer"/>).</summary>
    public Vocabulary? Vocabulary { get; }

    /// <summary>A model's own tokenizer, or null for a word tokenizer with a vocabulary.</summary>
    public ITextTokenizer? TextTokenizer { get; }

    /// <summary>The tokenizer's name, for messages and outputs.</summary>
    public string TokenizerName => TextTokenizer?.Name ?? Tokenizer!.Name;

    /// <summary>Positions per encoded text, [cls] included.</summary>
    public int Length { get; }

    /// <summary>Tokens kept: Length minus the special positions ([CLS], and [SEP] when the model has one).</summary>
    public int MaxWords => Length - (TextTokenizer?.Special.Count ?? 1);

    public bool IncludeMask { get; }

    /// <summary>Encodes one text. An empty text, or one whose words are all unknown, is encoded all the same;
    /// check <see cref="EncodedText.IsEmpty"/> / <see cref="EncodedText.AllUnknown"/> to refuse it.</summary>
    public EncodedText Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new TokenBuffer();
        var ids = new long[Length];
        var mask = IncludeMask ? new bool[Length] : null;
        var counts = EncodeInto(text, ids, mask, buffer);
        return new EncodedText(ids, mask, buffer.ToArray(), counts.UnknownCount, counts.Truncated);
    }

    /// <summary>
    /// Encodes into caller-owned storage without allocating: <paramref name="ids"/> must hold Length values;
    /// <paramref name="mask"/> is filled when not empty (then it must hold Length values). The kept tokens remain
    /// readable in <paramref name="buffer"/>.
    /// </summary>
    public EncodeCounts EncodeInto(ReadOnlySpan<char> text, Span<long> ids, Span<bool> mask, TokenBuffer buffer)
    {
        if (ids.Length != Length) throw new ArgumentException($"ids must hold {Length} values", nameof(ids));
        if (!mask.IsEmpty && mask.Length != Length) throw new ArgumentException($"mask must hold {Length} values", nameof(mask));
        if (TextTokenizer is { } own)
        {
            var tokenized = own.Tokenize(text.ToString(), MaxWords);
            buffer.Set(tokenized.Tokens, tokenized.Truncated);
            int real = own.Special.Write(tokenized.Ids, ids);
            int unk = tokenized.Ids.Count(id => id == own.Special.Unk);
            if (!mask.IsEmpty)
            {
                mask[..real].Fill(true);
                mask[real..].Fill(false);
            }
            return new EncodeCounts(tokenized.Tokens.Length, unk, tokenized.Truncated);
        }
        Tokenizer!.Tokenize(text, buffer, MaxWords);
        int words = buffer.Count;
        int unknown = 0;
        ids[0] = Vocabulary.ClsId;
        for (int i = 0; i < words; i++)
        {
            if (!Vocabulary!.TryGetWordId(buffer[i], out int id)) { id = Vocabulary.UnkId; unknown++; }
            ids[i + 1] = id;
        }
        ids[(words + 1)..].Fill(Vocabulary.UnkId);
        if (!mask.IsEmpty)
        {
            mask[..(words + 1)].Fill(true);
            mask[(words + 1)..].Fill(false);
        }
        return new EncodeCounts(words, unknown, buffer.Truncated);
    }

    /// <summary>Encodes many texts in parallel into one row-major table (row i = text i).</summary>
    public EncodedDataset EncodeAll(IReadOnlyList<string> texts, IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(labels);
        if (texts.Count != labels.Count) throw new ArgumentException("texts and labels differ in count");
        int n = texts.Count, len = Length;
        var ids = new long[(long)n * len];
        var mask = IncludeMask ? new bool[(long)n * len] : null;
        var words = new int[n];
        var unknown = new int[n];
        var truncated = new bool[n];
        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(0, n, Math.Max(64, n / (8 * Environment.ProcessorCount) + 1)),
            () => new TokenBuffer(),
            (range, _, buffer) =>
            {
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    var row = ids.AsSpan(i * len, len);
                    var m = mask is null ? Span<bool>.Empty : mask.AsSpan(i * len, len);
                    var c = EncodeInto(texts[i], row, m, buffer);
                    words[i] = c.WordCount;
                    unknown[i] = c.UnknownCount;
                    truncated[i] = c.Truncated;
                }
                return buffer;
            },
            _ => { });
        return new EncodedDataset(ids, labels.ToArray(), len, mask, words, unknown, truncated);
    }
}
