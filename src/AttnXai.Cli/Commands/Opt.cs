using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AttnXai.Common;
using AttnXai.Common.Sharding;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// Range and choice checks attached to options, so that a bad value is refused while parsing, before any work, with
/// a message naming the option and the value ("--docs must be at least 1, got 0").
/// </summary>
public static class Opt
{
    /// <summary>The most LIME samples per run a command accepts (the method's bound, <see cref="LimeExplainer.MaxSamples"/>).</summary>
    public const int MaxLimeSamples = LimeExplainer.MaxSamples;

    // Upper bounds of the options that size work (counts, samples, steps, dimensions, positions, bags): far above
    // any run of the paper or its neighbours, low enough that a typo (2000000000) is refused while parsing instead of
    // starting work that hangs or exhausts the memory. Sizes that combine (a model's width and its vocabulary) are
    // checked against the machine's memory where they meet (see MemoryEstimate).
    public const int MaxDocuments = 10_000_000, MaxRuns = LimeExplainer.MaxRuns, MaxSteps = 100_000, MaxIgSteps = IntegratedGradientsExplainer.MaxSteps, MaxDimension = 65_536,
        MaxHeads = 1_024, MaxLayers = 1_024, MaxLength = 65_536, MaxEpochs = 100_000, MaxBatch = 1_000_000, MaxThreads = 4_096,
        MaxBags = 1_000_000, MaxSeeds = 1_000, MaxChunk = 1_000_000, MaxShards = 100_000, MaxVocabulary = 2_000_000;

    /// <summary>At least <paramref name="min"/> ("--x must be at least 1, got 0") and at most <paramref name="max"/>
    /// ("--x must be at most 10000 (why), got 2000000000").</summary>
    public static Option<T> Range<T>(this Option<T> option, double min, double max, string? why = null) => option.AtLeast(min).AtMost(max, why);

    public static Option<T> AtMost<T>(this Option<T> option, double max, string? why = null) =>
        option.Check(v => v <= max, v => $"{option.Name} must be at most {F(max)}{(why is null ? "" : $" ({why})")}, got {F(v)}");

    public static Option<T> AtLeast<T>(this Option<T> option, double min, string? why = null) =>
        option.Check(v => v >= min, v => $"{option.Name} must be at least {F(min)}{(why is null ? "" : $" ({why})")}, got {F(v)}");

    public static Option<T> Between<T>(this Option<T> option, double min, double max, string? why = null) =>
        option.Check(v => v >= min && v <= max, v => $"{option.Name} must be between {F(min)} and {F(max)}{(why is null ? "" : $" ({why})")}, got {F(v)}");

    /// <summary>A finite number greater than 0.</summary>
    public static Option<T> Positive<T>(this Option<T> option) =>
        option.Check(v => v > 0 && double.IsFinite(v), v => $"{option.Name} must be a positive number, got {F(v)}");

    /// <summary>A fraction in (0, 1].</summary>
    public static Option<T> Fraction<T>(this Option<T> option) =>
        option.Check(v => v > 0 && v <= 1, v => $"{option.Name} must lie in (0, 1], got {F(v)}");

    /// <summary>One of the given words (case-insensitive).</summary>
    public static Option<T> OneOf<T>(this Option<T> option, params string[] choices) => option.Words(choices);

    /// <summary>A LIME sample count under another name (bench's --samples): the range of --lime-samples.</summary>
    public static Option<T> LimeSamples<T>(this Option<T> option) =>
        option.Between(LimeExplainer.SamplesSetting.Min, LimeExplainer.SamplesSetting.Max, LimeExplainer.SamplesSetting.MaxReason);

    /// <summary>Samples of a large-sample limit: 0 (skip it) or 2 to <see cref="MaxLimeSamples"/>.</summary>
    public static Option<T> LimeSamplesOrZero<T>(this Option<T> option) =>
        option.Check(v => v == 0 || (v >= 2 && v <= MaxLimeSamples), v => $"{option.Name} must be 0 (skip the limit) or between 2 and {MaxLimeSamples}, got {F(v)}");

    /// <summary>
    /// The --shard I/N option of the studies that run sharded (reproduce, faithfulness, explain --split, depth): compute only
    /// shard I of N, a slice of whole chunks of the documents, into --out with shard.json; `attnxai merge` joins them.
    /// A value that is not I/N with 1 &lt;= I &lt;= N is refused while parsing.
    /// </summary>
    public static Option<string?> ShardOption()
    {
        var option = new Option<string?>("--shard")
        {
            Description = "compute only shard I of N (1 <= I <= N, e.g. 2/8; Slurm array tasks 1..N): a contiguous slice of whole chunks of the documents, written with shard.json to --out; `attnxai merge` joins the N part folders",
        };
        option.Validators.Add(r =>
        {
            if (Value<string?>(r) is string s)
                try { ShardSpec.Parse(s); }
                catch (ArgumentException e) { r.AddError($"--shard: {e.Message}"); }
        });
        return option;
    }

    /// <summary>The --shard of a parsed study command, or null when none was given.</summary>
    public static ShardSpec? Shard(this ParseResult r) => r.GetValue<string?>("--shard") is { } s ? ShardSpec.Parse(s) : null;

    /// <summary>The --chunk-size option of a sharded study (documents computed together; a shard holds whole chunks).</summary>
    public static Option<int?> ChunkSizeOption(string what, int defaultSize) =>
        new Option<int?>("--chunk-size") { Description = $"documents computed together ({what}; default {defaultSize}); a --shard holds whole chunks" }.Range(1, MaxChunk);

    /// <summary>Runs a library parser of an option's value; its ArgumentException (or UserError) becomes a
    /// <see cref="UserError"/> with the option's name in front ("--methods: unknown explainer 'x'; known: ...") unless
    /// it names an option already.</summary>
    public static T Parse<T>(string option, Func<T> parse)
    {
        try { return parse(); }
        catch (Exception e) when (e is UserError || e is ArgumentException and not ArgumentNullException && CliRunner.ThrownByAttnXai(e))
        {
            var m = CliRunner.Message(e);
            throw new UserError(m.StartsWith("--", StringComparison.Ordinal) ? m : $"{option}: {m}", e);
        }
    }

    /// <summary>True when the user gave the option (not its default).</summary>
    public static bool Given(this ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    private static Option<T> Words<T>(this Option<T> option, string[] choices)
    {
        option.Validators.Add(r =>
        {
            if (Value<T>(r) is string s && !choices.Contains(s.Trim(), StringComparer.OrdinalIgnoreCase))
                r.AddError($"{option.Name} must be {Choices(choices)}, got '{s}'");
        });
        return option;
    }

    public static string Choices(IReadOnlyList<string> choices) =>
        choices.Count == 1 ? choices[0] : string.Join(", ", choices.Take(choices.Count - 1)) + " or " + choices[^1];

    private static Option<T> Check<T>(this Option<T> option, Func<double, bool> ok, Func<double, string> message)
    {
        option.Validators.Add(r =>
        {
            if (ToDouble(Value<T>(r)) is { } v && !ok(v)) r.AddError(message(v));
        });
        return option;
    }

    /// <summary>The option's value, or null when it does not parse (the parser reports that itself).</summary>
    private static object? Value<T>(OptionResult r)
    {
        try { return r.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return null; }
    }

    private static double? ToDouble(object? v) => v switch
    {
        null => null,
        int i => i,
        long l => l,
        ulong u => u,
        double d => d,
        float f => f,
        _ => null,
    };

    private static string F(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("G", CultureInfo.InvariantCulture);
}
