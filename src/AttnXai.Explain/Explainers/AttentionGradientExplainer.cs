using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// Attention x Gradient (AttGrad, Liu et al., ICML 2022): the [CLS] query's attention on token t in the last layer,
/// times the gradient of f with respect to that attention weight, summed over heads:
/// AttGrad_t = sum_i alpha_t^(i) df/dalpha_t^(i), through autograd (the attention weights are intermediate tensors of
/// the graph). On the paper's model f = (1/K) sum_i W_l^(i) sum_t alpha_t^(i) v_t^(i), so
/// AttGrad_t = (1/K) sum_i alpha_t^(i) W_l^(i) v_t^(i): attention weighted by what the token's value contributes.
/// Needs a model with attention maps.
/// </summary>
public sealed class AttentionGradientExplainer(WordAggregation aggregation = WordAggregation.Auto) : TokenExplainer(aggregation), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("AttGrad", "sum over heads of the [CLS] query's attention on the token times the gradient of f with respect to it (last layer)",
            Signed: true, typeof(IAttentionModel), (s, _) => new AttentionGradientExplainer(s.Aggregation)) { Order = 65 },
    ];

    public override string Name => "AttGrad";

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var model = (IAttentionModel)target.Model;
        return ModelPasses.PositionScores(model, documents, Math.Min(target.BatchSize, 64), gradients: true, batch =>
        {
            // e a leaf, so that the attention weights are in a graph whatever the parameters' requires_grad.
            var e = batch.Embedded().detach().requires_grad_(true);
            // The gradient is taken with respect to the last layer's whole map, the tensor the forward pass used (a row
            // sliced off it afterwards is not part of the graph); the [CLS] query's row is read off both.
            var (logits, maps) = model.LogitsAndAttention(e, batch.Mask);
            var a = maps[^1];                                                             // [B, H, L, L]
            var f = model.Explained(logits);
            var g = ModelPasses.MapGradients(f, [a], _ => new ArgumentException(
                $"AttGrad: the last attention map of {model.Describe()} is not part of the graph of its logits (return the tensor the forward pass used, not a copy or a view made afterwards)"))[0];
            return (a.select(2, 0).mul(g.select(2, 0)).sum(1), f);                        // [B, L], [B]
        });
    }
}
