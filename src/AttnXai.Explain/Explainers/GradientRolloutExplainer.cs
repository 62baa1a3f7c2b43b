using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// Gradient-weighted attention rollout of Chefer, Gur and Wolf (ICCV 2021, "Generic Attention-model Explainability for
/// Interpreting Bi-Modal and Encoder-Decoder Transformers", Eqs. 5-6 for self-attention): per layer
/// <c>A_bar_l = mean_h ( (df/dA_l^(h) ⊙ A_l^(h))^+ )</c>, the positive part taken per head before the mean (as the
/// paper's Eq. 5 and the authors' code do; "the positive part of the head mean" would differ when heads disagree in
/// sign), then <c>R = I</c> and <c>R = R + A_bar_l R</c> for l = 1..N, i.e. <c>R = (I + A_bar_N) ... (I + A_bar_1)</c>,
/// without renormalisation. The score of token t is the [CLS] row R[0, t] at positions 1..T (computed as a row vector,
/// as <see cref="AttentionRolloutExplainer.ClsRow"/>). f is the explained logit; df/dA is autograd's gradient with
/// respect to the maps the model returns (which must be the tensors its logits were computed from). On a one-layer
/// model R[0, t] = (1/H) sum_h (alpha_t^(h) df/dalpha_t^(h))^+, the per-head terms of AttGrad, clamped and averaged.
/// Unsigned (non-negative). Needs a model with attention maps.
/// </summary>
public sealed class GradientRolloutExplainer(WordAggregation aggregation = WordAggregation.Auto) : TokenExplainer(aggregation), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("grad-rollout", "gradient-weighted attention rollout (Chefer et al. 2021): [CLS] row of the product over layers of I + the mean over heads of each head's (df/dA x A)^+",
            Signed: false, typeof(IAttentionModel), (s, _) => new GradientRolloutExplainer(s.Aggregation)) { Order = 66 },
    ];

    /// <summary>Documents per pass: every layer's maps and their gradients are held at once.</summary>
    public const int MaxBatch = 8;

    public override string Name => "grad-rollout";

    protected override IEnumerable<KeyValuePair<string, string>> MethodSettings() =>
        [new("heads", "mean of the per-head positive parts"), new("update", "R = R + A_bar R from R = I, first layer first"), new("gradient", "of the explained logit")];

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var model = (IAttentionModel)target.Model;
        int L = model.Inputs.Length;
        return ModelPasses.PositionScores(model, documents, Math.Min(target.BatchSize, MaxBatch), gradients: true, batch =>
        {
            // e a leaf, so that the maps are in a graph whatever the parameters' requires_grad.
            var e = batch.Embedded().detach().requires_grad_(true);
            var (logits, maps) = model.LogitsAndAttention(e, batch.Mask);
            var f = model.Explained(logits);
            var grads = ModelPasses.MapGradients(f, maps, l => NotInGraph(model, l, maps.Count));
            var steps = new List<Tensor>(maps.Count);
            for (int l = 0; l < maps.Count; l++)
            {
                var abar = grads[l].mul(maps[l]).detach().to(ScalarType.Float64).clamp_min(0).mean([1]);   // A_bar_l [B, L, L]
                steps.Add(abar.add(eye(L, dtype: ScalarType.Float64, device: abar.device)));              // I + A_bar_l
            }
            return (AttentionRolloutExplainer.ClsRow(steps), f);
        });
    }

    private ArgumentException NotInGraph(IAttentionModel model, int layer, int layers) =>
        new($"{Name}: the attention map of layer {layer + 1} of {layers} of {model.Describe()} is not part of the graph of its logits (return the tensors the forward pass used, not copies or views made afterwards)");
}
