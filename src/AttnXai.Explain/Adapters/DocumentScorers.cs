using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Adapters;

/// <summary>
/// Any classifier of encoded documents: the explained output f (a raw logit) of rows of Length ids. A padding mask,
/// when the model uses one, is true at positions below each row's real length.
/// </summary>
public interface IDocumentScorer
{
    /// <summary>L, ids per row.</summary>
    int Length { get; }

    /// <summary>f for <paramref name="count"/> rows of ids (row-major, count x Length) with their real lengths.</summary>
    double[] Score(ReadOnlySpan<long> ids, ReadOnlySpan<int> realLengths, int count);
}

/// <summary>
/// The generic batched forward of any <see cref="ITextClassifier"/>: rows through <see cref="BatchedPass"/> in batches
/// of at most <see cref="BatchSize"/>, under no_grad, reading the explained logit.
/// </summary>
public sealed class ClassifierScorer : IDocumentScorer
{
    public ClassifierScorer(ITextClassifier model, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        Model = model;
        BatchSize = batchSize;
    }

    public ITextClassifier Model { get; }
    public int BatchSize { get; }
    public int Length => Model.Inputs.Length;

    public double[] Score(ReadOnlySpan<long> ids, ReadOnlySpan<int> realLengths, int count)
    {
        int L = Length;
        if ((long)count * L != ids.Length) throw new ArgumentException($"{ids.Length} ids for {count} rows of {L}", nameof(ids));
        if (realLengths.Length != count) throw new ArgumentException($"{realLengths.Length} real lengths for {count} rows", nameof(realLengths));
        return BatchedPass.Explained(Model, count, BatchSize, BatchedPass.FromIds(ids.ToArray(), realLengths.ToArray(), L));
    }
}

/// <summary>
/// <see cref="IPerturbationModel"/> through any <see cref="IDocumentScorer"/>: builds the perturbed ids of each mask row
/// and scores each distinct perturbed document once. Rows often coincide: the same mask drawn twice (LIME draws few
/// distinct masks when it removes one word, all but one, or all of them) or masks that differ only on words the
/// vocabulary maps to UNK. Two rows are the same document when their ids and real lengths are equal.
/// </summary>
public sealed class ScorerPerturbationModel : IPerturbationModel
{
    public ScorerPerturbationModel(IDocumentScorer scorer, ExplainDocument document, RemovalMode mode)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Length != scorer.Length)
            throw new ArgumentException($"the document was encoded for length {document.Length}, the model has {scorer.Length}", nameof(document));
        Scorer = scorer;
        Document = document;
        Mode = mode;
    }

    public IDocumentScorer Scorer { get; }
    public ExplainDocument Document { get; }
    public RemovalMode Mode { get; }
    public int FeatureCount => Document.WordCount;

    public double[] Evaluate(ReadOnlySpan<bool> keep, int count)
    {
        int d = FeatureCount, L = Document.Length;
        if ((long)count * d != keep.Length) throw new ArgumentException($"{keep.Length} flags for {count} rows of d = {d}", nameof(keep));
        // Each row's ids are written into the next free slot; a row equal to an earlier distinct one reuses its slot.
        var distinct = new DistinctDocuments(count, L);
        var slotOfRow = new int[count];
        for (int r = 0; r < count; r++)
        {
            int real = Document.PerturbedIds(keep.Slice(r * d, d), Mode, distinct.NextSlot);
            slotOfRow[r] = distinct.Add(real);
        }
        var scores = Scorer.Score(distinct.Ids, distinct.RealLengths, distinct.Count);
        var y = new double[count];
        for (int r = 0; r < count; r++) y[r] = scores[slotOfRow[r]];
        return y;
    }

    /// <summary>
    /// Distinct documents (ids and real length) packed one after the other, with a hash index over them: a candidate
    /// is written into <see cref="NextSlot"/>, then <see cref="Add"/> keeps it or finds its earlier copy.
    /// </summary>
    private sealed class DistinctDocuments : IEqualityComparer<int>
    {
        private readonly long[] _ids;
        private readonly int[] _realLengths;
        private readonly int _length;
        private readonly Dictionary<int, int> _index;

        public DistinctDocuments(int capacity, int length)
        {
            _ids = new long[(long)capacity * length];
            _realLengths = new int[capacity];
            _length = length;
            _index = new Dictionary<int, int>(capacity, this);
        }

        public int Count { get; private set; }
        public Span<long> NextSlot => _ids.AsSpan(Count * _length, _length);
        public ReadOnlySpan<long> Ids => _ids.AsSpan(0, Count * _length);
        public ReadOnlySpan<int> RealLengths => _realLengths.AsSpan(0, Count);

        /// <summary>
        /// The slot of the document in <see cref="NextSlot"/> (real length <paramref name="realLength"/>; past it, UNK
        /// padding): its earlier copy's, or a new one.
        /// </summary>
        public int Add(int realLength)
        {
            _realLengths[Count] = realLength;
            if (_index.TryGetValue(Count, out int earlier)) return earlier;
            _index.Add(Count, Count);
            return Count++;
        }

        private ReadOnlySpan<long> Slot(int slot) => _ids.AsSpan(slot * _length, _length);

        public bool Equals(int a, int b) =>
            _realLengths[a] == _realLengths[b] && Slot(a)[.._realLengths[a]].SequenceEqual(Slot(b)[.._realLengths[b]]);

        public int GetHashCode(int slot)
        {
            var hash = new HashCode();
            hash.Add(_realLengths[slot]);
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Slot(slot).Slice(0, _realLengths[slot])));
            return hash.ToHashCode();
        }
    }
}
