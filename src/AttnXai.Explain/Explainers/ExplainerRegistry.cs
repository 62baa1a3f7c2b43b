namespace AttnXai.Explain.Explainers;

/// <summary>Settings shared by the registry's explainers (the CLI's options).</summary>
public sealed record ExplainerSettings
{
    public WordAggregation Aggregation { get; init; } = WordAggregation.Last;
    /// <summary>Removal modes of the perturbation methods (LIME, occlusion, SHAP): one explainer per mode.</summary>
    public IReadOnlyList<RemovalMode> Removals { get; init; } = [RemovalMode.Delete];
    public int LimeSamples { get; init; } = 5000;
    public int LimeRuns { get; init; } = 5;
    public double KernelWidth { get; init; } = LimeKernel.DefaultWidth;
    public ulong Seed { get; init; }
    public int IgSteps { get; init; } = 64;
    public IgBaseline IgBaseline { get; init; } = IgBaseline.Unk;
    public int ShapSamples { get; init; } = 2048;
}

/// <summary>The explainers by name. A new explainer: one file (a <see cref="TokenExplainer"/> or <see cref="WordExplainer"/>) and one line here.</summary>
public static class ExplainerRegistry
{
    /// <summary>Method families accepted by <see cref="Create"/>, in the order the paper lists them, then the extras.</summary>
    public static readonly IReadOnlyList<string> Families = ["alpha-avg", "alpha-max", "G-avg", "G-l1", "G-l2", "GxI", "lime", "IG", "occlusion", "shap"];

    /// <summary>
    /// Explainers for the given families (case-insensitive; "all" = every family); the perturbation families ("lime",
    /// "occlusion", "shap") give one explainer per removal mode of the settings, a fully named one ("lime-unk") just that.
    /// </summary>
    public static IReadOnlyList<IExplainer> Create(IEnumerable<string> names, ExplainerSettings? settings = null)
    {
        settings ??= new ExplainerSettings();
        var list = new List<IExplainer>();
        foreach (var raw in names)
        {
            var n = raw.Trim();
            if (n.Length == 0) continue;
            if (n.Equals("all", StringComparison.OrdinalIgnoreCase)) { list.AddRange(Create(Families, settings)); continue; }
            var lower = n.ToLowerInvariant();
            int dash = lower.LastIndexOf('-');
            string family = lower;
            IReadOnlyList<RemovalMode> modes = settings.Removals;
            if (dash > 0 && lower[..dash] is "lime" or "occlusion" or "shap")
            {
                family = lower[..dash];
                modes = [RemovalNames.Parse(lower[(dash + 1)..])];
            }
            var a = settings.Aggregation;
            switch (family)
            {
                case "alpha-avg": list.Add(new AttentionExplainer(false, a)); break;
                case "alpha-max": list.Add(new AttentionExplainer(true, a)); break;
                case "g-avg": list.Add(new GradientExplainer(GradientScore.Average, a)); break;
                case "g-l1": list.Add(new GradientExplainer(GradientScore.L1, a)); break;
                case "g-l2": list.Add(new GradientExplainer(GradientScore.L2, a)); break;
                case "gxi": list.Add(new GradientExplainer(GradientScore.TimesInput, a)); break;
                case "ig": list.Add(new IntegratedGradientsExplainer(settings.IgSteps, settings.IgBaseline, a)); break;
                case "lime":
                    foreach (var m in modes)
                        list.Add(new LimeExplainer(m, new LimeOptions { SampleCount = settings.LimeSamples, KernelWidth = settings.KernelWidth, Seed = settings.Seed }, settings.LimeRuns));
                    break;
                case "occlusion": foreach (var m in modes) list.Add(new OcclusionExplainer(m)); break;
                case "shap":
                    foreach (var m in modes) list.Add(new KernelShapExplainer(m, new KernelShapOptions { SampleCount = settings.ShapSamples, Seed = settings.Seed }));
                    break;
                default:
                    throw new ArgumentException($"unknown explainer '{n}'; known: {string.Join(", ", Families)} (lime/occlusion/shap also as NAME-delete or NAME-unk), or all", nameof(names));
            }
        }
        if (list.Count == 0) throw new ArgumentException("no explainer chosen", nameof(names));
        return list.GroupBy(e => e.Name).Select(g => g.First()).ToList();
    }
}
