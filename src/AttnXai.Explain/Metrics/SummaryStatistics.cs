namespace AttnXai.Explain.Metrics;

/// <summary>
/// Summary of one measure over many documents. NaN values (e.g. an undefined correlation) are left out of every
/// statistic and counted in <see cref="NaNCount"/>; <see cref="Count"/> is the number of values summarised.
/// Quartiles use linear interpolation between order statistics (numpy's default, Hyndman-Fan type 7):
/// q(p) = x_(h) + (h - floor h)(x_(floor h + 1) - x_(floor h)), h = (Count - 1) p, 0-based sorted x.
/// </summary>
/// <param name="WorstIndices">Indices into the input of the worst values, worst first (ties by lower index).</param>
public sealed record SummaryStatistics(
    int Count, int NaNCount, double Mean, double Min, double Q1, double Median, double Q3, double Max, int[] WorstIndices)
{
    /// <summary>
    /// Summarises <paramref name="values"/> (one per document). The <paramref name="worstCount"/> worst documents are
    /// the largest values when <paramref name="higherIsWorse"/> (errors), else the smallest (correlations, overlaps).
    /// Throws ArgumentException when no non-NaN value is given.
    /// </summary>
    public static SummaryStatistics Of(ReadOnlySpan<double> values, int worstCount = 10, bool higherIsWorse = true)
    {
        if (worstCount < 0) throw new ArgumentOutOfRangeException(nameof(worstCount), worstCount, "worstCount must be non-negative.");
        var idx = new List<int>(values.Length);
        for (int i = 0; i < values.Length; i++) if (!double.IsNaN(values[i])) idx.Add(i);
        if (idx.Count == 0)
            throw new ArgumentException($"There is no value to summarise ({values.Length} given, all NaN or none).", nameof(values));
        var v = values.ToArray();
        var sorted = idx.Select(i => v[i]).ToArray();
        Array.Sort(sorted);
        double mean = 0;
        foreach (double x in sorted) mean += x;
        mean /= sorted.Length;

        var order = idx.ToArray();
        Array.Sort(order, (x, y) =>
        {
            int c = higherIsWorse ? v[y].CompareTo(v[x]) : v[x].CompareTo(v[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        return new SummaryStatistics(
            sorted.Length, values.Length - sorted.Length, mean, sorted[0], QuantileOfSorted(sorted, 0.25),
            QuantileOfSorted(sorted, 0.5), QuantileOfSorted(sorted, 0.75), sorted[^1], order[..Math.Min(worstCount, order.Length)]);
    }

    /// <summary>The p-quantile (0 &lt;= p &lt;= 1) of ascending-sorted values, with linear interpolation (type 7).</summary>
    public static double QuantileOfSorted(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 1].");
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        double frac = h - lo;
        return frac == 0 ? sorted[lo] : sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
    }
}
