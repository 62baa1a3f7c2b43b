namespace AttnXai.Explain.Perturbation;

/// <summary>
/// The explained output f (for the paper: the raw positive-class logit) of one document under word-presence masks.
/// Features are the document's d distinct words, in order of first occurrence.
/// </summary>
public interface IPerturbationModel
{
    /// <summary>d, the number of distinct words (features).</summary>
    int FeatureCount { get; }

    /// <summary>
    /// Evaluates f on <paramref name="count"/> perturbed documents. <paramref name="keep"/> holds count rows of
    /// FeatureCount flags, row-major; true keeps the word (all its occurrences), false removes it.
    /// Returns one value per row. Implementations batch the rows through the model.
    /// </summary>
    double[] Evaluate(ReadOnlySpan<bool> keep, int count);
}
