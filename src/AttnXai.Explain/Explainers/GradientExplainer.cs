using AttnXai.Explain.Adapters;
using AttnXai.Model;

namespace AttnXai.Explain.Explainers;

/// <summary>What a gradient explainer reads off g_t = grad of f w.r.t. e_t.</summary>
public enum GradientScore
{
    /// <summary>G-avg: mean of g_t's coordinates (signed).</summary>
    Average,
    /// <summary>G-l1: ||g_t||_1.</summary>
    L1,
    /// <summary>G-l2: ||g_t||_2.</summary>
    L2,
    /// <summary>GxI: e_t . g_t, e_t including the positional encoding (signed).</summary>
    TimesInput,
}

/// <summary>
/// G-avg, G-l1, G-l2 and GxI: gradients of the explained logit with respect to the embedded input e, through autograd
/// (the model's Logits with e a leaf requiring grad), batched over documents. Any model.
/// </summary>
public sealed class GradientExplainer(GradientScore score, WordAggregation aggregation = WordAggregation.Auto) : TokenExplainer(aggregation), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("G-avg", "mean of the coordinates of g_t, the gradient of f with respect to the token's embedding", Signed: true, typeof(ITextClassifier),
            (s, _) => new GradientExplainer(GradientScore.Average, s.Aggregation)) { Order = 30, ZeroByConstruction = AverageIsZero },
        new("G-l1", "L1 norm of g_t", Signed: false, typeof(ITextClassifier), (s, _) => new GradientExplainer(GradientScore.L1, s.Aggregation)) { Order = 40 },
        new("G-l2", "L2 norm of g_t", Signed: false, typeof(ITextClassifier), (s, _) => new GradientExplainer(GradientScore.L2, s.Aggregation)) { Order = 50 },
        new("GxI", "e_t . g_t, the embedding (with its position encoding) times the gradient", Signed: true, typeof(ITextClassifier),
            (s, _) => new GradientExplainer(GradientScore.TimesInput, s.Aggregation)) { Order = 60, ZeroByConstruction = TimesInputIsZero },
    ];

    /// <summary>G-avg's degeneracy: on a model whose logits ignore a constant added to all coordinates of a token's
    /// embedding (<see cref="ITextClassifier.InputIsLayerNormalized"/>), d/dc f(e_t + c 1) = sum_k g_t,k = 0, so the
    /// mean of g_t's coordinates is exactly zero and what float32 computes is rounding noise.</summary>
    public static string? AverageIsZero(ITextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.InputIsLayerNormalized
            ? $"the model ({model.Describe()}) normalises each token's input embedding by a LayerNorm, which ignores a constant added to all of its coordinates, so the gradient's coordinates sum to zero"
            : null;
    }

    /// <summary>GxI's degeneracy: on a model whose logits ignore a positive factor on a token's embedding
    /// (<see cref="ITextClassifier.InputIsScaleInvariant"/>), d/dl f(l e_t) at l = 1 = e_t . g_t = 0 (up to the LayerNorm's
    /// epsilon), so what float32 computes is rounding noise.</summary>
    public static string? TimesInputIsZero(ITextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.InputIsScaleInvariant
            ? $"the model ({model.Describe()}) normalises each token's input embedding by a LayerNorm that nothing else reads, which ignores a positive factor on it, so e_t . df/de_t = 0 (up to the LayerNorm's epsilon)"
            : null;
    }

    public GradientScore Score { get; } = score;

    public override string Name => Score switch
    {
        GradientScore.Average => "G-avg",
        GradientScore.L1 => "G-l1",
        GradientScore.L2 => "G-l2",
        _ => "GxI",
    };

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var passes = ModelPasses.Run(target.Model, documents, gradients: true, batchSize: Math.Min(target.BatchSize, 64));
        int L = target.Inputs.Length;
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        for (int b = 0; b < documents.Count; b++)
        {
            var g = passes[b].Gradient!;
            var e = passes[b].Embedded!;
            int De = e.Length / L;
            var s = new double[documents[b].TokenCount];
            for (int t = 0; t < s.Length; t++) s[t] = Reduce(g.AsSpan((t + 1) * De, De), e.AsSpan((t + 1) * De, De));
            result[b] = (s, new Dictionary<string, double> { ["output"] = passes[b].Output });
        }
        return result;
    }

    /// <summary>The score of one row g (with its input e).</summary>
    public double Reduce(ReadOnlySpan<double> g, ReadOnlySpan<double> e)
    {
        double acc = 0;
        switch (Score)
        {
            case GradientScore.Average: foreach (var v in g) acc += v; return acc / g.Length;
            case GradientScore.L1: foreach (var v in g) acc += Math.Abs(v); return acc;
            case GradientScore.L2: foreach (var v in g) acc += v * v; return Math.Sqrt(acc);
            default: for (int k = 0; k < g.Length; k++) acc += g[k] * e[k]; return acc;
        }
    }
}
