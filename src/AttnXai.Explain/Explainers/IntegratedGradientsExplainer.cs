using AttnXai.Explain.Adapters;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Explainers;

/// <summary>The reference input of Integrated Gradients.</summary>
public enum IgBaseline
{
    /// <summary>Every token replaced by UNK, the special positions kept: for the paper's model the all-UNK document
    /// [CLS] UNK ... UNK, e'_t = W_e[UNK] + PE(t) for t &gt;= 1, [CLS] kept at t = 0 (its default).</summary>
    Unk,
    /// <summary>e' = 0 at every position ([CLS] and padding included).</summary>
    Zero,
    /// <summary>Every token replaced by the padding id, [CLS] and [SEP] kept (a BERT-family model's default: [PAD]).</summary>
    Pad,
    /// <summary>Every token replaced by [MASK], [CLS] and [SEP] kept (models with a [MASK] token).</summary>
    Mask,
    /// <summary>The model's default: <see cref="Unk"/> for word-vocabulary models, <see cref="Pad"/> for subword models.</summary>
    Auto,
}

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017) on the embedded input: attribution of position t =
/// sum_k (e_t - e'_t)_k * mean over the path of grad_{e_t} f, the path integral taken with the midpoint rule at
/// <see cref="Steps"/> points (error O(1/steps^2)). Completeness: the attributions of all L positions sum to
/// f(x) - f(x'); the gap is reported as the diagnostic "completeness_gap" (with the [CLS] and padding shares, which are
/// zero for the UNK baseline in paper mode).
/// </summary>
public sealed class IntegratedGradientsExplainer(int steps = IntegratedGradientsExplainer.DefaultSteps, IgBaseline baseline = IgBaseline.Auto, WordAggregation aggregation = WordAggregation.Auto)
    : TokenExplainer(aggregation), ICataloguedExplainer
{
    /// <summary>Points of the midpoint rule by default.</summary>
    public const int DefaultSteps = 64;
    public const int MaxSteps = 10_000;

    public static readonly ExplainerSetting StepsSetting = ExplainerSetting.Count("IgSteps", "--ig-steps", DefaultSteps, 1, MaxSteps,
        "Integrated Gradients steps (points of the midpoint rule)", s => s.IgSteps, (s, v) => s with { IgSteps = v });
    public static readonly ExplainerSetting BaselineSetting = ExplainerSetting.Choice("IgBaseline", "--ig-baseline", "auto", ["unk", "zero", "pad", "mask", "auto"],
        "Integrated Gradients baseline: every token replaced by unk, pad or mask ([CLS] and [SEP] kept), or zero (auto: unk for word-vocabulary models, pad for pretrained models)",
        s => s.IgBaseline.ToString().ToLowerInvariant(), (s, v) => s with { IgBaseline = Enum.Parse<IgBaseline>(v, ignoreCase: true) });

    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("IG", "Integrated Gradients on the embedded input: (e_t - e'_t) . mean of g_t along the straight path from the baseline",
            Signed: true, typeof(ITextClassifier), (s, _) => new IntegratedGradientsExplainer(s.IgSteps, s.IgBaseline, s.Aggregation))
        {
            Order = 80,
            Settings = [StepsSetting, BaselineSetting],
        },
    ];

    public int Steps { get; } = steps >= 1 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "IG needs at least one step");
    public IgBaseline Baseline { get; } = baseline;
    public override string Name => "IG";

    protected override IEnumerable<KeyValuePair<string, string>> MethodSettings() =>
        [new("steps", Steps.ToString()), new("baseline", Baseline.ToString().ToLowerInvariant()), new("rule", "midpoint")];

    protected override IEnumerable<KeyValuePair<string, string>> ResolvedSettings(ExplainTarget target) =>
        [new("baseline", Resolve(target).ToString().ToLowerInvariant())];

    /// <summary>The baseline used for the target's model (<see cref="IgBaseline.Auto"/> resolved).</summary>
    public IgBaseline Resolve(ExplainTarget target) => Resolve(Baseline, target);

    /// <summary><paramref name="baseline"/> for the target's model: <see cref="IgBaseline.Auto"/> is UNK for word-vocabulary
    /// models and [PAD] for models with their own tokenizer.</summary>
    public static IgBaseline Resolve(IgBaseline baseline, ExplainTarget target) =>
        baseline != IgBaseline.Auto ? baseline : target.TextTokenizer is null ? IgBaseline.Unk : IgBaseline.Pad;

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        var result = new (double[], Dictionary<string, double>?)[documents.Count];
        for (int b = 0; b < documents.Count; b++) result[b] = One(target, documents[b]);
        return result;
    }

    private (double[], Dictionary<string, double>?) One(ExplainTarget target, ExplainDocument doc)
    {
        var model = target.Model;
        var inputs = model.Inputs;
        int L = inputs.Length;
        using var scope = torch.NewDisposeScope();
        Tensor e, e0;
        using (torch.no_grad())
        {
            e = model.Embed(torch.tensor(doc.Ids, [1, L], device: model.Device));
            var baseline = Resolve(target);
            long? token = baseline switch
            {
                IgBaseline.Unk => inputs.Special.Unk,
                IgBaseline.Pad => inputs.Special.Pad,
                IgBaseline.Mask => inputs.Special.Mask ?? throw new ArgumentException($"IG's [MASK] baseline: the model ({model.Describe()}) has no [MASK] token"),
                _ => null,
            };
            e0 = token is { } id ? model.Embed(torch.tensor(doc.ReferenceIds(id), [1, L], device: model.Device)) : torch.zeros_like(e);
        }
        var diff = e - e0;
        var gradSum = torch.zeros_like(e);
        var rows = ModelPasses.Rows(Enumerable.Repeat(doc, Steps).ToArray());
        // The path points in batches of up to 64: x_s = e' + a_s (e - e'), a_s = (s + 1/2) / steps, with the document's mask.
        BatchedPass.Run(model, Steps, 64, rows, batch =>
        {
            var al = new double[batch.Count];
            for (int s = 0; s < batch.Count; s++) al[s] = (batch.Start + s + 0.5) / Steps;
            var alpha = torch.tensor(al, [batch.Count, 1, 1], device: model.Device).to(model.DType);
            var x = (e0 + alpha * diff).detach().requires_grad_(true);
            var f = model.Explained(model.Logits(x, batch.Mask));
            var g = torch.autograd.grad([f.sum()], [x])[0]!;
            using (torch.no_grad()) gradSum.add_(g.sum(0, keepdim: true));
        }, gradients: true);
        double fx = 0, fbase = 0;
        BatchedPass.Run(model, 2, 2, ModelPasses.Rows([doc, doc]), batch =>
        {
            var f = model.Explained(model.Logits(torch.cat([e, e0], 0), batch.Mask)).ToArray<double>();
            (fx, fbase) = (f[0], f[1]);
        });
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
}
