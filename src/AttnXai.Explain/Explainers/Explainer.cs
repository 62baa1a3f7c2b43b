using System.Globalization;
using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

/// <summary>How a per-token explainer's scores become one score per distinct word.</summary>
public enum WordAggregation
{
    /// <summary>The value of the word's last token (the authors' dictionary overwrite: the default for word-vocabulary
    /// models, whose words are one token each).</summary>
    Last,
    /// <summary>The sum over the word's tokens (every subword of every occurrence): the default for subword models.</summary>
    Sum,
    Mean,
    /// <summary>The largest (signed) value over the word's tokens.</summary>
    Max,
    /// <summary>The value of the word's first token.</summary>
    First,
    /// <summary>The model's default: <see cref="Last"/> for word-vocabulary models, <see cref="Sum"/> for subword
    /// models (<see cref="Adapters.ExplainTarget.DefaultAggregation"/>); outputs record the one used.</summary>
    Auto,
}

/// <summary>Per-token / per-word conversions.</summary>
public static class WordScores
{
    /// <summary>One score per distinct word from one score per token.</summary>
    public static double[] Aggregate(ReadOnlySpan<double> tokenScores, IReadOnlyList<int> wordOfToken, int wordCount, WordAggregation aggregation = WordAggregation.Last)
    {
        ArgumentNullException.ThrowIfNull(wordOfToken);
        if (tokenScores.Length != wordOfToken.Count)
            throw new ArgumentException($"{tokenScores.Length} token scores for {wordOfToken.Count} tokens", nameof(tokenScores));
        var result = new double[wordCount];
        var count = new int[wordCount];
        for (int t = 0; t < tokenScores.Length; t++)
        {
            int j = wordOfToken[t];
            if (j < 0 || j >= wordCount) throw new ArgumentException($"token {t} maps to word {j}, outside [0, {wordCount})", nameof(wordOfToken));
            double v = tokenScores[t];
            result[j] = aggregation switch
            {
                WordAggregation.Last => v,
                WordAggregation.Sum or WordAggregation.Mean => result[j] + v,
                WordAggregation.Max => count[j] == 0 ? v : Math.Max(result[j], v),
                WordAggregation.First => count[j] == 0 ? v : result[j],
                _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "unknown aggregation"),
            };
            count[j]++;
        }
        if (aggregation == WordAggregation.Mean)
            for (int j = 0; j < wordCount; j++) if (count[j] > 0) result[j] /= count[j];
        return result;
    }

    /// <summary>Every occurrence gets its word's score.</summary>
    public static double[] Spread(ReadOnlySpan<double> wordScores, IReadOnlyList<int> wordOfToken)
    {
        var t = new double[wordOfToken.Count];
        for (int i = 0; i < t.Length; i++) t[i] = wordScores[wordOfToken[i]];
        return t;
    }

    public static WordAggregation Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "last" => WordAggregation.Last,
        "sum" => WordAggregation.Sum,
        "mean" => WordAggregation.Mean,
        "max" => WordAggregation.Max,
        "first" => WordAggregation.First,
        "auto" => WordAggregation.Auto,
        _ => throw new ArgumentException($"unknown word aggregation '{name}' (use last, sum, mean, max, first or auto)", nameof(name)),
    };
}

/// <summary>One method's explanation of one document.</summary>
/// <param name="Method">The explainer's name (e.g. "alpha-avg", "lime-delete").</param>
/// <param name="TokenScores">One score per token (T).</param>
/// <param name="WordScores">One score per distinct word (d), in the document's word order.</param>
/// <param name="Settings">The method's settings, as text.</param>
/// <param name="Diagnostics">Scalars about the run (e.g. IG's completeness gap, LIME's R^2).</param>
/// <param name="Vectors">Extra per-word or per-token vectors (e.g. LIME's coefficient standard deviation over runs).</param>
public sealed record Explanation(
    string Method,
    ExplainDocument Document,
    double[] TokenScores,
    double[] WordScores,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyDictionary<string, double> Diagnostics,
    IReadOnlyDictionary<string, double[]> Vectors);

/// <summary>
/// An explainer: documents in, one explanation each (a score per token and per distinct word) out. Implementations
/// batch over documents where the method allows it. A new explainer is one file: a class deriving from
/// <see cref="TokenExplainer"/> or <see cref="WordExplainer"/> that declares its catalogue entry
/// (<see cref="ICataloguedExplainer"/>); the <see cref="ExplainerRegistry"/> finds it by name, in AttnXai.Explain and in
/// any loaded assembly (a script's, a test's) without a registration call, and an instance made with <c>new</c> uses
/// its class's entry (src/AttnXai.Explain/README.md, "Adding a method").
/// </summary>
public interface IExplainer
{
    /// <summary>The method name explanations carry ("alpha-avg", "lime-unk").</summary>
    string Name { get; }

    /// <summary>What the method is (signed, what it needs...): the catalogue's entry of <see cref="Name"/>, or the
    /// entry its own class declares (<see cref="ExplainerRegistry.InfoOf(IExplainer)"/>).</summary>
    ExplainerInfo Info => ExplainerRegistry.InfoOf(this);

    /// <summary>True when the method scores words (all occurrences at once): every occurrence gets its word's score.</summary>
    bool PerWord { get; }
    IReadOnlyDictionary<string, string> Settings { get; }
    IReadOnlyList<Explanation> Explain(ExplainTarget target, IReadOnlyList<ExplainDocument> documents);
}

/// <summary>A per-token method; word scores come from <see cref="Aggregation"/>.</summary>
public abstract class TokenExplainer(WordAggregation aggregation = WordAggregation.Auto) : IExplainer
{
    public abstract string Name { get; }
    /// <summary>The method's catalogue entry (<see cref="ExplainerRegistry.InfoOf(IExplainer)"/>).</summary>
    public ExplainerInfo Info => ExplainerRegistry.InfoOf(this);
    public bool PerWord => false;
    public WordAggregation Aggregation { get; } = aggregation;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var s = new Dictionary<string, string>(StringComparer.Ordinal) { ["word_aggregation"] = Aggregation.ToString().ToLowerInvariant() };
            foreach (var (k, v) in MethodSettings()) s[k] = v;
            return s;
        }
    }

    protected virtual IEnumerable<KeyValuePair<string, string>> MethodSettings() => [];

    /// <summary>Settings whose value depends on the model (a default the target resolves), as explanations record them.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> ResolvedSettings(ExplainTarget target) => [];

    /// <summary>Token scores (T per document) and optional diagnostics, for a batch of documents.</summary>
    protected abstract (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents);

    public IReadOnlyList<Explanation> Explain(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(documents);
        target.Require(this);
        if (documents.Count == 0) return [];
        var scores = ScoreTokens(target, documents);
        var aggregation = Aggregation == WordAggregation.Auto ? target.DefaultAggregation : Aggregation;
        var settings = new Dictionary<string, string>(Settings, StringComparer.Ordinal) { ["word_aggregation"] = aggregation.ToString().ToLowerInvariant() };
        foreach (var (k, v) in ResolvedSettings(target)) settings[k] = v;
        var result = new Explanation[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            var doc = documents[i];
            var (tokens, diag) = scores[i];
            ExplainerChecks.Finite(Name, doc, tokens);
            var words = WordScores.Aggregate(tokens, doc.WordOfToken, doc.WordCount, aggregation);
            result[i] = new Explanation(Name, doc, tokens, words, settings,
                (IReadOnlyDictionary<string, double>?)diag ?? new Dictionary<string, double>(), new Dictionary<string, double[]>());
        }
        return result;
    }
}

/// <summary>A per-word (perturbation) method; every occurrence gets its word's score.</summary>
public abstract class WordExplainer : IExplainer
{
    public abstract string Name { get; }
    /// <summary>The method's catalogue entry (<see cref="ExplainerRegistry.InfoOf(IExplainer)"/>).</summary>
    public ExplainerInfo Info => ExplainerRegistry.InfoOf(this);
    public bool PerWord => true;
    public abstract IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Word scores (d), diagnostics and extra vectors for one document.</summary>
    protected abstract (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document);

    public IReadOnlyList<Explanation> Explain(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(documents);
        target.Require(this);
        var settings = Settings;
        var result = new Explanation[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            var doc = documents[i];
            var (words, diag, vectors) = ScoreWords(target, doc);
            ExplainerChecks.Finite(Name, doc, words);
            result[i] = new Explanation(Name, doc, WordScores.Spread(words, doc.WordOfToken), words, settings, diag, vectors);
        }
        return result;
    }
}

internal static class ExplainerChecks
{
    public static void Finite(string method, ExplainDocument doc, double[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new InvalidOperationException($"{method} produced a non-finite score ({values[i]}) for item {i} of document '{doc.Label ?? Shorten(doc.Text)}'");
    }

    public static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    public static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
