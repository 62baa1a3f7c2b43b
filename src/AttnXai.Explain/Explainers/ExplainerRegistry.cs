using System.Reflection;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// Settings shared by the catalogue's explainers, one object that front-ends and studies pass whole; a method's own
/// extra settings go in <see cref="Extra"/> under the names their catalogue entries declare. Each value's default,
/// range and help text is declared once, on the method that reads it (<see cref="LimeExplainer.SamplesSetting"/>,
/// <see cref="IntegratedGradientsExplainer.StepsSetting"/>, ...); <see cref="ExplainerRegistry.SharedSettings"/> lists
/// them and <see cref="Validate"/> checks them.
/// </summary>
public sealed record ExplainerSettings
{
    /// <summary>How token scores become word scores (Auto: the model's default, see <see cref="WordAggregation.Auto"/>).</summary>
    public WordAggregation Aggregation { get; init; } = WordAggregation.Auto;
    /// <summary>Removal modes of the perturbation methods (LIME, occlusion, SHAP) named by family alone: one explainer
    /// per mode. A variant named in full ("lime-unk") is that mode only.</summary>
    public IReadOnlyList<RemovalMode> Removals { get; init; } = [RemovalMode.Delete];
    /// <summary>LIME's samples per run (<see cref="LimeExplainer.SamplesSetting"/>).</summary>
    public int LimeSamples { get; init; } = LimeOptions.DefaultSampleCount;
    /// <summary>LIME runs averaged (<see cref="LimeExplainer.RunsSetting"/>).</summary>
    public int LimeRuns { get; init; } = LimeExplainer.DefaultRuns;
    /// <summary>LIME's kernel width (<see cref="LimeExplainer.KernelWidthSetting"/>).</summary>
    public double KernelWidth { get; init; } = LimeKernel.DefaultWidth;
    /// <summary>Seed of the sampling methods (LIME, SHAP, the random baseline).</summary>
    public ulong Seed { get; init; }
    /// <summary>IG's steps (<see cref="IntegratedGradientsExplainer.StepsSetting"/>).</summary>
    public int IgSteps { get; init; } = IntegratedGradientsExplainer.DefaultSteps;
    /// <summary>IG's reference input (Auto: the model's default, see <see cref="IgBaseline.Auto"/>).</summary>
    public IgBaseline IgBaseline { get; init; } = IgBaseline.Auto;
    /// <summary>KernelSHAP's sampled coalitions (<see cref="KernelShapExplainer.SamplesSetting"/>).</summary>
    public int ShapSamples { get; init; } = KernelShapOptions.DefaultSampleCount;
    /// <summary>Settings of methods beyond the shared ones, by the names their catalogue entries declare.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>These settings, or an ArgumentException naming the first value out of its method's range, as the
    /// command line words it ("--lime-runs must be at least 1, got 0").</summary>
    public ExplainerSettings Validate()
    {
        foreach (var s in ExplainerRegistry.SharedSettings)
            if (s.Problem(s.Get!(this)) is { } problem) throw new ArgumentException(problem);
        return this;
    }
}

/// <summary>
/// The explainer catalogue: every method's <see cref="ExplainerInfo"/>, found on the methods' own classes, and the one
/// place that parses method names ("all", a family, a removal variant such as "lime-unk"), makes explainers, and answers
/// what a named method is (signed or not, what it needs). Front-ends (explain, reproduce, the faithfulness test, the
/// set benchmarks, the shortcut probe) read it instead of keeping lists.
/// <para>
/// A method defined outside AttnXai.Explain (a script's or a test's own <see cref="ICataloguedExplainer"/> class) needs
/// no registration: a name the catalogue does not know is looked up in the entry assembly and in every loaded assembly
/// that references AttnXai.Explain (each scanned once, in the order of their full names), and an explainer made with
/// <c>new</c> finds its own class's entry (<see cref="InfoOf(IExplainer)"/>). Such found methods answer to their names
/// everywhere (<see cref="Parse"/>, <see cref="Create"/>, <see cref="IsSigned"/>) but are not part of "all" and of the
/// listings, so that "all" never depends on what was looked up before; <see cref="Register(Assembly)"/> adds them to
/// both.
/// </para>
/// </summary>
public static class ExplainerRegistry
{
    private static readonly object Gate = new();
    private static readonly List<ExplainerInfo> Entries = [];
    private static readonly HashSet<Assembly> Scanned = [];
    /// <summary>Entries of classes found outside the catalogue (by name only: not in "all" nor in the listings).</summary>
    private static readonly List<ExplainerInfo> Found = [];
    private static readonly HashSet<Assembly> Searched = [];
    private static readonly AssemblyName ExplainAssembly = typeof(ExplainerRegistry).Assembly.GetName();

    static ExplainerRegistry() => Register(typeof(ExplainerRegistry).Assembly);

    /// <summary>Adds the catalogue entries of every <see cref="ICataloguedExplainer"/> class of an assembly (a user's
    /// own methods). Scanning an assembly twice does nothing.</summary>
    public static void Register(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        lock (Gate)
        {
            if (!Scanned.Add(assembly)) return;
            foreach (var (_, info) in Declared(assembly)) Add(info);
        }
    }

    /// <summary>The catalogue entries declared by the <see cref="ICataloguedExplainer"/> classes of an assembly, with
    /// their classes, in the order of the classes' full names.</summary>
    private static IEnumerable<(Type Type, ExplainerInfo Info)> Declared(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = [.. e.Types.OfType<Type>()]; }
        foreach (var type in types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICataloguedExplainer).IsAssignableFrom(t))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var property = type.GetProperty(nameof(ICataloguedExplainer.Catalogue), BindingFlags.Public | BindingFlags.Static)
                ?? throw new InvalidOperationException($"{type.Name} implements ICataloguedExplainer without a public static Catalogue");
            foreach (var info in (IReadOnlyList<ExplainerInfo>)property.GetValue(null)!) yield return (type, info);
        }
    }

    /// <summary>Adds the entries of an assembly's classes to <see cref="Found"/> (once per assembly; an assembly given
    /// to <see cref="Register(Assembly)"/> has them in the catalogue already). A name that an entry of another class
    /// already has is an error naming both.</summary>
    private static void Search(Assembly assembly)
    {
        if (Scanned.Contains(assembly) || !Searched.Add(assembly)) return;
        foreach (var (type, info) in Declared(assembly))
        {
            if (Entries.Contains(info) || Found.Contains(info)) continue;
            foreach (var name in info.Names.Append(info.Family))
                if (Entries.Concat(Found).FirstOrDefault(e => e.Family.Equals(name, StringComparison.OrdinalIgnoreCase) || e.Names.Contains(name, StringComparer.OrdinalIgnoreCase)) is { } other)
                    throw new InvalidOperationException($"two explainers are named '{name}': {type.FullName} (in {assembly.GetName().Name}) and the method {other.Family} already known; rename one");
            Found.Add(info);
        }
    }

    /// <summary>Searches the entry assembly and every loaded assembly that references AttnXai.Explain and was not
    /// searched yet, in the order of their full names (the lookup of a name the catalogue does not know).</summary>
    private static void SearchLoaded()
    {
        var candidates = AppDomain.CurrentDomain.GetAssemblies().Append(Assembly.GetEntryAssembly())
            .OfType<Assembly>()
            .Where(a => !a.IsDynamic && !Scanned.Contains(a) && !Searched.Contains(a))
            .Distinct()
            .Where(a => a.GetReferencedAssemblies().Any(r => AssemblyName.ReferenceMatchesDefinition(r, ExplainAssembly)))
            .OrderBy(a => a.FullName, StringComparer.Ordinal)
            .ToList();
        foreach (var a in candidates) Search(a);
    }

    /// <summary>Adds one entry (a method defined in a script). Disposing the result removes it again (tests do, so that
    /// "all" elsewhere is not changed by them).</summary>
    public static IDisposable Register(ExplainerInfo info)
    {
        lock (Gate) Add(info);
        return new Registration(info);
    }

    private sealed class Registration(ExplainerInfo info) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) Entries.Remove(info);
        }
    }

    private static void Add(ExplainerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        foreach (var name in info.Names.Append(info.Family))
            if (Entries.Any(e => e.Family != info.Family && e.Names.Contains(name, StringComparer.OrdinalIgnoreCase)))
                throw new InvalidOperationException($"two explainers are named '{name}'");
        Entries.RemoveAll(e => e.Family.Equals(info.Family, StringComparison.OrdinalIgnoreCase));
        Entries.Add(info);
    }

    /// <summary>Every entry in listing order (baselines last).</summary>
    public static IReadOnlyList<ExplainerInfo> Catalogue
    {
        get { lock (Gate) return [.. Entries.OrderBy(e => e.Baseline).ThenBy(e => e.Order).ThenBy(e => e.Family, StringComparer.Ordinal)]; }
    }

    /// <summary>The family names, in listing order (baselines included).</summary>
    /// <summary>The settings the catalogue's methods declare with an option (LIME's samples, runs and kernel width, IG's
    /// steps and baseline, SHAP's samples, ...), each once, in catalogue order: what the command lines' shared option
    /// group is built from.</summary>
    public static IReadOnlyList<ExplainerSetting> SharedSettings =>
        [.. Catalogue.SelectMany(e => e.Settings).Where(s => s.Option is not null && s.Get is not null && s.Set is not null).DistinctBy(s => s.Name)];

    public static IReadOnlyList<string> Families => [.. Catalogue.Select(e => e.Family)];

    /// <summary>Every method name (removal variants spelled out), in listing order.</summary>
    public static IReadOnlyList<string> MethodNames(bool includeBaselines = true) =>
        [.. Catalogue.Where(e => includeBaselines || !e.Baseline).SelectMany(e => e.Names)];

    /// <summary>"alpha-avg, ..., lime (or lime-delete, lime-unk), ..., or all": the accepted names, for messages.</summary>
    public static string Known =>
        string.Join(", ", Catalogue.Select(e => e.RemovalVariants ? $"{e.Family} (or {string.Join(", ", e.Names)})" : e.Family)) + ", or all";

    /// <summary>The entry and removal mode a method name means (case-insensitive): a family (mode null) or a removal
    /// variant. Throws ArgumentException naming the name and the known ones.</summary>
    public static (ExplainerInfo Info, RemovalMode? Mode) Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim();
        if (Lookup(n) is { } known) return known;
        lock (Gate) SearchLoaded();
        return Lookup(n) ?? throw new ArgumentException($"unknown explainer '{n}'; known: {Known}");
    }

    /// <summary>The entry of a name among the catalogue's, then among the found ones; null when neither has it.</summary>
    private static (ExplainerInfo Info, RemovalMode? Mode)? Lookup(string n)
    {
        List<ExplainerInfo> found;
        lock (Gate) found = [.. Found];
        foreach (var e in Catalogue.Concat(found))
        {
            if (e.Family.Equals(n, StringComparison.OrdinalIgnoreCase)) return (e, null);
            if (e.RemovalVariants)
                foreach (var m in RemovalNames.All)
                    if (e.NameOf(m).Equals(n, StringComparison.OrdinalIgnoreCase)) return (e, m);
        }
        return null;
    }

    /// <summary>The entry of a method name as explanations carry it ("lime-unk", "G-avg", "random").</summary>
    public static ExplainerInfo InfoOf(string method) => Parse(method).Info;

    /// <summary>
    /// The entry of an explainer (its default <see cref="IExplainer.Info"/>): the catalogue's entry of its name, or, for
    /// a class declared outside the catalogue (made with <c>new</c> in a script or a test), its own class's entry: its
    /// assembly is searched first, so the name is known to every name-based lookup afterwards (the faithfulness test's
    /// signed or not). An explainer whose name no entry declares is an ArgumentException saying how to declare one.
    /// </summary>
    public static ExplainerInfo InfoOf(IExplainer explainer)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        var type = explainer.GetType();
        if (typeof(ICataloguedExplainer).IsAssignableFrom(type))
            lock (Gate) Search(type.Assembly);
        if (Lookup(explainer.Name.Trim()) is { } known) return known.Info;
        throw new ArgumentException(typeof(ICataloguedExplainer).IsAssignableFrom(type)
            ? $"explainer '{explainer.Name}' ({type.Name}): its class's Catalogue declares no entry named '{explainer.Name}' (its entries: {string.Join(", ", Declared(type.Assembly).Where(d => d.Type == type).SelectMany(d => d.Info.Names))})"
            : $"explainer '{explainer.Name}' ({type.Name}) has no catalogue entry: implement ICataloguedExplainer (a static Catalogue with an ExplainerInfo named '{explainer.Name}'), or call ExplainerRegistry.Register(new ExplainerInfo(...))");
    }

    /// <summary>Whether a method's scores are signed, by its name.</summary>
    public static bool IsSigned(string method) => InfoOf(method).Signed;

    /// <summary>
    /// The explainers the names ask for, in the order given, duplicates dropped: "all" is every method that is not a
    /// baseline (with <paramref name="allIncludesBaselines"/>, the baselines too, last); a family with removal variants
    /// gives one explainer per mode of <see cref="ExplainerSettings.Removals"/>, a variant just that one.
    /// </summary>
    public static IReadOnlyList<IExplainer> Create(IEnumerable<string> names, ExplainerSettings? settings = null, bool allIncludesBaselines = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        settings ??= new ExplainerSettings();
        var list = new List<IExplainer>();
        foreach (var raw in names)
        {
            var n = raw?.Trim() ?? "";
            if (n.Length == 0) continue;
            if (n.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var e in Catalogue.Where(e => allIncludesBaselines || !e.Baseline)) list.AddRange(Make(e, null, settings));
                continue;
            }
            var (info, mode) = Parse(n);
            list.AddRange(Make(info, mode, settings));
        }
        if (list.Count == 0) throw new ArgumentException("no explainer chosen (give method names, or all)");
        return [.. list.GroupBy(e => e.Name, StringComparer.Ordinal).Select(g => g.First())];
    }

    private static IEnumerable<IExplainer> Make(ExplainerInfo info, RemovalMode? mode, ExplainerSettings settings)
    {
        if (!info.RemovalVariants) return [info.Create(settings, null)];
        if (mode is { } m) return [info.Create(settings, m)];
        if (settings.Removals.Count == 0) throw new ArgumentException($"{info.Family}: no removal mode chosen (use delete, unk or both)");
        return settings.Removals.Distinct().Select(r => info.Create(settings, r)).ToList();
    }
}
