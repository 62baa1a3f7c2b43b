namespace AttnXai.Explain.Metrics;

/// <summary>All agreement measures between a score vector <c>a</c> and a reference <c>b</c> (see <see cref="Agreement"/>).</summary>
/// <param name="Length">n, the common length.</param>
/// <param name="MaxAbsError">max_i |a_i - b_i|.</param>
/// <param name="MaxRelativeError">max_i |a_i - b_i| / max(|a_i|, |b_i|, tiny): elementwise, symmetric, in [0, 2].</param>
/// <param name="MaxErrorRelativeToScale">max_i |a_i - b_i| / max(max_j |b_j|, tiny): errors on the reference's scale.</param>
/// <param name="L2Distance">||a - b||_2.</param>
/// <param name="RelativeL2">||a - b||_2 / max(||b||_2, tiny).</param>
/// <param name="Pearson">Pearson correlation; NaN when either vector is constant (or n = 1).</param>
/// <param name="Spearman">Spearman correlation (Pearson of average ranks); NaN when either vector is constant.</param>
/// <param name="SignAgreement">Fraction of i with sign(a_i) = sign(b_i), zero being its own sign.</param>
/// <param name="TopK">The k used for the overlap: min(requested k, n).</param>
/// <param name="TopKOverlap">|top-k(a) ∩ top-k(b)| / k, top-k by |value|.</param>
public sealed record AgreementReport(
    int Length,
    double MaxAbsError,
    double MaxRelativeError,
    double MaxErrorRelativeToScale,
    double L2Distance,
    double RelativeL2,
    double Pearson,
    double Spearman,
    double SignAgreement,
    int TopK,
    double TopKOverlap);

/// <summary>
/// Agreement between two explanations of the same document, a (e.g. LIME) against a reference b (e.g. the theory).
/// Every method throws ArgumentException when the lengths differ, the vectors are empty, or a value is NaN.
/// Relative errors are defined robustly:
/// <list type="bullet">
/// <item><see cref="MaxRelativeError"/>: max_i |a_i - b_i| / max(|a_i|, |b_i|, tiny), elementwise and symmetric in a,
/// b; bounded by 2; a pair of near-zero values counts fully, so it is strict about small coordinates.</item>
/// <item><see cref="MaxErrorRelativeToScale"/>: max_i |a_i - b_i| / max(max_j |b_j|, tiny), the worst error measured
/// on the reference's own scale; tolerant of small coordinates.</item>
/// </list>
/// tiny defaults to <see cref="Tiny"/> = 1e-12.
/// </summary>
public static class Agreement
{
    /// <summary>Default floor of the denominators of relative errors.</summary>
    public const double Tiny = 1e-12;

    /// <summary>All measures at once; <paramref name="topK"/> is clipped to n.</summary>
    public static AgreementReport Compare(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int topK = 5)
    {
        Check(a, b);
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "k must be at least 1.");
        int k = Math.Min(topK, a.Length);
        return new AgreementReport(
            a.Length, MaxAbsError(a, b), MaxRelativeError(a, b), MaxErrorRelativeToScale(a, b), L2Distance(a, b),
            RelativeL2(a, b), Pearson(a, b), Spearman(a, b), SignAgreement(a, b), k, TopKOverlap(a, b, k));
    }

    /// <summary>max_i |a_i - b_i|.</summary>
    public static double MaxAbsError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Check(a, b);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>max_i |a_i - b_i| / max(|a_i|, |b_i|, tiny) (elementwise, symmetric, at most 2).</summary>
    public static double MaxRelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double tiny = Tiny)
    {
        Check(a, b);
        CheckTiny(tiny);
        double m = 0;
        for (int i = 0; i < a.Length; i++)
            m = Math.Max(m, Math.Abs(a[i] - b[i]) / Math.Max(Math.Max(Math.Abs(a[i]), Math.Abs(b[i])), tiny));
        return m;
    }

    /// <summary>max_i |a_i - b_i| / max(max_j |b_j|, tiny): relative to the reference vector's largest magnitude.</summary>
    public static double MaxErrorRelativeToScale(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double tiny = Tiny)
    {
        Check(a, b);
        CheckTiny(tiny);
        double scale = 0;
        foreach (double v in b) scale = Math.Max(scale, Math.Abs(v));
        return MaxAbsError(a, b) / Math.Max(scale, tiny);
    }

    /// <summary>||a - b||_2.</summary>
    public static double L2Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Check(a, b);
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    /// <summary>||a - b||_2 / max(||b||_2, tiny).</summary>
    public static double RelativeL2(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double tiny = Tiny)
    {
        Check(a, b);
        CheckTiny(tiny);
        double s = 0;
        foreach (double v in b) s += v * v;
        return L2Distance(a, b) / Math.Max(Math.Sqrt(s), tiny);
    }

    /// <summary>Pearson correlation in [-1, 1]; NaN when either vector has zero variance.</summary>
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Check(a, b);
        int n = a.Length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n; mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db; saa += da * da; sbb += db * db;
        }
        if (saa == 0 || sbb == 0) return double.NaN;
        return Math.Clamp(sab / Math.Sqrt(saa * sbb), -1, 1);
    }

    /// <summary>Spearman correlation: Pearson of the average ranks (ties share the mean of their ranks).</summary>
    public static double Spearman(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Check(a, b);
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>1-based ranks in ascending order, ties receiving the average of the ranks they span.</summary>
    public static double[] Ranks(ReadOnlySpan<double> values)
    {
        CheckValues(values, nameof(values));
        int n = values.Length;
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        var copy = values.ToArray();
        Array.Sort(idx, (x, y) => copy[x].CompareTo(copy[y]) is var c && c != 0 ? c : x.CompareTo(y));
        var ranks = new double[n];
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && copy[idx[end]] == copy[idx[start]]) end++;
            double avg = (start + 1 + end) / 2.0; // mean of ranks start+1 .. end
            for (int t = start; t < end; t++) ranks[idx[t]] = avg;
            start = end;
        }
        return ranks;
    }

    /// <summary>Fraction of positions where Math.Sign(a_i) = Math.Sign(b_i) (-1, 0 and +1 are three signs).</summary>
    public static double SignAgreement(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Check(a, b);
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (Math.Sign(a[i]) == Math.Sign(b[i])) same++;
        return (double)same / a.Length;
    }

    /// <summary>
    /// |top-k(a) ∩ top-k(b)| / k, where top-k takes the k largest |value| (ties broken by lower index).
    /// Requires 1 &lt;= k &lt;= n.
    /// </summary>
    public static double TopKOverlap(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int k)
    {
        Check(a, b);
        if (k < 1 || k > a.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{a.Length}.");
        var ta = new HashSet<int>(TopKIndices(a, k));
        int common = 0;
        foreach (int i in TopKIndices(b, k)) if (ta.Contains(i)) common++;
        return (double)common / k;
    }

    /// <summary>Indices of the k largest |value|, largest first, ties by lower index.</summary>
    public static int[] TopKIndices(ReadOnlySpan<double> values, int k)
    {
        CheckValues(values, nameof(values));
        if (k < 0 || k > values.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 0..{values.Length}.");
        var abs = new double[values.Length];
        for (int i = 0; i < abs.Length; i++) abs[i] = Math.Abs(values[i]);
        var idx = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(idx, (x, y) => abs[y].CompareTo(abs[x]) is var c && c != 0 ? c : x.CompareTo(y));
        return idx[..k];
    }

    private static void Check(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"The score vectors differ in length ({a.Length} vs {b.Length}).");
        CheckValues(a, "a");
        CheckValues(b, "b");
    }

    private static void CheckValues(ReadOnlySpan<double> v, string name)
    {
        if (v.Length == 0) throw new ArgumentException($"The score vector '{name}' is empty.", name);
        for (int i = 0; i < v.Length; i++)
            if (double.IsNaN(v[i])) throw new ArgumentException($"The score vector '{name}' holds NaN at index {i}.", name);
    }

    private static void CheckTiny(double tiny)
    {
        if (!(tiny > 0)) throw new ArgumentOutOfRangeException(nameof(tiny), tiny, "tiny must be positive.");
    }
}
