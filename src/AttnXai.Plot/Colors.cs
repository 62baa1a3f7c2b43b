using System.Globalization;

namespace AttnXai.Plot;

/// <summary>An sRGB colour with 8-bit channels.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Lower-case "#rrggbb".</summary>
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";

    public override string ToString() => Hex;

    /// <summary>Parses "#rrggbb" or "#rgb".</summary>
    public static Rgb Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        string h = hex.StartsWith('#') ? hex[1..] : hex;
        if (h.Length == 3) h = string.Concat(h.Select(c => new string(c, 2)));
        if (h.Length != 6 || !int.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            throw new ArgumentException($"Not a #rrggbb colour: '{hex}'.", nameof(hex));
        return new Rgb((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }

    /// <summary>Linear interpolation in sRGB; <paramref name="t"/> is clamped to [0, 1]; channels are rounded.</summary>
    public static Rgb Lerp(Rgb a, Rgb b, double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        static byte Mix(byte x, byte y, double t) => (byte)Math.Round(x + (y - x) * t, MidpointRounding.AwayFromZero);
        return new Rgb(Mix(a.R, b.R, t), Mix(a.G, b.G, t), Mix(a.B, b.B, t));
    }

    /// <summary>Relative luminance in [0, 1] (WCAG formula), used to pick black or white text on a background.</summary>
    public double Luminance
    {
        get
        {
            static double Lin(byte c)
            {
                double s = c / 255.0;
                return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
            }
            return 0.2126 * Lin(R) + 0.7152 * Lin(G) + 0.0722 * Lin(B);
        }
    }

    /// <summary>"#000000" or "#ffffff", whichever reads better on this background.</summary>
    public string ContrastText => Luminance > 0.35 ? "#000000" : "#ffffff";
}

/// <summary>Named colours and the categorical palette.</summary>
public static class Colors
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);
    /// <summary>Pure red, the negative end of the diverging scale.</summary>
    public static readonly Rgb Red = new(255, 0, 0);
    /// <summary>Pure green, the positive end of the diverging scale.</summary>
    public static readonly Rgb Green = new(0, 255, 0);
    /// <summary>Dark blue, the high end of the sequential scale.</summary>
    public static readonly Rgb Blue = new(8, 48, 107);
    /// <summary>Fill for missing (NaN) heatmap cells: mid grey #bdbdbd.</summary>
    public static readonly Rgb Missing = new(189, 189, 189);
    public static readonly Rgb Axis = new(51, 51, 51);
    public static readonly Rgb Grid = new(224, 224, 224);

    private static readonly Rgb[] PaletteColors =
    [
        Rgb.Parse("#1f77b4"), Rgb.Parse("#ff7f0e"), Rgb.Parse("#2ca02c"), Rgb.Parse("#d62728"), Rgb.Parse("#9467bd"),
        Rgb.Parse("#8c564b"), Rgb.Parse("#e377c2"), Rgb.Parse("#7f7f7f"), Rgb.Parse("#bcbd22"), Rgb.Parse("#17becf"),
    ];

    /// <summary>The ten categorical series colours (blue, orange, green, red, purple, brown, pink, grey, olive, cyan).</summary>
    public static IReadOnlyList<Rgb> Palette => PaletteColors;

    /// <summary>Series colour <paramref name="index"/>, cycling through <see cref="Palette"/>.</summary>
    public static Rgb Categorical(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return PaletteColors[index % PaletteColors.Length];
    }
}

/// <summary>A colour scale that maps numbers to colours.</summary>
public interface IColorScale
{
    /// <summary>Lowest value shown on a colour bar.</summary>
    double Min { get; }
    /// <summary>Highest value shown on a colour bar.</summary>
    double Max { get; }
    /// <summary>Colour of <paramref name="value"/>; values outside [Min, Max] are clamped. NaN throws.</summary>
    Rgb Map(double value);
}

/// <summary>
/// Symmetric diverging scale as in the paper's Figure 5: -MaxAbs is pure red, 0 is white, +MaxAbs is pure green,
/// linear in between (channel-wise in sRGB) and clamped outside. Map(-v) is Map(v) with red and green swapped.
/// </summary>
public sealed class DivergingScale : IColorScale
{
    public double MaxAbs { get; }
    public Rgb Negative { get; }
    public Rgb Zero { get; }
    public Rgb Positive { get; }

    /// <param name="maxAbs">Positive, finite magnitude mapped to full colour. A caller with all-zero data may pass any positive value.</param>
    public DivergingScale(double maxAbs, Rgb? negative = null, Rgb? zero = null, Rgb? positive = null)
    {
        Guard.Positive(maxAbs, nameof(maxAbs));
        MaxAbs = maxAbs;
        Negative = negative ?? Colors.Red;
        Zero = zero ?? Colors.White;
        Positive = positive ?? Colors.Green;
    }

    /// <summary>A scale whose MaxAbs is the largest |v| among finite values (1 when they are all zero or none is finite).</summary>
    public static DivergingScale ForData(IEnumerable<double> values)
    {
        double m = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return new DivergingScale(m > 0 ? m : 1);
    }

    public double Min => -MaxAbs;
    public double Max => MaxAbs;

    public Rgb Map(double value)
    {
        if (double.IsNaN(value)) throw new ArgumentException("Cannot map NaN to a colour.", nameof(value));
        double t = Math.Clamp(value / MaxAbs, -1, 1);
        return t < 0 ? Rgb.Lerp(Zero, Negative, -t) : Rgb.Lerp(Zero, Positive, t);
    }
}

/// <summary>Sequential scale from white (at Min) to dark blue (at Max), e.g. for attention weights.</summary>
public sealed class SequentialScale : IColorScale
{
    public double Min { get; }
    public double Max { get; }
    public Rgb Low { get; }
    public Rgb High { get; }

    public SequentialScale(double min, double max, Rgb? low = null, Rgb? high = null)
    {
        Guard.Finite(min, nameof(min));
        Guard.Finite(max, nameof(max));
        if (!(max > min)) throw new ArgumentException($"max ({max}) must be greater than min ({min}).", nameof(max));
        Min = min;
        Max = max;
        Low = low ?? Colors.White;
        High = high ?? Colors.Blue;
    }

    /// <summary>[0, max] when all finite values are non-negative, else [min, max]; widened when degenerate.</summary>
    public static SequentialScale ForData(IEnumerable<double> values)
    {
        var f = values.Where(double.IsFinite).ToList();
        double lo = f.Count == 0 ? 0 : Math.Min(0, f.Min());
        double hi = f.Count == 0 ? 1 : f.Max();
        if (!(hi > lo)) hi = lo + 1;
        return new SequentialScale(lo, hi);
    }

    public Rgb Map(double value)
    {
        if (double.IsNaN(value)) throw new ArgumentException("Cannot map NaN to a colour.", nameof(value));
        return Rgb.Lerp(Low, High, (value - Min) / (Max - Min));
    }
}
