using System.Globalization;
using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

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
