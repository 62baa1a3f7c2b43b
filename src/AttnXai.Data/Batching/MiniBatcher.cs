using AttnXai.Common.Random;

namespace AttnXai.Data.Batching;

/// <summary>One mini-batch: <see cref="Ids"/> is BatchSize x Length, row-major.</summary>
/// <param name="Indices">The dataset rows in this batch, in order.</param>
public sealed record Batch(long[] Ids, long[] Labels, int BatchSize, int Length, int[] Indices, bool[]? Mask, int Epoch, int Index);

/// <summary>
/// Shuffled mini-batches. The order of epoch e is the Fisher-Yates permutation (<see cref="SplitMix64.Shuffle{T}"/>)
/// of the rows drawn from a SplitMix64 seeded with <c>SplitMix64.Derive(seed, e)</c>, so it depends only on
/// (seed, epoch): training can resume at any (epoch, batch). Batches take consecutive runs of that order; the last,
/// shorter batch is dropped when <c>dropLast</c> is set (as the authors do) and kept otherwise.
/// </summary>
public sealed class MiniBatcher
{
    private readonly EncodedDataset _data;

    public MiniBatcher(EncodedDataset data, int batchSize, ulong seed, bool shuffle = true, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        _data = data;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    public int BatchSize { get; }
    public ulong Seed { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }

    public int BatchesPerEpoch => DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The row order of an epoch (identity when not shuffling).</summary>
    public int[] EpochOrder(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch));
        if (!Shuffle) return Enumerable.Range(0, _data.Count).ToArray();
        return new SplitMix64(SplitMix64.Derive(Seed, (ulong)epoch)).Permutation(_data.Count);
    }

    /// <summary>The batches of an epoch, starting at batch <paramref name="startBatch"/> (for resuming).</summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        var order = EpochOrder(epoch);
        for (int b = startBatch; b < BatchesPerEpoch; b++) yield return Make(order, epoch, b);
    }

    /// <summary>One batch of an epoch.</summary>
    public Batch GetBatch(int epoch, int index)
    {
        if ((uint)index >= (uint)BatchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(index));
        return Make(EpochOrder(epoch), epoch, index);
    }

    private Batch Make(int[] order, int epoch, int index)
    {
        int start = index * BatchSize;
        int size = Math.Min(BatchSize, order.Length - start);
        int len = _data.Length;
        var ids = new long[size * len];
        var labels = new long[size];
        var rows = new int[size];
        var mask = _data.Mask is null ? null : new bool[size * len];
        for (int k = 0; k < size; k++)
        {
            int r = order[start + k];
            rows[k] = r;
            _data.Row(r).CopyTo(ids.AsSpan(k * len, len));
            if (mask != null) _data.Mask!.AsSpan(r * len, len).CopyTo(mask.AsSpan(k * len, len));
            labels[k] = _data.Labels[r];
        }
        return new Batch(ids, labels, size, len, rows, mask, epoch, index);
    }
}
