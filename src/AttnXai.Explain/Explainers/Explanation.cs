namespace AttnXai.Explain.Explainers;

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
