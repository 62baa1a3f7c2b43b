using AttnXai.Explain.Adapters;
using AttnXai.Model;

namespace AttnXai.Explain.Explainers;

/// <summary>alpha-avg / alpha-max: the mean / max over heads of the [CLS] query's attention alpha_t in the model's last
/// attention layer (batched forward). The row is read through the contract's
/// <see cref="IAttentionModel.LogitsAndClsAttention"/>, which by default is row 0 of the last map that
/// <see cref="IAttentionModel.LogitsAndAttention"/> returns (the Transformer uses that default; the paper's one-layer
/// model computes the row alone), so on a deep model these read the last layer only (tests/AttnXai.Explain.Tests/
/// RolloutTests.cs checks it on two layers). Needs a model with attention maps.</summary>
public sealed class AttentionExplainer(bool max, WordAggregation aggregation = WordAggregation.Auto) : TokenExplainer(aggregation), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("alpha-avg", "mean over heads of the [CLS] query's attention on the token (last layer)", Signed: false, typeof(IAttentionModel),
            (s, _) => new AttentionExplainer(false, s.Aggregation)) { Order = 10 },
        new("alpha-max", "max over heads of the [CLS] query's attention on the token (last layer)", Signed: false, typeof(IAttentionModel),
            (s, _) => new AttentionExplainer(true, s.Aggregation)) { Order = 20 },
    ];

    public bool Max { get; } = max;
    public override string Name => Max ? "alpha-max" : "alpha-avg";

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var passes = ModelPasses.Run(target.Model, documents, gradients: false, batchSize: target.BatchSize, attention: true);
        int L = target.Inputs.Length;
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        for (int b = 0; b < documents.Count; b++)
        {
            var a = passes[b].Attention!;
            int K = a.Length / L;
            var s = new double[documents[b].TokenCount];
            for (int t = 0; t < s.Length; t++)
            {
                double acc = Max ? double.NegativeInfinity : 0;
                for (int i = 0; i < K; i++)
                {
                    double v = a[i * L + t + 1];
                    acc = Max ? Math.Max(acc, v) : acc + v / K;
                }
                s[t] = acc;
            }
            result[b] = (s, new Dictionary<string, double> { ["output"] = passes[b].Output });
        }
        return result;
    }
}
