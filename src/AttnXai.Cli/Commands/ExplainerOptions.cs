using System.CommandLine;
using System.Globalization;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// The explainer options every command shares (--lime-samples, --lime-runs, --lime-kernel-width, --ig-steps,
/// --ig-baseline, --shap-samples), built from the settings the methods declare in the catalogue
/// (<see cref="ExplainerRegistry.SharedSettings"/>): one name, range, help text and refusal message per setting, whatever
/// the command. A command adds the group for the settings its study reads, with its study's defaults (and its --quick
/// preset) for the help, and <see cref="Read"/> applies the values given to the study's <see cref="ExplainerSettings"/>.
/// </summary>
public sealed class ExplainerOptions
{
    /// <summary>LIME's samples and runs (the faithfulness test, the shortcut probe).</summary>
    public static readonly IReadOnlyList<ExplainerSetting> Lime = [LimeExplainer.SamplesSetting, LimeExplainer.RunsSetting];

    private readonly List<(ExplainerSetting Setting, Option Option)> options = [];

    /// <param name="defaults">The command's defaults (its study's settings), shown in the help.</param>
    /// <param name="quick">The command's --quick preset, when it has one (shown where it differs).</param>
    /// <param name="settings">The settings the command takes (default: every shared one).</param>
    public ExplainerOptions(ExplainerSettings defaults, ExplainerSettings? quick = null, IEnumerable<ExplainerSetting>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        foreach (var s in settings ?? ExplainerRegistry.SharedSettings)
        {
            if (s.Option is null || s.Get is null || s.Set is null) throw new ArgumentException($"{s.Name} has no option to build");
            string value = Text(s.Get(defaults));
            string q = quick is not null && Text(s.Get(quick)) is var qv && qv != value ? $"; --quick {qv}" : "";
            string range = s.Check is SettingCheck.Range or SettingCheck.Between ? $", {s.RangeText}" : "";
            string description = $"{s.Description}{range} (default {value}{q})";
            Option option = s.ValueType == typeof(int) ? Checked(new Option<int?>(s.Option) { Description = description }, s)
                : s.ValueType == typeof(double) ? Checked(new Option<double?>(s.Option) { Description = description }, s)
                : Checked(new Option<string?>(s.Option) { Description = description }, s);
            options.Add((s, option));
        }
    }

    /// <summary>The options, to add to a command.</summary>
    public IReadOnlyList<Option> All => [.. options.Select(o => o.Option)];

    /// <summary>The option of a setting.</summary>
    public Option this[ExplainerSetting setting] => options.First(o => o.Setting == setting).Option;

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public ExplainerOptions AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
        return this;
    }

    /// <summary><paramref name="preset"/> with every shared setting the parsed command declares and the user gave.</summary>
    public static ExplainerSettings Read(ParseResult r, ExplainerSettings preset)
    {
        ArgumentNullException.ThrowIfNull(r);
        var declared = r.CommandResult.Command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var settings = preset;
        foreach (var s in ExplainerRegistry.SharedSettings.Where(s => declared.Contains(s.Option!)))
        {
            object? value = s.ValueType == typeof(int) ? r.GetValue<int?>(s.Option!)
                : s.ValueType == typeof(double) ? r.GetValue<double?>(s.Option!)
                : r.GetValue<string?>(s.Option!);
            if (value is not null) settings = Opt.Parse(s.Option!, () => s.Set!(settings, value));
        }
        return settings;
    }

    private static Option<T> Checked<T>(Option<T> option, ExplainerSetting setting)
    {
        option.Validators.Add(r =>
        {
            object? value;
            try { value = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }   // the parser reports a value that does not parse
            if (value is not null && setting.Problem(value) is { } problem) r.AddError(problem);
        });
        return option;
    }

    private static string Text(object value) => value switch
    {
        double d => ExplainerSetting.Text(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
