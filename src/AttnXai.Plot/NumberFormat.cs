using System.Globalization;

namespace AttnXai.Plot;

/// <summary>Invariant-culture number formatting with few digits, for coordinates, labels and tooltips.</summary>
public static class NumberFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A pixel coordinate or length: at most two decimals, no trailing zeros, never "-0".</summary>
    public static string Coord(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"Coordinate must be finite, got {v.ToString(Inv)}.", nameof(v));
        return FixNegativeZero(Math.Round(v, 2).ToString("0.##", Inv));
    }

    /// <summary>
    /// A data value for tooltips, cells and tables: <paramref name="significant"/> significant digits, trailing zeros
    /// removed, plain notation for magnitudes in [1e-4, 1e6) and scientific ("1.23E-05") outside. NaN and infinities
    /// are written as "NaN", "Infinity", "-Infinity".
    /// </summary>
    public static string Number(double v, int significant = 4)
    {
        if (significant < 1 || significant > 15) throw new ArgumentOutOfRangeException(nameof(significant), significant, "Must be in [1, 15].");
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "Infinity";
        if (double.IsNegativeInfinity(v)) return "-Infinity";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e-4 && a < 1e6)
        {
            int mag = (int)Math.Floor(Math.Log10(a));
            int decimals = Math.Clamp(significant - 1 - mag, 0, 15);
            string s = Math.Round(v, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals.ToString(Inv), Inv);
            return FixNegativeZero(TrimZeros(s));
        }
        return v.ToString("0." + new string('#', significant - 1) + "E+00", Inv);
    }

    /// <summary>
    /// A tick label for value <paramref name="v"/> on an axis whose ticks are <paramref name="step"/> apart: just enough
    /// decimals to distinguish neighbouring ticks (step 0.2 gives "0.4", step 5 gives "15"); scientific notation for
    /// very large or very small magnitudes.
    /// </summary>
    public static string Tick(double v, double step)
    {
        if (!double.IsFinite(v)) throw new ArgumentException("Tick value must be finite.", nameof(v));
        if (!double.IsFinite(step) || step <= 0) throw new ArgumentException("Tick step must be finite and positive.", nameof(step));
        if (Math.Abs(v) < step * 1e-9) v = 0;
        double a = Math.Abs(v);
        if (a >= 1e6 || step < 1e-5) return Number(v, 3);
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(step) - 1e-9), 0, 10);
        return FixNegativeZero(v.ToString("F" + decimals.ToString(Inv), Inv));
    }

    /// <summary>Formats a table cell: strings as-is, null as "", floating point via <see cref="Number"/>, other
    /// numbers and <see cref="IFormattable"/> values with the invariant culture.</summary>
    public static string Cell(object? value, int significant = 4) => value switch
    {
        null => string.Empty,
        string s => s,
        double d => Number(d, significant),
        float f => Number(f, significant),
        decimal m => Number((double)m, significant),
        IFormattable f => f.ToString(null, Inv),
        _ => value.ToString() ?? string.Empty,
    };

    private static string TrimZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }

    private static string FixNegativeZero(string s) =>
        s.Length > 1 && s[0] == '-' && s.AsSpan(1).IndexOfAnyExcept("0.") < 0 ? s[1..] : s;
}
