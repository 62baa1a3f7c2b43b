using AttnXai.Explain;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Faithfulness;

/// <summary>One document to score: as it is (<see cref="Word"/> = -1), or without one distinct word (all its occurrences).</summary>
public readonly record struct RemovalRequest(ExplainDocument Document, int Word, FeatureRemoval Removal)
{
    public static RemovalRequest Original(ExplainDocument document) => new(document, -1, FeatureRemoval.Delete);
}

/// <summary>
/// The model's two logits on documents with one word removed in one of the three ways of <see cref="FeatureRemoval"/>.
/// Every row goes through the same path: e = W_e[ids] * keep + PE with keep 0 at zeroed positions (1 elsewhere, an exact
/// no-op), then <see cref="AttentionClassifier.ForwardEmbedded"/> with a softmax mask that is false at attention-masked
/// positions (and at padding when the model was trained with a padding mask). Deleted words are removed from the ids
/// before encoding, as <see cref="ExplainDocument.PerturbedIds"/> does.
/// </summary>
public sealed class RemovalModel
{
    public RemovalModel(AttentionClassifier model, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        Model = model;
        BatchSize = batchSize;
    }

    public AttentionClassifier Model { get; }
    public int BatchSize { get; }

    /// <summary>The 1-based positions (as the model sees them, [CLS] at 0) of the occurrences of word j.</summary>
    public static int[] Positions(ExplainDocument document, int word)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (word < 0 || word >= document.WordCount) throw new ArgumentOutOfRangeException(nameof(word), word, $"the document has {document.WordCount} distinct words");
        var p = new List<int>();
        for (int t = 0; t < document.TokenCount; t++) if (document.WordOfToken[t] == word) p.Add(t + 1);
        return p.ToArray();
    }

    /// <summary>(negative, positive) logits of each request, in float64.</summary>
    public (double Negative, double Positive)[] Logits(IReadOnlyList<RemovalRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var cfg = Model.Config;
        int L = cfg.Length;
        var result = new (double, double)[requests.Count];
        using var noGrad = torch.no_grad();
        for (int start = 0; start < requests.Count; start += BatchSize)
        {
            int m = Math.Min(BatchSize, requests.Count - start);
            var ids = new long[m * L];
            var keep = new double[m * L];
            var mask = new bool[m * L];
            for (int b = 0; b < m; b++)
                Fill(requests[start + b], start + b, ids.AsSpan(b * L, L), keep.AsSpan(b * L, L), mask.AsSpan(b * L, L));
            using var scope = torch.NewDisposeScope();
            var device = Model.Device;
            var idT = torch.tensor(ids, [m, L], device: device);
            var keepT = torch.tensor(keep, [m, L, 1], device: device).to(Model.DType);
            var maskT = torch.tensor(mask, [m, L], device: device);
            var e = Functional.embedding(idT, Model.EmbeddingWeight).mul(keepT).add(Model.PositionEncoding);
            var logits = Model.ForwardEmbedded(e, maskT).Logits.ToArray<double>();
            for (int b = 0; b < m; b++) result[start + b] = (logits[2 * b], logits[2 * b + 1]);
        }
        return result;
    }

    private void Fill(RemovalRequest r, int index, Span<long> ids, Span<double> keep, Span<bool> mask)
    {
        var doc = r.Document ?? throw new ArgumentException($"request {index} has no document");
        var cfg = Model.Config;
        if (doc.Length != cfg.Length) throw new ArgumentException($"document '{doc.Label}' was encoded for length {doc.Length}, the model has {cfg.Length}");
        if (r.Word < -1 || r.Word >= doc.WordCount)
            throw new ArgumentException($"request {index}: word {r.Word} is outside document '{doc.Label}' (d = {doc.WordCount})");
        keep.Fill(1);
        int realLength = doc.RealLength;
        if (r.Word < 0) doc.Ids.CopyTo(ids);
        else if (r.Removal == FeatureRemoval.Delete)
        {
            var keepWords = new bool[doc.WordCount];
            keepWords.AsSpan().Fill(true);
            keepWords[r.Word] = false;
            realLength = doc.PerturbedIds(keepWords, RemovalMode.Delete, ids);
        }
        else doc.Ids.CopyTo(ids);
        // Paper mode: every position takes part in the softmax, padding included; with a padding mask only the real ones.
        mask[..(cfg.PaddingMask ? realLength : cfg.Length)].Fill(true);
        if (r.Word >= 0 && r.Removal != FeatureRemoval.Delete)
            foreach (int t in Positions(doc, r.Word))
            {
                if (r.Removal == FeatureRemoval.ZeroEmbedding) keep[t] = 0;
                else mask[t] = false;
            }
    }
}
