using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Adapters;

/// <summary>What one batched pass gives per document (arrays row-major, in float64).</summary>
/// <param name="Output">f, the explained logit.</param>
/// <param name="Attention">[H, L]: the [CLS] row of each head's attention in the last layer; null when the model has
/// no attention maps or they were not asked for.</param>
/// <param name="Embedded">[L, d]: the input embeddings e; null unless gradients were asked for.</param>
/// <param name="Gradient">[L, d]: grad of f w.r.t. e (autograd); null unless asked for.</param>
public sealed record DocumentPass(double Output, double[]? Attention, double[]? Embedded, double[]? Gradient);

/// <summary>Forward passes (and autograd gradients) of many documents through any model, in batches.</summary>
public static class ModelPasses
{
    /// <summary>
    /// Runs the documents through the model (<see cref="BatchedPass"/>; under no_grad, or with <paramref name="gradients"/>
    /// with e a leaf requiring grad and torch.autograd.grad of sum_b f_b with respect to e: documents are independent,
    /// so row b of the result is document b's gradient and the model's parameters accumulate nothing). With
    /// <paramref name="attention"/> the model must be an <see cref="IAttentionModel"/>; the last layer's [CLS] row is kept.
    /// </summary>
    public static DocumentPass[] Run(ITextClassifier model, IReadOnlyList<ExplainDocument> documents, bool gradients, int batchSize = 64, bool attention = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(documents);
        var attentive = attention ? model as IAttentionModel ?? throw new ArgumentException($"attention was asked of a model without attention maps ({model.Describe()})") : null;
        int L = model.Inputs.Length;
        foreach (var (doc, i) in documents.Select((d, i) => (d, i)))
            if (doc.Length != L) throw new ArgumentException($"document {i} was encoded for length {doc.Length}, the model has {L}", nameof(documents));
        var result = new DocumentPass[documents.Count];
        BatchedPass.Run(model, documents.Count, batchSize, Rows(documents), batch =>
        {
            int m = batch.Count;
            Tensor e = batch.Embedded();
            if (gradients) e = e.detach().requires_grad_(true);
            Tensor logits, cls;
            if (attentive is not null) (logits, cls) = attentive.LogitsAndClsAttention(e, batch.Mask);
            else (logits, cls) = (model.Logits(e, batch.Mask), null!);
            var f = model.Explained(logits);
            double[]? att = attentive is null ? null : cls.ToArray<double>();
            double[]? eArr = null, g = null;
            if (gradients)
            {
                var grads = torch.autograd.grad([f.sum()], [e]);
                eArr = e.ToArray<double>();
                g = grads[0]!.ToArray<double>();
            }
            var fArr = f.ToArray<double>();
            int H = att is null ? 0 : att.Length / (m * L), D = eArr is null ? 0 : eArr.Length / (m * L);
            for (int b = 0; b < m; b++)
                result[batch.Start + b] = new DocumentPass(fArr[b], att?.AsSpan(b * H * L, H * L).ToArray(),
                    eArr?.AsSpan(b * L * D, L * D).ToArray(), g?.AsSpan(b * L * D, L * D).ToArray());
        }, gradients);
        return result;
    }

    /// <summary>
    /// The scaffold of the token methods that read one score per position off a batched pass (attention rollout,
    /// gradient rollout, AttGrad): the documents in batches of at most <paramref name="batchSize"/> (with
    /// <paramref name="gradients"/>, autograd on in the pass); <paramref name="pass"/> gives per batch the scores of
    /// every position [B, L] and the explained output f [B] (converted to float64 here). Per document: the scores at
    /// its token positions 1..T, and f as the "output" diagnostic.
    /// </summary>
    public static (double[] Tokens, Dictionary<string, double>? Diagnostics)[] PositionScores(ITextClassifier model, IReadOnlyList<ExplainDocument> documents,
        int batchSize, bool gradients, Func<PassBatch, (Tensor Scores, Tensor Output)> pass)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(pass);
        int L = model.Inputs.Length;
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        BatchedPass.Run(model, documents.Count, batchSize, Rows(documents), batch =>
        {
            var (scores, output) = pass(batch);
            var row = scores.to(ScalarType.Float64).ToArray<double>();
            var f = output.detach().to(ScalarType.Float64).ToArray<double>();
            for (int b = 0; b < batch.Count; b++)
            {
                var doc = documents[batch.Start + b];
                result[batch.Start + b] = (row.AsSpan(b * L + 1, doc.TokenCount).ToArray(), new Dictionary<string, double> { ["output"] = f[b] });
            }
        }, gradients);
        return result;
    }

    /// <summary>df/dA for attention maps the pass returned (autograd, allow_unused so that a map outside the graph of
    /// the logits gets this ArgumentException, from <paramref name="notInGraph"/> with the map's index, instead of
    /// libtorch's error, which TorchSharp 0.107 lets terminate the process).</summary>
    public static Tensor[] MapGradients(Tensor f, IReadOnlyList<Tensor> maps, Func<int, ArgumentException> notInGraph)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(maps);
        for (int l = 0; l < maps.Count; l++)
            if (!maps[l].requires_grad) throw notInGraph(l);
        var g = torch.autograd.grad([f.sum()], [.. maps], allow_unused: true);
        for (int l = 0; l < maps.Count; l++)
            if (g[l] is null || g[l].IsInvalid) throw notInGraph(l);
        return [.. g];
    }

    /// <summary>The documents as <see cref="BatchedPass"/> rows.</summary>
    public static RowFiller Rows(IReadOnlyList<ExplainDocument> documents) =>
        (int i, ref BatchRow row) =>
        {
            var doc = documents[i];
            doc.Ids.CopyTo(row.Ids);
            row.RealLength = doc.RealLength;
        };
}
