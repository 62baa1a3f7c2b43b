namespace AttnXai.Explain.Perturbation;

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
