namespace AttnXai.Plot;

/// <summary>Tukey box-plot statistics of one sample.</summary>
/// <param name="Q1">25th percentile (linear interpolation, see <see cref="Stats.Quantile"/>).</param>
/// <param name="Median">50th percentile.</param>
/// <param name="Q3">75th percentile.</param>
/// <param name="WhiskerLow">Smallest data point &gt;= Q1 - k * IQR, but never above Q1 (as matplotlib).</param>
/// <param name="WhiskerHigh">Largest data point &lt;= Q3 + k * IQR, but never below Q3.</param>
/// <param name="Outliers">Data points outside the whiskers, ascending.</param>
public sealed record BoxStats(int N, double Min, double Q1, double Median, double Q3, double Max,
    double WhiskerLow, double WhiskerHigh, IReadOnlyList<double> Outliers)
{
    public double Iqr => Q3 - Q1;
}

/// <summary>Small descriptive statistics used by the charts.</summary>
public static class Stats
{
    /// <summary>
    /// The p-quantile (p in [0, 1]) by linear interpolation between closest ranks, numpy's default ("linear", Hyndman-Fan
    /// type 7): with the sorted sample x[0..n-1], h = (n - 1) p and Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
    /// Example: [1, 2, 3, 4] gives Q1 = 1.75, median 2.5, Q3 = 3.25.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> values, double p)
    {
        Guard.AllFinite(values, nameof(values));
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 1].");
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return QuantileSorted(sorted, p);
    }

    private static double QuantileSorted(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>Quartiles, Tukey whiskers (<paramref name="whisker"/> x IQR, default 1.5) and outliers. Values must be finite and non-empty.</summary>
    public static BoxStats Box(IReadOnlyList<double> values, double whisker = 1.5)
    {
        Guard.AllFinite(values, nameof(values));
        if (!(whisker >= 0) || double.IsInfinity(whisker)) throw new ArgumentOutOfRangeException(nameof(whisker), whisker, "whisker must be finite and >= 0.");
        var s = values.ToArray();
        Array.Sort(s);
        double q1 = QuantileSorted(s, 0.25), med = QuantileSorted(s, 0.5), q3 = QuantileSorted(s, 0.75);
        double iqr = q3 - q1, lowFence = q1 - whisker * iqr, highFence = q3 + whisker * iqr;
        var inside = s.Where(v => v >= lowFence && v <= highFence).ToArray();
        // The quartiles always lie inside the fences, so at least one point is inside unless rounding bites; fall back to quartiles.
        double wl = inside.Length > 0 ? inside[0] : q1, wh = inside.Length > 0 ? inside[^1] : q3;
        var outliers = s.Where(v => v < lowFence || v > highFence).ToArray();
        return new BoxStats(s.Length, s[0], q1, med, q3, s[^1], Math.Min(wl, q1), Math.Max(wh, q3), outliers);
    }
}
