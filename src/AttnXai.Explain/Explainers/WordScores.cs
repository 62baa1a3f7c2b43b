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
