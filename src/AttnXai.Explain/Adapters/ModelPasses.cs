using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Adapters;

/// <summary>What one batched pass gives per document (arrays row-major, in float64).</summary>
/// <param name="Output">f, the raw positive logit.</param>
/// <param name="Attention">[K, L]: the [CLS] row of each head's attention.</param>
/// <param name="Embedded">[L, d_e]: e_t = W_e[x_t] + PE(t); null unless gradients were asked for.</param>
/// <param name="Gradient">[L, d_e]: grad of f w.r.t. e (libtorch autograd); null unless asked for.</param>
public sealed record DocumentPass(double Output, double[] Attention, double[]? Embedded, double[]? Gradient);

/// <summary>Forward passes (and autograd gradients) of many documents through the model, in batches.</summary>
public static class ModelPasses
{
    /// <summary>
    /// Runs the documents through <see cref="AttentionClassifier.Forward"/> (under no_grad) or, with
    /// <paramref name="gradients"/>, through <see cref="AttentionClassifier.ForwardEmbedded"/> with e a leaf requiring
    /// grad and torch.autograd.grad of sum_b f_b with respect to e (documents are independent, so row b of the result
    /// is document b's gradient; the model's parameters accumulate nothing).
    /// </summary>
    public static DocumentPass[] Run(AttentionClassifier model, IReadOnlyList<ExplainDocument> documents, bool gradients, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(documents);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        var cfg = model.Config;
        int L = cfg.Length, K = cfg.Heads, De = cfg.EmbedDim;
        var result = new DocumentPass[documents.Count];
        for (int start = 0; start < documents.Count; start += batchSize)
        {
            int m = Math.Min(batchSize, documents.Count - start);
            var ids = new long[m * L];
            var mask = cfg.PaddingMask ? new bool[m * L] : null;
            for (int b = 0; b < m; b++)
            {
                var doc = documents[start + b];
                if (doc.Length != L) throw new ArgumentException($"document {start + b} was encoded for length {doc.Length}, the model has {L}", nameof(documents));
                doc.Ids.CopyTo(ids, b * L);
                mask?.AsSpan(b * L, doc.RealLength).Fill(true);
            }
            using var scope = torch.NewDisposeScope();
            var device = model.Device;
            var idT = torch.tensor(ids, [m, L], device: device);
            var maskT = mask is null ? null : torch.tensor(mask, [m, L], device: device);
            double[] f, att;
            double[]? e = null, g = null;
            if (!gradients)
            {
                using var ng = torch.no_grad();
                var r = model.Forward(idT, maskT);
                f = r.PositiveLogit.ToArray<double>();
                att = r.Attention.ToArray<double>();
            }
            else
            {
                using var eg = torch.enable_grad();
                Tensor leaf;
                using (torch.no_grad()) leaf = model.Embed(idT).detach();
                leaf.requires_grad = true;
                var r = model.ForwardEmbedded(leaf, maskT);
                var pos = r.PositiveLogit;
                var total = pos.sum();
                var grads = torch.autograd.grad([total], [leaf]);
                f = pos.ToArray<double>();
                att = r.Attention.ToArray<double>();
                e = leaf.ToArray<double>();
                g = grads[0]!.ToArray<double>();
            }
            for (int b = 0; b < m; b++)
                result[start + b] = new DocumentPass(
                    f[b], att.AsSpan(b * K * L, K * L).ToArray(),
                    e?.AsSpan(b * L * De, L * De).ToArray(), g?.AsSpan(b * L * De, L * De).ToArray());
        }
        return result;
    }
}
