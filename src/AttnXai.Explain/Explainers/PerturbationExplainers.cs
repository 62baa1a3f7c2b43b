using AttnXai.Model;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// LIME exactly as lime's LimeTextExplainer runs it (the <see cref="Lime"/> class), averaged over <see cref="Runs"/>
/// runs with seeds derived from the options' seed (the authors' protocol: 5 runs). Features are the document's distinct
/// words; perturbed documents are evaluated through the target's fast path (or the generic batched forward).
/// Vectors: "stddev" (per word, over runs). Name: "lime-delete" or "lime-unk".
/// </summary>
public sealed class LimeExplainer(RemovalMode removal, LimeOptions? options = null, int runs = LimeExplainer.DefaultRuns) : WordExplainer, ICataloguedExplainer
{
    /// <summary>Runs averaged by default (the authors' protocol).</summary>
    public const int DefaultRuns = 5;
    /// <summary>The most samples per run a caller may ask for: n rows of d flags are held in memory at once (1,000,000
    /// x 255 words is 255 MB); larger runs are what the streamed large-sample limit is for.</summary>
    public const int MaxSamples = 1_000_000;
    /// <summary>The most runs averaged.</summary>
    public const int MaxRuns = 1_000;

    public static readonly ExplainerSetting SamplesSetting = ExplainerSetting.Count("LimeSamples", "--lime-samples", LimeOptions.DefaultSampleCount, 2, MaxSamples,
        "LIME samples per run", s => s.LimeSamples, (s, v) => s with { LimeSamples = v }, SettingCheck.Between, "held in memory per run; use the large-sample limit for more");
    public static readonly ExplainerSetting RunsSetting = ExplainerSetting.Count("LimeRuns", "--lime-runs", DefaultRuns, 1, MaxRuns,
        "LIME runs averaged", s => s.LimeRuns, (s, v) => s with { LimeRuns = v });
    public static readonly ExplainerSetting KernelWidthSetting = ExplainerSetting.PositiveNumber("KernelWidth", "--lime-kernel-width", LimeKernel.DefaultWidth,
        "LIME's kernel width nu on 100 x cosine distance (lime's for text)", s => s.KernelWidth, (s, v) => s with { KernelWidth = v });

    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("lime", "LIME coefficient of the word (lime's text explainer, mean of several runs)", Signed: true, typeof(ITextClassifier),
            (s, m) => new LimeExplainer(m!.Value, new LimeOptions { SampleCount = s.LimeSamples, KernelWidth = s.KernelWidth, Seed = s.Seed }, s.LimeRuns))
        {
            RemovalVariants = true,
            Order = 70,
            Settings =
            [
                SamplesSetting, RunsSetting, KernelWidthSetting, new("Seed", "0", "seed of the samples"),
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
    public static readonly ExplainerSetting SamplesSetting = ExplainerSetting.Count("ShapSamples", "--shap-samples", KernelShapOptions.DefaultSampleCount, 2,
        LimeExplainer.MaxSamples, "KernelSHAP coalitions sampled above the exact limit", s => s.ShapSamples, (s, v) => s with { ShapSamples = v });

    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("shap", "the word's Shapley value by KernelSHAP (exact for few words)", Signed: true, typeof(ITextClassifier),
            (s, m) => new KernelShapExplainer(m!.Value, new KernelShapOptions { SampleCount = s.ShapSamples, Seed = s.Seed }))
        {
            RemovalVariants = true,
            Order = 100,
            Settings = [SamplesSetting, new("Seed", "0", "seed of the coalitions")],
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
