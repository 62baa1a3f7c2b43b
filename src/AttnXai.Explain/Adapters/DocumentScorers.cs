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
/// The generic batched forward of an <see cref="AttentionClassifier"/>: id tensors of at most <see cref="BatchSize"/>
/// rows through <see cref="AttentionClassifier.Forward"/> under no_grad, reading <see cref="ForwardResult.PositiveLogit"/>.
/// </summary>
public sealed class AttentionClassifierScorer : IDocumentScorer
{
    public AttentionClassifierScorer(AttentionClassifier model, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        Model = model;
        BatchSize = batchSize;
    }

    public AttentionClassifier Model { get; }
    public int BatchSize { get; }
    public int Length => Model.Config.Length;

    public double[] Score(ReadOnlySpan<long> ids, ReadOnlySpan<int> realLengths, int count)
    {
        int L = Length;
        if ((long)count * L != ids.Length) throw new ArgumentException($"{ids.Length} ids for {count} rows of {L}", nameof(ids));
        if (realLengths.Length != count) throw new ArgumentException($"{realLengths.Length} real lengths for {count} rows", nameof(realLengths));
        var y = new double[count];
        bool masked = Model.Config.PaddingMask;
        var device = Model.Device;
        using var noGrad = torch.no_grad();
        for (int start = 0; start < count; start += BatchSize)
        {
            int m = Math.Min(BatchSize, count - start);
            using var scope = torch.NewDisposeScope();
            var idT = torch.tensor(ids.Slice(start * L, m * L).ToArray(), [m, L], device: device);
            Tensor? maskT = null;
            if (masked)
            {
                var mask = new bool[m * L];
                for (int r = 0; r < m; r++) mask.AsSpan(r * L, realLengths[start + r]).Fill(true);
                maskT = torch.tensor(mask, [m, L], device: device);
            }
            var result = Model.Forward(idT, maskT);
            result.PositiveLogit.ToArray<double>().CopyTo(y, start);
        }
        return y;
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
