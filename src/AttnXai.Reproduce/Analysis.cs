using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce;

/// <summary>The seven explainers of Figure 1 (docs/model-and-protocols.md section 2), one value per token.</summary>
public sealed record TokenExplanations(string[] Tokens, IReadOnlyList<(string Name, double[] Values)> Rows)
{
    public double[] this[string name] => Rows.First(r => r.Name == name).Values;
}

/// <summary>What the figures need beyond AttnXai.Explain: the Figure 1 table of explainers and a float64 model copy.</summary>
public static class Analysis
{
    public static readonly string[] ExplainerNames = ["alpha-avg", "alpha-max", "G-avg", "G-l1", "G-l2", "GxI", "LIME"];

    /// <summary>
    /// AttnXai.Explain's explainers, per token t = 1..T: alpha-avg, alpha-max, G-avg, G-l1, G-l2 and GxI on the float64
    /// copy of the model (autograd in double precision), and LIME (mean of <paramref name="limeRuns"/> runs through
    /// the fast path; every occurrence gets its word's coefficient).
    /// </summary>
    public static TokenExplanations Explain(ReproduceContext ctx, ExplainDocument doc, int limeRuns = 5, LimeOptions? lime = null, RemovalMode mode = RemovalMode.Delete)
    {
        var rows = ExplainerRegistry.Create(ExplainerNames[..^1])
            .Select(e => (e.Name, e.Explain(ctx.Target64, [doc])[0].TokenScores)).ToList();
        rows.Add(("LIME", new LimeExplainer(mode, lime ?? new LimeOptions(), limeRuns).Explain(ctx.Target, [doc])[0].TokenScores));
        return new TokenExplanations(doc.Tokens, rows);
    }

    /// <summary>A float64 copy of a model (for autograd comparisons at double precision).</summary>
    public static AttentionClassifier Float64Copy(AttentionClassifier model)
    {
        var copy = AttentionClassifier.ForLoading(model.Config, ScalarType.Float64);
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float64));
        copy.load_state_dict(state);
        copy.eval();
        return copy;
    }
}
