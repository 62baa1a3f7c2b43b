namespace AttnXai.Explain;

/// <summary>How a removed word disappears from a perturbed document.</summary>
public enum RemovalMode
{
    /// <summary>Every occurrence is deleted and the shorter text re-tokenized (lime's default, bow=True; what the authors ran).</summary>
    Delete,
    /// <summary>Every occurrence is replaced in place by the UNK token (what Theorem 5.1 assumes).</summary>
    ReplaceWithUnk,
}

/// <summary>The removal modes' names, as method names and outputs use them ("lime-delete", "lime-unk").</summary>
public static class RemovalNames
{
    /// <summary>"delete" or "unk".</summary>
    public static string Name(this RemovalMode mode) => mode switch
    {
        RemovalMode.Delete => "delete",
        RemovalMode.ReplaceWithUnk => "unk",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown removal mode"),
    };

    /// <summary>Both modes, in the order outputs list them.</summary>
    public static IReadOnlyList<RemovalMode> All { get; } = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk];

    /// <summary>"delete" or "unk" (also "replace"), case-insensitive; ArgumentException naming the value otherwise.</summary>
    public static RemovalMode Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "delete" => RemovalMode.Delete,
        "unk" or "replace" => RemovalMode.ReplaceWithUnk,
        _ => throw new ArgumentException($"unknown removal mode '{name}' (use delete or unk)"),
    };
}

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
