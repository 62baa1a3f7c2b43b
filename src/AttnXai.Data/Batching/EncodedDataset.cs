namespace AttnXai.Data.Batching;

/// <summary>
/// Encoded texts as one row-major table: row i of <see cref="Ids"/> (Count x Length) is text i, with its label,
/// word count, unknown-word count and truncation flag; <see cref="Mask"/> (same shape) when requested.
/// </summary>
public sealed class EncodedDataset
{
    public EncodedDataset(long[] ids, long[] labels, int length, bool[]? mask, int[] wordCounts, int[] unknownCounts, bool[] truncated)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length));
        if (ids.LongLength != (long)labels.Length * length) throw new ArgumentException("ids must hold Count x Length values");
        if (mask != null && mask.LongLength != ids.LongLength) throw new ArgumentException("mask must have the shape of ids");
        if (wordCounts.Length != labels.Length || unknownCounts.Length != labels.Length || truncated.Length != labels.Length)
            throw new ArgumentException("per-row arrays must hold Count values");
        Ids = ids;
        Labels = labels;
        Length = length;
        Mask = mask;
        WordCounts = wordCounts;
        UnknownCounts = unknownCounts;
        Truncated = truncated;
    }

    public long[] Ids { get; }
    public long[] Labels { get; }
    public bool[]? Mask { get; }
    public int Length { get; }
    public int Count => Labels.Length;

    /// <summary>Words kept per row (without [cls]).</summary>
    public int[] WordCounts { get; }

    /// <summary>Unknown words per row.</summary>
    public int[] UnknownCounts { get; }

    public bool[] Truncated { get; }

    public ReadOnlySpan<long> Row(int i) => Ids.AsSpan(i * Length, Length);

    /// <summary>Rows with no word at all (encoded as [cls] + padding).</summary>
    public int EmptyCount => WordCounts.Count(w => w == 0);

    /// <summary>Rows with words, all of them unknown.</summary>
    public int AllUnknownCount => Enumerable.Range(0, Count).Count(i => WordCounts[i] > 0 && UnknownCounts[i] == WordCounts[i]);

    /// <summary>A copy holding the given rows, in the given order.</summary>
    public EncodedDataset Subset(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int n = rows.Count;
        var ids = new long[(long)n * Length];
        var mask = Mask is null ? null : new bool[(long)n * Length];
        var labels = new long[n];
        var words = new int[n];
        var unknown = new int[n];
        var truncated = new bool[n];
        for (int k = 0; k < n; k++)
        {
            int r = rows[k];
            if ((uint)r >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(rows), r, "row out of range");
            Row(r).CopyTo(ids.AsSpan(k * Length, Length));
            if (mask != null) Mask!.AsSpan(r * Length, Length).CopyTo(mask.AsSpan(k * Length, Length));
            labels[k] = Labels[r];
            words[k] = WordCounts[r];
            unknown[k] = UnknownCounts[r];
            truncated[k] = Truncated[r];
        }
        return new EncodedDataset(ids, labels, Length, mask, words, unknown, truncated);
    }
}
