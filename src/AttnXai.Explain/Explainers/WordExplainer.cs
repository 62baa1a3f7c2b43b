using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

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
