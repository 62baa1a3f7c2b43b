namespace AttnXai.Plot;

/// <summary>Maps data values (the domain) to pixel positions (the range) and provides axis ticks.</summary>
public interface IScale
{
    double DomainMin { get; }
    double DomainMax { get; }
    double RangeMin { get; }
    double RangeMax { get; }

    /// <summary>Pixel position of data value <paramref name="value"/> (not clamped).</summary>
    double Map(double value);

    /// <summary>Tick values inside the domain, roughly <paramref name="count"/> of them.</summary>
    IReadOnlyList<double> Ticks(int count = 5);

    /// <summary>Label for a tick produced by <see cref="Ticks"/> with the same <paramref name="count"/>.</summary>
    string FormatTick(double value, int count = 5);
}

/// <summary>A set of evenly spaced ticks.</summary>
public sealed record TickSet(double Step, IReadOnlyList<double> Values);

/// <summary>A linear scale from [DomainMin, DomainMax] to [RangeMin, RangeMax] (range may be reversed, e.g. for y).</summary>
public sealed class LinearScale : IScale
{
    public double DomainMin { get; }
    public double DomainMax { get; }
    public double RangeMin { get; }
    public double RangeMax { get; }

    /// <summary>Creates the scale. A degenerate domain (min == max) is widened to [min - 1, max + 1] (or by
    /// |min| / 2 when larger) so that mapping stays defined. Non-finite bounds or min &gt; max throw.</summary>
    public LinearScale(double domainMin, double domainMax, double rangeMin, double rangeMax)
    {
        Guard.Finite(domainMin, nameof(domainMin));
        Guard.Finite(domainMax, nameof(domainMax));
        Guard.Finite(rangeMin, nameof(rangeMin));
        Guard.Finite(rangeMax, nameof(rangeMax));
        if (domainMin > domainMax) throw new ArgumentException($"domainMin ({domainMin}) must not exceed domainMax ({domainMax}).", nameof(domainMin));
        if (domainMin == domainMax)
        {
            double pad = Math.Max(1, Math.Abs(domainMin) / 2);
            domainMin -= pad;
            domainMax += pad;
        }
        DomainMin = domainMin;
        DomainMax = domainMax;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    public double Map(double value) =>
        RangeMin + (value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin);

    /// <summary>Inverse of <see cref="Map"/>.</summary>
    public double Invert(double pixel) =>
        DomainMin + (pixel - RangeMin) / (RangeMax - RangeMin) * (DomainMax - DomainMin);

    public IReadOnlyList<double> Ticks(int count = 5) => NiceTicks(DomainMin, DomainMax, count).Values;

    public string FormatTick(double value, int count = 5) => NumberFormat.Tick(value, NiceStep(DomainMin, DomainMax, count));

    /// <summary>A copy whose domain is extended outward to multiples of the nice tick step (so the axis starts and
    /// ends on a tick). Iterates until the step is stable, so [-3.7, 12.1] with 5 ticks becomes [-5, 15] (step 5).</summary>
    public LinearScale Nice(int count = 5)
    {
        double lo = DomainMin, hi = DomainMax;
        for (int iter = 0; iter < 3; iter++)
        {
            double step = NiceStep(lo, hi, count);
            double nlo = Math.Floor(lo / step) * step, nhi = Math.Ceiling(hi / step) * step;
            if (nlo == lo && nhi == hi) break;
            lo = nlo;
            hi = nhi;
        }
        return new LinearScale(Clean(lo), Clean(hi), RangeMin, RangeMax);
    }

    /// <summary>
    /// The "nice" step for about <paramref name="count"/> intervals over [min, max]: the raw step (max - min) / count is
    /// rounded to 1, 2 or 5 times a power of ten (thresholds at sqrt 2, sqrt 10, sqrt 50 of the mantissa, as in d3).
    /// [0, 1] gives 0.2; [-3.7, 12.1] gives 2.
    /// </summary>
    public static double NiceStep(double min, double max, int count = 5)
    {
        Guard.Finite(min, nameof(min));
        Guard.Finite(max, nameof(max));
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "Tick count must be at least 1.");
        if (max < min) (min, max) = (max, min);
        double span = max - min;
        if (span == 0) span = Math.Max(1, Math.Abs(min));
        double raw = span / count;
        int power = (int)Math.Floor(Math.Log10(raw));
        double mantissa = raw / Math.Pow(10, power);
        int factor = mantissa >= Math.Sqrt(50) ? 10 : mantissa >= Math.Sqrt(10) ? 5 : mantissa >= Math.Sqrt(2) ? 2 : 1;
        return StepValue(factor, power);
    }

    /// <summary>
    /// Nice ticks (multiples of <see cref="NiceStep"/>) that lie inside [min, max]. Tick values are computed as
    /// integer multiples so they are exact decimals (0.6, not 0.6000000000000001).
    /// [0, 1] gives 0, 0.2, 0.4, 0.6, 0.8, 1; [-3.7, 12.1] gives -2, 0, 2, ..., 12.
    /// </summary>
    public static TickSet NiceTicks(double min, double max, int count = 5)
    {
        double step = NiceStep(min, max, count);
        if (max < min) (min, max) = (max, min);
        double eps = step * 1e-9;
        long first = (long)Math.Ceiling((min - eps) / step);
        long last = (long)Math.Floor((max + eps) / step);
        var values = new List<double>();
        for (long i = first; i <= last && values.Count < 1000; i++) values.Add(Clean(i * step));
        return new TickSet(step, values);
    }

    private static double StepValue(int factor, int power) =>
        power >= 0 ? factor * Math.Pow(10, power) : factor / Math.Pow(10, -power);

    /// <summary>Rounds away binary noise (15 significant digits) so 3 * 0.2 prints as 0.6.</summary>
    private static double Clean(double v) => v == 0 ? 0 : double.Parse(v.ToString("G15", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A base-10 logarithmic scale; the domain must be strictly positive.</summary>
public sealed class LogScale : IScale
{
    public double DomainMin { get; }
    public double DomainMax { get; }
    public double RangeMin { get; }
    public double RangeMax { get; }

    public LogScale(double domainMin, double domainMax, double rangeMin, double rangeMax)
    {
        Guard.Finite(domainMin, nameof(domainMin));
        Guard.Finite(domainMax, nameof(domainMax));
        Guard.Finite(rangeMin, nameof(rangeMin));
        Guard.Finite(rangeMax, nameof(rangeMax));
        if (domainMin <= 0) throw new ArgumentException($"A log scale needs a positive domain, got domainMin = {domainMin}.", nameof(domainMin));
        if (domainMin > domainMax) throw new ArgumentException($"domainMin ({domainMin}) must not exceed domainMax ({domainMax}).", nameof(domainMin));
        if (domainMin == domainMax)
        {
            domainMin /= 10;
            domainMax *= 10;
        }
        DomainMin = domainMin;
        DomainMax = domainMax;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    public double Map(double value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "A log scale maps only positive values.");
        double lo = Math.Log10(DomainMin), hi = Math.Log10(DomainMax);
        return RangeMin + (Math.Log10(value) - lo) / (hi - lo) * (RangeMax - RangeMin);
    }

    /// <summary>Powers of ten inside the domain; when that gives fewer than three ticks, also 2x and 5x multiples.</summary>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        int lo = (int)Math.Floor(Math.Log10(DomainMin)), hi = (int)Math.Ceiling(Math.Log10(DomainMax));
        var powers = new List<double>();
        var all = new List<double>();
        for (int p = lo; p <= hi; p++)
        {
            double b = Math.Pow(10, p);
            foreach (int m in new[] { 1, 2, 5 })
            {
                double v = double.Parse((m * b).ToString("G15", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
                if (v < DomainMin * (1 - 1e-9) || v > DomainMax * (1 + 1e-9)) continue;
                all.Add(v);
                if (m == 1) powers.Add(v);
            }
        }
        if (powers.Count >= 3) return ThinPowers(powers, count);
        return all;
    }

    private static List<double> ThinPowers(List<double> powers, int count)
    {
        int every = Math.Max(1, (int)Math.Ceiling(powers.Count / (double)Math.Max(count, 1)));
        return powers.Where((_, i) => i % every == 0).ToList();
    }

    public string FormatTick(double value, int count = 5) => NumberFormat.Number(value, 3);
}
