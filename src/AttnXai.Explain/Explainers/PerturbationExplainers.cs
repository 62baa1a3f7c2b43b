using AttnXai.Model;
using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// LIME exactly as lime's LimeTextExplainer runs it (the <see cref="Lime"/> class), averaged over <see cref="Runs"/>
/// runs with seeds derived from the options' seed (the authors' protocol: 5 runs). Features are the document's distinct
/// words; perturbed documents are evaluated through the target's fast path (or the generic batched forward).
/// Vectors: "stddev" (per word, over runs). Name: "lime-delete" or "lime-unk".
/// </summary>
public sealed class LimeExplainer(RemovalMode removal, LimeOptions? options = null, int runs = 5) : WordExplainer, ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("lime", "LIME coefficient of the word (lime's text explainer, mean of several runs)", Signed: true, typeof(ITextClassifier),
            (s, m) => new LimeExplainer(m!.Value, new LimeOptions { SampleCount = s.LimeSamples, KernelWidth = s.KernelWidth, Seed = s.Seed }, s.LimeRuns))
        {
            RemovalVariants = true,
            Order = 70,
            Settings =
            [
                new("LimeSamples", "5000", "perturbed documents per run"), new("LimeRuns", "5", "runs averaged"),
                new("KernelWidth", "25", "width of lime's exponential kernel on 100 x cosine distance"), new("Seed", "0", "seed of the samples"),
            ],
        },
    ];

    public RemovalMode Removal { get; } = removal;
    public LimeOptions Options { get; } = options ?? new LimeOptions();
    public int Runs { get; } = runs >= 1 ? runs : throw new ArgumentOutOfRangeException(nameof(runs), runs, "LIME needs at least one run");

    public override string Name => "lime-" + Removal.Name();

    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["removal"] = Removal.Name(),
        ["samples"] = Options.SampleCount.ToString(),
        ["runs"] = Runs.ToString(),
        ["kernel_width"] = ExplainerChecks.F(Options.KernelWidth),
        ["ridge_alpha"] = ExplainerChecks.F(Options.RidgeAlpha),
        ["seed"] = Options.Seed.ToString(),
    };

    protected override (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document)
    {
        var set = Lime.ExplainRepeated(target.Perturbation(document, Removal), Runs, Options);
        return (set.MeanCoefficients,
            new Dictionary<string, double>
            {
                ["mean_intercept"] = set.MeanIntercept,
                ["mean_score"] = set.Runs.Average(r => r.Score),
                ["output"] = set.Runs[0].FirstRowOutput,
            },
            new Dictionary<string, double[]> { ["stddev"] = set.CoefficientStdDev });
    }

    /// <summary>LIME on caller-supplied masks (one run), through the same evaluator.</summary>
    public LimeResult ExplainWithMasks(ExplainTarget target, ExplainDocument document, ReadOnlySpan<bool> masks) =>
        Lime.Explain(target.Perturbation(document, Removal), masks, Options);
}

/// <summary>Leave-one-out occlusion: f(all) - f(all but word j). Name: "occlusion-delete" or "occlusion-unk".</summary>
public sealed class OcclusionExplainer(RemovalMode removal) : WordExplainer, ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("occlusion", "f(document) - f(document without the word)", Signed: true, typeof(ITextClassifier), (_, m) => new OcclusionExplainer(m!.Value))
        { RemovalVariants = true, Order = 90 },
    ];

    public RemovalMode Removal { get; } = removal;
    public override string Name => "occlusion-" + Removal.Name();
    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["removal"] = Removal.Name() };

    protected override (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document)
    {
        var r = Occlusion.Explain(target.Perturbation(document, Removal), target.BatchSize);
        return (r.Scores, new Dictionary<string, double> { ["output"] = r.FullOutput }, []);
    }
}

/// <summary>KernelSHAP over words (exact below the options' ExactMaxFeatures). Name: "shap-delete" or "shap-unk".</summary>
public sealed class KernelShapExplainer(RemovalMode removal, KernelShapOptions? options = null) : WordExplainer, ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("shap", "the word's Shapley value by KernelSHAP (exact for few words)", Signed: true, typeof(ITextClassifier),
            (s, m) => new KernelShapExplainer(m!.Value, new KernelShapOptions { SampleCount = s.ShapSamples, Seed = s.Seed }))
        {
            RemovalVariants = true,
            Order = 100,
            Settings = [new("ShapSamples", "2048", "coalitions sampled above the exact limit"), new("Seed", "0", "seed of the coalitions")],
        },
    ];

    public RemovalMode Removal { get; } = removal;
    public KernelShapOptions Options { get; } = options ?? new KernelShapOptions();
    public override string Name => "shap-" + Removal.Name();

    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["removal"] = Removal.Name(),
        ["exact_max_features"] = Options.ExactMaxFeatures.ToString(),
        ["samples"] = Options.SampleCount.ToString(),
        ["paired"] = Options.Paired ? "true" : "false",
        ["seed"] = Options.Seed.ToString(),
    };

    protected override (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document)
    {
        var r = KernelShap.Explain(target.Perturbation(document, Removal), Options);
        return (r.Values, new Dictionary<string, double>
        {
            ["output"] = r.FullOutput,
            ["base_output"] = r.BaseOutput,
            ["exact"] = r.Exact ? 1 : 0,
            ["coalitions"] = r.CoalitionCount,
        }, []);
    }
}
