using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// Attention rollout (Abnar and Zuidema, ACL 2020, "Quantifying Attention Flow in Transformers"): per layer l the
/// head-averaged attention plus the identity (the residual connection), rows renormalised,
/// <c>A~_l = (mean_h A_l^(h) + I) / rowsum</c> (= (A + I) / 2, the rows of A summing to 1), multiplied through the
/// layers as in the paper's recursion A~(l_i) = A(l_i) A~(l_{i-1}): <c>R = A~_N ... A~_2 A~_1</c>, so that the first
/// layer acts first on the inputs (R[q, s] is the flow from input position s to the last layer's position q). The score
/// of token t is the [CLS] row R[0, t] at positions 1..T. Computed as the row vector <c>e_0^T A~_N ... A~_1</c>
/// (O(N L^2) per document, not the L^3 of the matrix product), in float64, from the maps the model returns (no
/// gradient). On a one-layer model R[0, t] = alpha-avg_t / 2 for t &gt;= 1 (and (alpha-avg_0 + 1) / 2 at [CLS]).
/// Unsigned. Needs a model with attention maps.
/// </summary>
public sealed class AttentionRolloutExplainer(WordAggregation aggregation = WordAggregation.Auto) : TokenExplainer(aggregation), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("rollout", "attention rollout (Abnar and Zuidema 2020): the [CLS] row of the product over layers of (head-mean attention + I) / 2",
            Signed: false, typeof(IAttentionModel), (s, _) => new AttentionRolloutExplainer(s.Aggregation)) { Order = 25 },
    ];

    /// <summary>Documents per forward pass: every layer's L x L maps are held at once.</summary>
    public const int MaxBatch = 16;

    public override string Name => "rollout";

    protected override IEnumerable<KeyValuePair<string, string>> MethodSettings() =>
        [new("heads", "mean"), new("residual", "(A + I), rows renormalised"), new("order", "R = A_N ... A_1, [CLS] row")];

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var model = (IAttentionModel)target.Model;
        return ModelPasses.PositionScores(model, documents, Math.Min(target.BatchSize, MaxBatch), gradients: false, batch =>
        {
            var (logits, maps) = model.LogitsAndAttention(batch.Embedded(), batch.Mask);
            var mixed = maps.Select(a => ResidualMix(a.to(ScalarType.Float64).mean([1]))).ToList();   // A~_l [B, L, L]
            return (ClsRow(mixed), model.Explained(logits));                                          // [B, L], [B]
        });
    }

    /// <summary>(A + I) with its rows renormalised to sum to 1: A [B, L, L] with rows summing to 1 gives (A + I) / 2.</summary>
    public static Tensor ResidualMix(Tensor a)
    {
        using var scope = NewDisposeScope();
        var m = a.add(eye(a.size(-1), dtype: a.dtype, device: a.device));
        return m.div(m.sum(-1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <summary>The [CLS] row of M_N ... M_1 for per-layer matrices M_l [B, L, L] (first layer first in the list): the
    /// row vector e_0^T multiplied by M_N, then M_{N-1}, ..., then M_1. [B, L].</summary>
    public static Tensor ClsRow(IReadOnlyList<Tensor> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("the model reported no attention layer", nameof(layers));
        using var scope = NewDisposeScope();
        int n = layers.Count;
        var r = layers[n - 1].narrow(1, 0, 1);                       // e_0^T M_N: [B, 1, L]
        for (int l = n - 2; l >= 0; l--) r = r.bmm(layers[l]);        // then M_{N-1}, ..., M_1
        return r.squeeze(1).MoveToOuterDisposeScope();
    }
}
