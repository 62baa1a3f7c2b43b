using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

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

/// <summary><see cref="IPerturbationModel"/> through any <see cref="IDocumentScorer"/>: builds the perturbed ids of each mask row.</summary>
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
        var ids = new long[(long)count * L];
        var lengths = new int[count];
        for (int r = 0; r < count; r++)
            lengths[r] = Document.PerturbedIds(keep.Slice(r * d, d), Mode, ids.AsSpan(r * L, L));
        return Scorer.Score(ids, lengths, count);
    }
}
