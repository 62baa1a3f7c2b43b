using System.Globalization;
using System.Text.Json.Nodes;
using AttnXai.Data.Batching;
using AttnXai.Data.Text;

namespace AttnXai.Shortcuts.Insertion;

/// <summary>Where the inserted block goes, counted in kept words before it.</summary>
public enum InsertAt
{
    /// <summary>Right after [CLS], before the first word (the default).</summary>
    Start,
    /// <summary>Right after the last kept word (before the padding).</summary>
    End,
    /// <summary>After the first N words (<see cref="InsertionSpec.AfterWords"/>; the end when the text is shorter).</summary>
    AfterWords,
}

/// <summary>
/// The fixed, label-independent tokens of the probe: <see cref="Count"/> new vocabulary entries "[s0]", "[s1]", ...
/// inserted as one block, in this order, into every document at the same place.
/// </summary>
public sealed record InsertionSpec
{
    public const int DefaultCount = 4;

    public int Count { get; init; } = DefaultCount;
    public InsertAt At { get; init; } = InsertAt.Start;
    /// <summary>Words before the block when <see cref="At"/> is <see cref="InsertAt.AfterWords"/>.</summary>
    public int AfterWords { get; init; }

    /// <summary>The token names "[s0]".."[s{Count-1}]" (basic_english and the clean tokenizer never produce them:
    /// a review containing "[s0]" would still be a problem, which <see cref="TokenInsertion.ExtendVocabulary"/> checks).</summary>
    public string[] TokenNames => Enumerable.Range(0, Count).Select(j => $"[s{j}]").ToArray();

    /// <summary>Throws ArgumentException naming the bad field; <paramref name="length"/> is the model's L.</summary>
    public InsertionSpec Validate(int length)
    {
        if (Count < 1) throw new ArgumentException($"the number of inserted tokens (--tokens) must be at least 1, got {Count}");
        if (Count > length - 1)
            throw new ArgumentException($"{Count} inserted tokens (--tokens) do not fit a document of length {length} ([CLS] takes one position): at most {length - 1}");
        if (At == InsertAt.AfterWords && AfterWords < 0) throw new ArgumentException($"the insertion position must be start, end or a word count >= 0, got {AfterWords}");
        int most = length - 1 - Count;   // words that fit before the block in a document of L positions
        if (At == InsertAt.AfterWords && AfterWords > most)
            throw new ArgumentException($"--position {AfterWords}: a document of length {length} holds at most {most} words before the {Count} inserted tokens, so every document would get them at its end; give --position end, or a number up to {most}");
        return this;
    }

    /// <summary>"start", "end" or a word count N (after the first N words).</summary>
    public static InsertionSpec Parse(int count, string position)
    {
        ArgumentNullException.ThrowIfNull(position);
        var p = position.Trim().ToLowerInvariant();
        if (p == "start") return new InsertionSpec { Count = count, At = InsertAt.Start };
        if (p == "end") return new InsertionSpec { Count = count, At = InsertAt.End };
        if (int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return n == 0 ? new InsertionSpec { Count = count } : new InsertionSpec { Count = count, At = InsertAt.AfterWords, AfterWords = n };
        throw new ArgumentException($"--position must be start, end or a number of words N >= 0 (insert after the first N words), got '{position}'");
    }

    public string PositionName => At switch
    {
        InsertAt.Start => "start",
        InsertAt.End => "end",
        _ => AfterWords.ToString(CultureInfo.InvariantCulture),
    };

    public JsonObject ToJson() => new()
    {
        ["count"] = Count,
        ["position"] = PositionName,
        ["tokens"] = new JsonArray(TokenNames.Select(t => (JsonNode?)t).ToArray()),
    };
}

/// <summary>
/// An encoded dataset with the inserted tokens, and where they are: row i's token j sits at position
/// <see cref="Positions"/>[i * k + j] (position 0 is [CLS]).
/// </summary>
public sealed record InsertedDataset(EncodedDataset Data, int[] Positions, InsertionSpec Spec, long FirstTokenId)
{
    public int Count => Data.Count;
    public int TokenCount => Spec.Count;

    /// <summary>The position of inserted token j in row i.</summary>
    public int Position(int row, int j) => Positions[row * Spec.Count + j];

    /// <summary>True where a position takes part in attention when the inserted tokens are masked out (and padding too
    /// when <paramref name="paddingMask"/>): row-major [Count, L].</summary>
    public bool[] AttentionMask(bool paddingMask)
    {
        int n = Count, len = Data.Length, k = Spec.Count;
        var mask = new bool[(long)n * len];
        for (int i = 0; i < n; i++)
        {
            var row = mask.AsSpan(i * len, len);
            if (paddingMask)
            {
                if (Data.Mask is null) throw new ArgumentException("the model uses a padding mask but the data was encoded without one");
                Data.Mask.AsSpan(i * len, len).CopyTo(row);
            }
            else row.Fill(true);
            for (int j = 0; j < k; j++) row[Positions[i * k + j]] = false;
        }
        return mask;
    }
}

/// <summary>
/// Inserting the probe's tokens into encoded documents and deleting them again. A row is [CLS], the kept words, UNK
/// padding; after insertion it is [CLS], the first p words, [s0] .. [s{k-1}], the other kept words, UNK padding, where
/// the words are truncated to the L - 1 - k that still fit (the last ones are dropped) and p is 0 (start), the
/// number of kept words (end), or min(N, kept words) (after N words).
/// </summary>
public static class TokenInsertion
{
    /// <summary>The vocabulary with the inserted tokens appended (ids Count .. Count + k - 1): every existing id is
    /// unchanged, so data encoded with <paramref name="vocabulary"/> stays valid.</summary>
    public static Vocabulary ExtendVocabulary(Vocabulary vocabulary, InsertionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(spec);
        foreach (var t in spec.TokenNames)
            if (vocabulary.Contains(t))
                throw new ArgumentException($"the vocabulary already holds the token '{t}' (id {vocabulary.GetId(t)}): the inserted tokens must be new");
        return Vocabulary.FromTokens(vocabulary.Tokens.Concat(spec.TokenNames));
    }

    /// <summary>Words before the block for a document keeping <paramref name="keptWords"/> words.</summary>
    public static int WordsBefore(InsertionSpec spec, int keptWords) => spec.At switch
    {
        InsertAt.Start => 0,
        InsertAt.End => keptWords,
        _ => Math.Min(spec.AfterWords, keptWords),
    };

    /// <summary>
    /// The insertion on a word list: the first <c>maxWords - k</c> words with the k inserted items placed as the spec
    /// says. Used both on ids (<see cref="Insert(EncodedDataset, InsertionSpec, long)"/>) and on token strings (the
    /// explainers' documents), so both see the same sequence.
    /// </summary>
    public static T[] InsertInto<T>(IReadOnlyList<T> words, IReadOnlyList<T> inserted, InsertionSpec spec, int maxWords, out int wordsBefore)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(inserted);
        int k = inserted.Count;
        if (k != spec.Count) throw new ArgumentException($"{k} inserted items for a spec of {spec.Count}");
        if (k > maxWords) throw new ArgumentException($"{k} inserted tokens do not fit {maxWords} word positions");
        int kept = Math.Min(words.Count, maxWords - k);
        wordsBefore = WordsBefore(spec, kept);
        var result = new T[kept + k];
        for (int w = 0; w < wordsBefore; w++) result[w] = words[w];
        for (int j = 0; j < k; j++) result[wordsBefore + j] = inserted[j];
        for (int w = wordsBefore; w < kept; w++) result[w + k] = words[w];
        return result;
    }

    /// <summary>
    /// Inserts the tokens (ids <paramref name="firstTokenId"/> + j) into every row of <paramref name="data"/>. The mask,
    /// when the data has one, is true on [CLS], the kept words and the inserted tokens. Word counts include the
    /// inserted tokens; a row is marked truncated when it was already or when words had to be dropped.
    /// </summary>
    public static InsertedDataset Insert(EncodedDataset data, InsertionSpec spec, long firstTokenId)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate(data.Length);
        if (firstTokenId < 0) throw new ArgumentException($"the first inserted token id must be non-negative, got {firstTokenId}");
        int n = data.Count, len = data.Length, k = spec.Count;
        var ids = new long[(long)n * len];
        var mask = data.Mask is null ? null : new bool[(long)n * len];
        var positions = new int[n * k];
        var words = new int[n];
        var unknown = new int[n];
        var truncated = new bool[n];
        var tokens = Enumerable.Range(0, k).Select(j => firstTokenId + j).ToArray();
        const long unk = Vocabulary.UnkId;
        for (int i = 0; i < n; i++)
        {
            var src = data.Row(i);
            int w = data.WordCounts[i];
            var kept = InsertInto(src.Slice(1, w).ToArray(), tokens, spec, len - 1, out int before);
            var row = ids.AsSpan(i * len, len);
            row[0] = src[0];
            kept.CopyTo(row[1..]);
            row[(1 + kept.Length)..].Fill(unk);
            if (mask is not null)
            {
                mask.AsSpan(i * len, 1 + kept.Length).Fill(true);
                mask.AsSpan(i * len + 1 + kept.Length, len - 1 - kept.Length).Fill(false);
            }
            for (int j = 0; j < k; j++) positions[i * k + j] = 1 + before + j;
            int keptWords = kept.Length - k;
            words[i] = kept.Length;
            truncated[i] = data.Truncated[i] || keptWords < w;
            // Unknown words among the kept ones (padding is UNK too, but lies beyond the word count).
            int u = 0;
            for (int t = 1; t <= w && t <= keptWords; t++) if (src[t] == unk) u++;
            unknown[i] = u;
        }
        return new InsertedDataset(new EncodedDataset(ids, data.Labels.ToArray(), len, mask, words, unknown, truncated), positions, spec, firstTokenId);
    }

    /// <summary>The inserted rows with the inserted tokens deleted: later words shift left, UNK padding at the end
    /// (the words dropped to make room do not come back).</summary>
    public static EncodedDataset Delete(InsertedDataset inserted)
    {
        ArgumentNullException.ThrowIfNull(inserted);
        var d = inserted.Data;
        int n = d.Count, len = d.Length, k = inserted.Spec.Count;
        var ids = new long[(long)n * len];
        var mask = d.Mask is null ? null : new bool[(long)n * len];
        var words = new int[n];
        for (int i = 0; i < n; i++)
        {
            var src = d.Row(i);
            var row = ids.AsSpan(i * len, len);
            int real = 1 + d.WordCounts[i], pos = 0;
            for (int t = 0; t < real; t++)
            {
                bool isInserted = false;
                for (int j = 0; j < k; j++) if (inserted.Positions[i * k + j] == t) { isInserted = true; break; }
                if (!isInserted) row[pos++] = src[t];
            }
            row[pos..].Fill(Vocabulary.UnkId);
            if (mask is not null)
            {
                mask.AsSpan(i * len, pos).Fill(true);
                mask.AsSpan(i * len + pos, len - pos).Fill(false);
            }
            words[i] = pos - 1;
        }
        return new EncodedDataset(ids, d.Labels.ToArray(), len, mask, words, d.UnknownCounts.ToArray(), d.Truncated.ToArray());
    }
}
