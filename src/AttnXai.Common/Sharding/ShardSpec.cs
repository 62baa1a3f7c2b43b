using System.Globalization;

namespace AttnXai.Common.Sharding;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (1-based, written "I/N" as in <c>--shard 2/8</c>): one of N
/// disjoint, contiguous slices of a study's documents that together cover them all, in order. A study computes its
/// documents in chunks (its batches: documents computed together); a shard owns whole chunks, so that every document
/// is computed in the same batch, with the same seed (derived from its index in the whole run), as in an unsharded run,
/// and the merged per-document rows are byte-identical to that run's.
/// </summary>
public readonly record struct ShardSpec
{
    public ShardSpec(int index, int count)
    {
        if (count < 1) throw new ArgumentException($"{index}/{count}: the number of shards N must be at least 1");
        if (index < 1) throw new ArgumentException($"{index}/{count}: shards are numbered from 1 (1/{count} to {count}/{count})");
        if (index > count) throw new ArgumentException($"{index}/{count}: there is no shard {index} of {count} (I must be at most N)");
        Index = index;
        Count = count;
    }

    /// <summary>I, from 1 to N.</summary>
    public int Index { get; }

    /// <summary>N, the number of shards of the run.</summary>
    public int Count { get; }

    /// <summary>The whole run as one shard.</summary>
    public static ShardSpec Whole { get; } = new(1, 1);

    public bool IsWhole => Count == 1;

    /// <summary>Parses "I/N" (whole numbers, 1 &lt;= I &lt;= N); the ArgumentException names the text.</summary>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new ArgumentException($"'{text}' is not I/N (shard I of N, whole numbers, e.g. 2/8)");
        return new ShardSpec(i, n);
    }

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Chunks of <paramref name="chunkSize"/> documents (the last one may be shorter) that <paramref name="documents"/> make.</summary>
    public static int Chunks(int documents, int chunkSize)
    {
        if (documents < 0) throw new ArgumentOutOfRangeException(nameof(documents), documents, "the number of documents must be non-negative");
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "the chunk size must be at least 1");
        return (int)(((long)documents + chunkSize - 1) / chunkSize);
    }

    /// <summary>
    /// The document indices [Start, End) of this shard: the documents are cut into chunks of <paramref name="chunkSize"/>,
    /// and shard I owns chunks floor((I - 1) C / N) to floor(I C / N) - 1 of the C chunks (as even as whole chunks allow).
    /// </summary>
    public Range Slice(int documents, int chunkSize = 1)
    {
        long chunks = Chunks(documents, chunkSize);
        int first = (int)((Index - 1) * chunks / Count), end = (int)(Index * chunks / Count);
        return new Range((int)Math.Min(documents, (long)first * chunkSize), (int)Math.Min(documents, (long)end * chunkSize));
    }

    /// <summary>
    /// Throws unless every one of the N shards gets at least one chunk: N at most the number of chunks. The message
    /// names <paramref name="option"/> ("--shard 3/12: ...") and the documents (<paramref name="what"/>, e.g.
    /// "the 10 documents of --count").
    /// </summary>
    public void CheckFits(int documents, int chunkSize, string what, string option = "--shard")
    {
        int chunks = Chunks(documents, chunkSize);
        if (Count <= chunks) return;
        string made = chunkSize == 1 ? "" : $", which make {chunks} chunk{(chunks == 1 ? "" : "s")} of {chunkSize} (a shard computes whole chunks)";
        throw new ArgumentException($"{option} {this}: {Count} shards for {what}{made}: use at most {chunks} shard{(chunks == 1 ? "" : "s")}" +
                                    (chunkSize == 1 ? "" : " or a smaller chunk size"));
    }
}
