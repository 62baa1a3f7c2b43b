using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// One row of a batch being built by <see cref="BatchedPass"/>: the filler writes the L ids and the real length
/// ([CLS] and the words; the rest is padding), and may hide positions from attention or blank a position's word
/// (keeping its position encoding).
/// </summary>
public ref struct BatchRow
{
    internal BatchRow(Span<long> ids, Span<bool> hidden, Span<bool> blank, int length)
    {
        Ids = ids;
        Hidden = hidden;
        Blank = blank;
        RealLength = length;
    }

    /// <summary>The L ids of the row (all padding on entry: the model's pad id).</summary>
    public Span<long> Ids { get; }

    /// <summary>[CLS] plus the words; positions from here on are padding (L on entry: no padding).</summary>
    public int RealLength { get; set; }

    /// <summary>Positions to leave out of attention besides padding (all false on entry).</summary>
    public Span<bool> Hidden { get; }

    /// <summary>Positions whose word embedding is replaced by zeros, the position encoding kept (all false on entry).</summary>
    public Span<bool> Blank { get; }
}

/// <summary>Writes row <paramref name="index"/> of the whole pass.</summary>
public delegate void RowFiller(int index, ref BatchRow row);

/// <summary>One batch of a <see cref="BatchedPass"/>, its tensors on the model's device, owned by the pass's dispose
/// scope for the batch (move out what must outlive it).</summary>
public sealed class PassBatch
{
    private readonly ITextClassifier _model;
    private readonly Tensor? _keep;

    internal PassBatch(ITextClassifier model, int start, int count, Tensor ids, Tensor? mask, Tensor? keep)
    {
        _model = model;
        Start = start;
        Count = count;
        Ids = ids;
        Mask = mask;
        _keep = keep;
    }

    /// <summary>Index of the batch's first row in the pass.</summary>
    public int Start { get; }

    /// <summary>Rows in this batch.</summary>
    public int Count { get; }

    /// <summary>int64 ids [Count, L] (L: the model's length, or the batch's longest document in a trimmed pass).</summary>
    public Tensor Ids { get; }

    /// <summary>bool [Count, L], true at positions taking part in attention; null when every position does.</summary>
    public Tensor? Mask { get; }

    /// <summary>e [Count, L, d] = WordEmbed(ids) (zero at blanked positions) + PositionEncoding.</summary>
    public Tensor Embedded()
    {
        if (_keep is null) return _model.Embed(Ids);
        using var scope = NewDisposeScope();
        var w = _model.WordEmbed(Ids).mul(_keep);
        return (_model.PositionEncoding is { } pe ? w.add(pe.shape[0] == w.shape[1] ? pe : pe.narrow(0, 0, w.shape[1])) : w).MoveToOuterDisposeScope();
    }

    /// <summary>The logits [Count, C] (under the pass's grad mode).</summary>
    public Tensor Logits() => _model.Logits(Embedded(), Mask);
}

/// <summary>
/// The one loop that runs a model over many rows: builds each batch's ids on the host (through a <see cref="RowFiller"/>),
/// derives the attention mask (padding when the model uses a padding mask, plus hidden positions), makes the tensors on
/// the model's device inside a dispose scope per batch, and hands the batch to the caller, who runs the model and copies
/// out what it needs. Evaluation, the explainers' passes, the perturbation scorer, the faithfulness test's removals and
/// the shortcut probe all run through it.
/// </summary>
public static class BatchedPass
{
    /// <summary>The most bytes a batch's largest temporary tensor may take (<see cref="ITextClassifier.LargestTemporaryBytes"/>):
    /// 128 MiB: 85 documents at H 6, L 256 (a batch of 512 would hold 805 MB of scores per layer). The 1-layer
    /// Transformer's forward ran at 1,958-2,118 documents/s capped, 1,559-2,302 at batches of 32 to 2,048 before
    /// (`bench explain --model`, one run each).</summary>
    public const long TemporaryBudget = 128L << 20;

    /// <summary>The batch size a pass over <paramref name="model"/> uses when asked for <paramref name="batchSize"/>:
    /// at most the budget's worth of the model's largest temporary, at least 1.</summary>
    public static int Capped(ITextClassifier model, int batchSize)
    {
        long per = model.LargestTemporaryBytes;
        return per <= 0 ? batchSize : (int)Math.Clamp(TemporaryBudget / per, 1, batchSize);
    }

    /// <summary>Runs <paramref name="consume"/> on batches of at most <paramref name="batchSize"/> of the
    /// <paramref name="count"/> rows, under no_grad unless <paramref name="gradients"/>. With <paramref name="trim"/>, a
    /// model that reads shorter documents (<see cref="TextInputs.VariableLength"/>) is given each batch cut to its
    /// longest row (the padding after it is masked out anyway): the logits are the same, the work is less.</summary>
    public static void Run(ITextClassifier model, int count, int batchSize, RowFiller fill, Action<PassBatch> consume, bool gradients = false, bool trim = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(consume);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the row count must be non-negative");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        batchSize = Capped(model, batchSize);
        var inputs = model.Inputs;
        int L = inputs.Length;
        int cap = Math.Min(batchSize, Math.Max(count, 1));
        var ids = new long[cap * L];
        var hidden = new bool[cap * L];
        var blank = new bool[cap * L];
        var mask = new bool[cap * L];
        var keep = new float[cap * L];
        using var grad = gradients ? enable_grad() : no_grad();
        for (int start = 0; start < count; start += batchSize)
        {
            int m = Math.Min(batchSize, count - start);
            ids.AsSpan(0, m * L).Fill(inputs.Special.Pad);
            hidden.AsSpan(0, m * L).Clear();
            blank.AsSpan(0, m * L).Clear();
            bool anyHidden = false, anyBlank = false;
            for (int r = 0; r < m; r++)
            {
                var row = new BatchRow(ids.AsSpan(r * L, L), hidden.AsSpan(r * L, L), blank.AsSpan(r * L, L), L);
                fill(start + r, ref row);
                if (row.RealLength is < 1 || row.RealLength > L)
                    throw new ArgumentException($"row {start + r}: real length {row.RealLength} is outside [1, {L}]");
                for (int t = 0; t < L; t++)
                {
                    bool attended = (!inputs.PaddingMask || t < row.RealLength) && !row.Hidden[t];
                    mask[r * L + t] = attended;
                    anyHidden |= !attended;
                    anyBlank |= row.Blank[t];
                    keep[r * L + t] = row.Blank[t] ? 0f : 1f;
                }
            }
            int Lb = L;
            if (trim && inputs.VariableLength && inputs.PaddingMask && !anyBlank)
            {
                // The longest row's real length, hidden positions included (they lie before it).
                Lb = 1;
                for (int r = 0; r < m; r++)
                    for (int t = L - 1; t >= Lb; t--)
                        if (mask[r * L + t]) { Lb = t + 1; break; }
            }
            using var scope = NewDisposeScope();
            var device = model.Device;
            var idT = tensor(Cut(ids, m, L, Lb), [m, Lb], device: device);
            var maskT = inputs.PaddingMask || anyHidden ? tensor(Cut(mask, m, L, Lb), [m, Lb], device: device) : null;
            var keepT = anyBlank ? tensor(keep.AsSpan(0, m * L).ToArray(), [m, L, 1], device: device).to(model.DType) : null;
            consume(new PassBatch(model, start, m, idT, maskT, keepT));
        }
    }

    /// <summary>The first <paramref name="rows"/> rows of a row-major table of width <paramref name="width"/>, each cut
    /// to its first <paramref name="keep"/> values.</summary>
    private static T[] Cut<T>(T[] table, int rows, int width, int keep)
    {
        if (keep == width) return table.AsSpan(0, rows * width).ToArray();
        var result = new T[rows * keep];
        for (int r = 0; r < rows; r++) table.AsSpan(r * width, keep).CopyTo(result.AsSpan(r * keep, keep));
        return result;
    }

    /// <summary>The logits [count, C] of every row, row-major, in float64.</summary>
    public static double[] Logits(ITextClassifier model, int count, int batchSize, RowFiller fill)
    {
        int c = model.Classes;
        var result = new double[(long)count * c];
        Run(model, count, batchSize, fill, b => b.Logits().ToArray<double>().CopyTo(result, (long)b.Start * c), trim: true);
        return result;
    }

    /// <summary>The explained output f of every row (the logit of the explained class), in float64.</summary>
    public static double[] Explained(ITextClassifier model, int count, int batchSize, RowFiller fill)
    {
        var result = new double[count];
        Run(model, count, batchSize, fill, b => model.Explained(b.Logits()).ToArray<double>().CopyTo(result, b.Start), trim: true);
        return result;
    }

    /// <summary>A filler copying rows of ids (row-major, L each) with their real lengths.</summary>
    public static RowFiller FromIds(ReadOnlyMemory<long> ids, ReadOnlyMemory<int>? realLengths, int length) =>
        (int i, ref BatchRow row) =>
        {
            ids.Span.Slice(i * length, length).CopyTo(row.Ids);
            if (realLengths is { } lengths) row.RealLength = lengths.Span[i];
        };
}
