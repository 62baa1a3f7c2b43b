using AttnXai.Model;

namespace AttnXai.Explain.Explainers;

/// <summary>One setting of a method as the catalogue lists it: its name in <see cref="ExplainerSettings"/> (or in its
/// <see cref="ExplainerSettings.Extra"/> map), its default and what it does.</summary>
public sealed record ExplainerSetting(string Name, string Default, string Description);

/// <summary>
/// What a method is, declared by the method itself (its class's static <c>Catalogue</c>, see
/// <see cref="ICataloguedExplainer"/>) and read by every front-end through <see cref="ExplainerRegistry"/>: its family
/// name, whether its scores are signed, whether it comes in the two removal variants (NAME-delete, NAME-unk), what it
/// needs of the model (a type the model must implement), its settings with defaults, and how to make it.
/// </summary>
/// <param name="Family">The method's name ("alpha-avg", "lime", ...).</param>
/// <param name="Summary">One sentence: what the score of a word is.</param>
/// <param name="Signed">True when a score's sign says which way the word pushes the explained logit; false for
/// magnitudes (attention, gradient norms), which cannot.</param>
/// <param name="Requires">The type the model must be (an ability interface such as <see cref="IAttentionModel"/>, or
/// <see cref="AttentionClassifier"/> for the paper's closed forms); <see cref="ITextClassifier"/> when any model will do.</param>
/// <param name="Create">Makes the explainer from the shared settings; the removal mode is given for methods with
/// removal variants and null otherwise.</param>
public sealed record ExplainerInfo(string Family, string Summary, bool Signed, Type Requires, Func<ExplainerSettings, RemovalMode?, IExplainer> Create)
{
    /// <summary>The method removes words (LIME, occlusion, SHAP): it exists as Family-delete and Family-unk.</summary>
    public bool RemovalVariants { get; init; }

    /// <summary>A reference rather than an explanation (the random baseline): "all" leaves it out unless asked.</summary>
    public bool Baseline { get; init; }

    /// <summary>Position in listings and in "all" (the paper's methods first, in its order).</summary>
    public int Order { get; init; } = 1000;

    public IReadOnlyList<ExplainerSetting> Settings { get; init; } = [];

    /// <summary>When the method's scores are zero by construction for a model (an identity of the model, not a
    /// finding): the reason in words, else null. Its computed scores are then rounding noise, which front-ends report
    /// as "zero by construction" with the reason and leave out of rankings, agreement and faithfulness tables. Null
    /// (the default): never.</summary>
    public Func<ITextClassifier, string?>? ZeroByConstruction { get; init; }

    /// <summary>The reason the method's scores are zero by construction for <paramref name="model"/>, or null.</summary>
    public string? ZeroReason(ITextClassifier model) => ZeroByConstruction?.Invoke(model);

    /// <summary>The method names this entry answers to: the family, or its two removal variants.</summary>
    public IReadOnlyList<string> Names => RemovalVariants ? [.. RemovalNames.All.Select(m => NameOf(m))] : [Family];

    /// <summary>The method name of a removal variant ("lime-unk"); the family itself without variants.</summary>
    public string NameOf(RemovalMode? mode) => RemovalVariants && mode is { } m ? $"{Family}-{m.Name()}" : Family;

    /// <summary>True when <paramref name="model"/> has what the method needs.</summary>
    public bool Supports(ITextClassifier model) => Requires.IsInstanceOfType(model);

    /// <summary>What the model must offer, in words, for messages.</summary>
    public string RequirementText =>
        Requires == typeof(ITextClassifier) ? "any text classifier"
        : Requires == typeof(IAttentionModel) ? "attention maps (a model implementing IAttentionModel)"
        : Requires == typeof(AttentionClassifier) ? "the paper's attention classifier (its closed forms)"
        : Requires.Name;
}

/// <summary>
/// An explainer class that declares its catalogue entries: the registry lists every class implementing this in the
/// AttnXai.Explain assembly (and in assemblies given to <see cref="ExplainerRegistry.Register(System.Reflection.Assembly)"/>),
/// and finds one in any other loaded assembly (a script's, a test's) by its name or its instance, so a new method is
/// one file and no registration call.
/// </summary>
public interface ICataloguedExplainer
{
    /// <summary>The families this class implements (one for most methods; alpha-avg and alpha-max share a class).</summary>
    static abstract IReadOnlyList<ExplainerInfo> Catalogue { get; }
}
