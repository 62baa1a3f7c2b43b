using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

/// <summary>alpha-avg / alpha-max: the mean / max over heads of the [CLS]-row attention alpha_t (batched forward).</summary>
public sealed class AttentionExplainer(bool max, WordAggregation aggregation = WordAggregation.Last) : TokenExplainer(aggregation)
{
    public bool Max { get; } = max;
    public override string Name => Max ? "alpha-max" : "alpha-avg";

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var passes = ModelPasses.Run(target.Model, documents, gradients: false, batchSize: target.BatchSize);
        int K = target.Config.Heads, L = target.Config.Length;
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        for (int b = 0; b < documents.Count; b++)
        {
            var a = passes[b].Attention;
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
