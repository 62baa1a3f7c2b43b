using AttnXai.Explain.Adapters;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Explainers;

/// <summary>The reference input of Integrated Gradients.</summary>
public enum IgBaseline
{
    /// <summary>The all-UNK document [CLS] UNK ... UNK: e'_t = W_e[UNK] + PE(t) for t &gt;= 1, [CLS] kept at t = 0 (the default).</summary>
    Unk,
    /// <summary>e' = 0 at every position ([CLS] and padding included).</summary>
    Zero,
}

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017) on the embedded input: attribution of position t =
/// sum_k (e_t - e'_t)_k * mean over the path of grad_{e_t} f, the path integral taken with the midpoint rule at
/// <see cref="Steps"/> points (error O(1/steps^2)). Completeness: the attributions of all L positions sum to
/// f(x) - f(x'); the gap is reported as the diagnostic "completeness_gap" (with the [CLS] and padding shares, which are
/// zero for the UNK baseline in paper mode).
/// </summary>
public sealed class IntegratedGradientsExplainer(int steps = 64, IgBaseline baseline = IgBaseline.Unk, WordAggregation aggregation = WordAggregation.Last)
    : TokenExplainer(aggregation)
{
    public int Steps { get; } = steps >= 1 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "IG needs at least one step");
    public IgBaseline Baseline { get; } = baseline;
    public override string Name => "IG";

    protected override IEnumerable<KeyValuePair<string, string>> MethodSettings() =>
        [new("steps", Steps.ToString()), new("baseline", Baseline == IgBaseline.Unk ? "unk" : "zero"), new("rule", "midpoint")];

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        for (int b = 0; b < documents.Count; b++) result[b] = One(target, documents[b]);
        return result;
    }

    private (double[], Dictionary<string, double>?) One(ExplainTarget target, ExplainDocument doc)
    {
        var model = target.Model;
        var cfg = model.Config;
        int L = cfg.Length, De = cfg.EmbedDim;
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var ids = torch.tensor(doc.Ids, [1, L], device: device);
        var refIds = Enumerable.Repeat(cfg.UnkId, L).ToArray();
        refIds[0] = cfg.ClsId;
        Tensor e, e0;
        using (torch.no_grad())
        {
            e = model.Embed(ids);
            e0 = Baseline == IgBaseline.Unk ? model.Embed(torch.tensor(refIds, [1, L], device: device)) : torch.zeros_like(e);
        }
        var diff = e - e0;
        var gradSum = torch.zeros_like(e);
        int chunk = Math.Max(1, Math.Min(Steps, 64));
        double fx = 0, fbase = 0;
        for (int start = 0; start < Steps; start += chunk)
        {
            int m = Math.Min(chunk, Steps - start);
            using var inner = torch.NewDisposeScope();
            var al = new double[m];
            for (int s = 0; s < m; s++) al[s] = (start + s + 0.5) / Steps;
            var alpha = torch.tensor(al, [m, 1, 1], device: device).to(model.DType);
            Tensor x;
            using (torch.no_grad()) x = (e0 + alpha * diff).detach();
            x.requires_grad = true;
            using var eg = torch.enable_grad();
            var mask = Mask(doc, m, L, cfg.PaddingMask, device);
            var r = model.ForwardEmbedded(x, mask);
            var g = torch.autograd.grad([r.PositiveLogit.sum()], [x])[0]!;
            using (torch.no_grad()) gradSum.add_(g.sum(0, keepdim: true));
        }
        using (torch.no_grad())
        {
            var both = torch.cat([e, e0], 0);
            var r = model.ForwardEmbedded(both, Mask(doc, 2, L, cfg.PaddingMask, device));
            var f = r.PositiveLogit.ToArray<double>();
            fx = f[0]; fbase = f[1];
        }
        var attr = (diff * gradSum).sum(2).ToArray<double>();   // [1, L]
        for (int t = 0; t < L; t++) attr[t] /= Steps;
        var tokens = attr.AsSpan(1, doc.TokenCount).ToArray();
        double all = attr.Sum(), pad = attr.AsSpan(doc.RealLength).ToArray().Sum();
        var diag = new Dictionary<string, double>
        {
            ["output"] = fx,
            ["baseline_output"] = fbase,
            ["attribution_sum"] = all,
            ["completeness_gap"] = all - (fx - fbase),
            ["cls_attribution"] = attr[0],
            ["padding_attribution"] = pad,
        };
        return (tokens, diag);
    }

    private static Tensor? Mask(ExplainDocument doc, int rows, int L, bool masked, Device device)
    {
        if (!masked) return null;
        var m = new bool[rows * L];
        for (int r = 0; r < rows; r++) m.AsSpan(r * L, doc.RealLength).Fill(true);
        return torch.tensor(m, [rows, L], device: device);
    }
}
