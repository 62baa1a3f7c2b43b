namespace AttnXai.Faithfulness;

/// <summary>How the top feature (a distinct word, all its occurrences) is taken out of a document for the test.</summary>
public enum FeatureRemoval
{
    /// <summary>Every occurrence is deleted and the shorter text re-encoded: later words shift left, UNK padding grows
    /// (as <see cref="AttnXai.Explain.Perturbation.RemovalMode.Delete"/>).</summary>
    Delete,
    /// <summary>The word embedding W_e[x_t] of every occurrence is set to zero; the position encoding PE(t) stays, so
    /// e_t = PE(t) there and no other position moves.</summary>
    ZeroEmbedding,
    /// <summary>Every occurrence is left out of each head's [CLS] softmax (masked to -inf), which renormalises over the
    /// remaining positions (padding included for the paper's model, which has no padding mask).</summary>
    AttentionMask,
}

/// <summary>Names of the removals as the CLI and the CSV files write them: delete, zero, attention.</summary>
public static class FeatureRemovals
{
    public static readonly IReadOnlyList<FeatureRemoval> All = [FeatureRemoval.Delete, FeatureRemoval.ZeroEmbedding, FeatureRemoval.AttentionMask];

    public static string Name(FeatureRemoval r) => r switch
    {
        FeatureRemoval.Delete => "delete",
        FeatureRemoval.ZeroEmbedding => "zero",
        FeatureRemoval.AttentionMask => "attention",
        _ => throw new ArgumentOutOfRangeException(nameof(r), r, "unknown removal"),
    };

    public static FeatureRemoval Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "delete" => FeatureRemoval.Delete,
        "zero" => FeatureRemoval.ZeroEmbedding,
        "attention" => FeatureRemoval.AttentionMask,
        _ => throw new ArgumentException($"unknown removal '{name}' (use delete, zero or attention)"),
    };

    /// <summary>A comma list ("delete,zero" or "all"); duplicates are dropped, order kept.</summary>
    public static IReadOnlyList<FeatureRemoval> ParseList(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new ArgumentException("no removal given (use delete, zero, attention or all)");
        var result = new List<FeatureRemoval>();
        foreach (var item in items)
        {
            if (item.Equals("all", StringComparison.OrdinalIgnoreCase)) { result.AddRange(All); continue; }
            result.Add(Parse(item));
        }
        return result.Distinct().ToList();
    }
}
