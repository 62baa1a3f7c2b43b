using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Explainers;

/// <summary>How a setting's value is checked (the message of each names the option, as the command line prints it).</summary>
public enum SettingCheck
{
    /// <summary>min &lt;= v &lt;= max, refused as "must be at least MIN" or "must be at most MAX".</summary>
    Range,
    /// <summary>min &lt;= v &lt;= max, refused as "must be between MIN and MAX".</summary>
    Between,
    /// <summary>A finite number greater than 0.</summary>
    Positive,
    /// <summary>One of <see cref="ExplainerSetting.Choices"/> (case-insensitive).</summary>
    Choice,
    /// <summary>No check (free text, or a setting without an option).</summary>
    None,
}

/// <summary>
/// One setting of a method, declared once on the method's class and listed in its catalogue entry: its name in
/// <see cref="ExplainerSettings"/> (or in its <see cref="ExplainerSettings.Extra"/> map), its default, what it does, and,
/// for the settings the command lines share, the option that sets it (<see cref="Option"/>), its valid range and how to
/// read and write it on an <see cref="ExplainerSettings"/>. Every command that takes the option builds it from here
/// (the CLI's ExplainerOptions), and <see cref="ExplainerSettings.Validate"/> checks a library caller's values with the
/// same messages.
/// </summary>
public sealed record ExplainerSetting(string Name, string Default, string Description)
{
    /// <summary>The command-line option ("--lime-samples"), or null for a setting no command takes on its own (the seed,
    /// which every command takes with its own meaning).</summary>
    public string? Option { get; init; }
    public SettingCheck Check { get; init; } = SettingCheck.None;
    public double Min { get; init; } = double.NegativeInfinity;
    public double Max { get; init; } = double.PositiveInfinity;
    /// <summary>Why the maximum is what it is (printed with a refused value).</summary>
    public string? MaxReason { get; init; }
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>The value's type: int, double or string (choices).</summary>
    public Type ValueType { get; init; } = typeof(string);
    /// <summary>The value in <paramref name="settings"/> (an int, a double or a string).</summary>
    public Func<ExplainerSettings, object>? Get { get; init; }
    /// <summary><paramref name="settings"/> with the value (an int, a double or a string) set.</summary>
    public Func<ExplainerSettings, object, ExplainerSettings>? Set { get; init; }

    /// <summary>An integer setting (a count) with its range.</summary>
    public static ExplainerSetting Count(string name, string option, int @default, int min, int max, string description,
        Func<ExplainerSettings, int> get, Func<ExplainerSettings, int, ExplainerSettings> set, SettingCheck check = SettingCheck.Range, string? maxReason = null) =>
        new(name, Text(@default), description)
        {
            Option = option, Check = check, Min = min, Max = max, MaxReason = maxReason, ValueType = typeof(int),
            Get = s => get(s), Set = (s, v) => set(s, Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)),
        };

    /// <summary>A positive real setting.</summary>
    public static ExplainerSetting PositiveNumber(string name, string option, double @default, string description,
        Func<ExplainerSettings, double> get, Func<ExplainerSettings, double, ExplainerSettings> set) =>
        new(name, Text(@default), description)
        {
            Option = option, Check = SettingCheck.Positive, ValueType = typeof(double),
            Get = s => get(s), Set = (s, v) => set(s, Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)),
        };

    /// <summary>A setting that is one of a few words.</summary>
    public static ExplainerSetting Choice(string name, string option, string @default, IReadOnlyList<string> choices, string description,
        Func<ExplainerSettings, string> get, Func<ExplainerSettings, string, ExplainerSettings> set) =>
        new(name, @default, description)
        {
            Option = option, Check = SettingCheck.Choice, Choices = choices, ValueType = typeof(string),
            Get = s => get(s), Set = (s, v) => set(s, ((string)v).Trim().ToLowerInvariant()),
        };

    /// <summary>What is wrong with <paramref name="value"/> ("--lime-runs must be at least 1, got 0"), or null.</summary>
    public string? Problem(object value)
    {
        string name = Option ?? Name;
        if (Check == SettingCheck.Choice)
            return value is string s && Choices.Contains(s.Trim(), StringComparer.OrdinalIgnoreCase) ? null
                : $"{name} must be {ChoiceText(Choices)}, got '{value}'";
        if (Check == SettingCheck.None || value is string) return null;
        double v = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        string why = MaxReason is null ? "" : $" ({MaxReason})";
        return Check switch
        {
            SettingCheck.Positive => v > 0 && double.IsFinite(v) ? null : $"{name} must be a positive number, got {Text(v)}",
            SettingCheck.Between => v >= Min && v <= Max ? null : $"{name} must be between {Text(Min)} and {Text(Max)}{why}, got {Text(v)}",
            _ => v < Min ? $"{name} must be at least {Text(Min)}, got {Text(v)}" : v > Max ? $"{name} must be at most {Text(Max)}{why}, got {Text(v)}" : null,
        };
    }

    /// <summary>The valid values in words ("2 to 1,000,000", "a positive number", "unk, pad or mask").</summary>
    public string RangeText => Check switch
    {
        SettingCheck.Range or SettingCheck.Between => $"{Min.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} to {Max.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}",
        SettingCheck.Positive => "positive",
        SettingCheck.Choice => ChoiceText(Choices),
        _ => "",
    };

    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string ChoiceText(IReadOnlyList<string> choices) =>
        choices.Count == 1 ? choices[0] : string.Join(", ", choices.Take(choices.Count - 1)) + " or " + choices[^1];

    /// <summary>A number as the messages print it: integers without a decimal point, others in invariant culture.</summary>
    public static string Text(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(System.Globalization.CultureInfo.InvariantCulture) : v.ToString("G", System.Globalization.CultureInfo.InvariantCulture);
}

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
