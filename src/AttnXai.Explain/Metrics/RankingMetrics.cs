namespace AttnXai.Explain.Metrics;

/// <summary>
/// Ranking quality of scores against binary labels (higher score = "more likely positive"): used to grade explanations
/// against known key instances (set benchmarks) and to measure how well a quantity separates two classes (shortcut probe).
/// <list type="bullet">
/// <item><b>AUROC</b> = P(score of a random key &gt; score of a random non-key) + 1/2 P(equal): the Mann-Whitney
/// statistic with ties counted 1/2, computed from mid-ranks. NaN when there is no key or no non-key.</item>
/// <item><b>AUPRC</b> = average precision: AP = sum over the distinct score thresholds s, from high to low, of
/// (R(s) - R(s_prev)) P(s), where P(s) and R(s) are the precision and recall of "score &gt;= s" (tied instances enter
/// together, as scikit-learn's average_precision_score does). NaN when there is no key. A random scoring has expected
/// AP close to the key fraction; a perfect one has 1.</item>
/// </list>
/// Non-finite scores are rejected.
/// </summary>
public static class RankingMetrics
{
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> key)
    {
        Check(scores, key);
        int n = scores.Length;
        var order = SortedOrder(scores);
        long positives = 0;
        for (int i = 0; i < n; i++) if (key[i]) positives++;
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        // Sum of the keys' mid-ranks (1-based), tied groups sharing their average rank.
        double rankSum = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double midRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) if (key[order[k]]) rankSum += midRank;
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>AUROC of the values as scores for class 1: P(class-1 value &gt; class-0 value) + P(tie) / 2.</summary>
    public static double Auroc(IReadOnlyList<double> class0, IReadOnlyList<double> class1)
    {
        ArgumentNullException.ThrowIfNull(class0);
        ArgumentNullException.ThrowIfNull(class1);
        var scores = class0.Concat(class1).ToArray();
        var positive = new bool[scores.Length];
        positive.AsSpan(class0.Count).Fill(true);
        return Auroc(scores, positive);
    }

    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> key)
    {
        Check(scores, key);
        int n = scores.Length;
        long positives = 0;
        for (int i = 0; i < n; i++) if (key[i]) positives++;
        if (positives == 0) return double.NaN;
        var order = SortedOrder(scores);
        double ap = 0;
        long tp = 0, seen = 0;
        // From the highest score down, one step per distinct value.
        for (int i = n - 1; i >= 0;)
        {
            int j = i;
            while (j - 1 >= 0 && scores[order[j - 1]] == scores[order[i]]) j--;
            long newTp = 0;
            for (int k = j; k <= i; k++) if (key[order[k]]) newTp++;
            tp += newTp;
            seen += i - j + 1;
            if (newTp > 0) ap += (double)newTp / positives * ((double)tp / seen);
            i = j - 1;
        }
        return ap;
    }

    /// <summary>Indices sorted by ascending score.</summary>
    private static int[] SortedOrder(ReadOnlySpan<double> scores)
    {
        var keys = scores.ToArray();
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(keys, order);
        return order;
    }

    private static void Check(ReadOnlySpan<double> scores, ReadOnlySpan<bool> key)
    {
        if (scores.Length != key.Length)
            throw new ArgumentException($"{scores.Length} scores for {key.Length} key labels");
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"score {i} is not finite ({scores[i]})");
    }
}
