namespace AttnXai.Plot;

/// <summary>One bar series: <c>Values[g]</c> is the bar of group g; optional intervals (low, high) are drawn as error bars.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<(double Low, double High)>? Intervals = null, Rgb? Color = null);

public sealed record BarChartOptions : ChartOptions
{
    /// <summary>Fixed lower end of the y axis (default: nice bound of the data and 0).</summary>
    public double? YMin { get; init; }
    /// <summary>Fixed upper end of the y axis (default: nice bound of the data and 0).</summary>
    public double? YMax { get; init; }
    /// <summary>A dashed horizontal line at this value (e.g. a chance level), when inside the axis.</summary>
    public double? ReferenceValue { get; init; }
}

/// <summary>
/// Grouped vertical bars: one group per label, one bar per series side by side, bars rising from 0 (or the nearest axis
/// end), optional error bars and a legend when there are several series. Elements: rect.bar, line.error-bar,
/// line.reference, rect.plot-area.
/// </summary>
public static class BarChart
{
    public static string Render(IReadOnlyList<string> groups, IReadOnlyList<BarSeries> series, BarChartOptions? options = null)
    {
        Guard.NotEmpty(groups, nameof(groups));
        Guard.NotEmpty(series, nameof(series));
        var o = options ?? new BarChartOptions();
        o.Validate(nameof(options));
        int ng = groups.Count;
        for (int s = 0; s < series.Count; s++)
        {
            var se = series[s] ?? throw new ArgumentNullException(nameof(series), $"series[{s}] is null.");
            if (se.Values is null || se.Values.Count != ng)
                throw new ArgumentException($"series[{s}] ('{se.Name}') has {se.Values?.Count ?? 0} values but there are {ng} groups.", nameof(series));
            Guard.AllFinite(se.Values, nameof(series), label: $"series[{s}].Values");
            if (se.Intervals is null) continue;
            if (se.Intervals.Count != ng) throw new ArgumentException($"series[{s}].Intervals has {se.Intervals.Count} entries but there are {ng} groups.", nameof(series));
            for (int g = 0; g < ng; g++)
            {
                var (lo, hi) = se.Intervals[g];
                if (!double.IsFinite(lo) || !double.IsFinite(hi) || lo > hi)
                    throw new ArgumentException($"series[{s}].Intervals[{g}] is ({NumberFormat.Number(lo)}, {NumberFormat.Number(hi)}); it must be finite with low <= high.", nameof(series));
            }
        }
        if (o.ReferenceValue is { } refv) Guard.Finite(refv, "options.ReferenceValue");

        // y domain: the data, the intervals and 0 (bars start at 0).
        var all = series.SelectMany(se => se.Values.Concat(se.Intervals?.SelectMany(i => new[] { i.Low, i.High }) ?? [])).Append(0.0);
        var ext = Frame.Extent(all);
        var nice = new LinearScale(ext.Min, ext.Max, 1, 0).Nice();
        double yMin = o.YMin ?? nice.DomainMin, yMax = o.YMax ?? nice.DomainMax;
        if (!(yMax > yMin)) throw new ArgumentException($"options: YMax ({yMax}) must be greater than YMin ({yMin}).", nameof(options));
        var ticks = LinearScale.NiceTicks(yMin, yMax, 5);
        var tickLabels = ticks.Values.Select(t => NumberFormat.Tick(t, ticks.Step)).ToList();

        var colors = series.Select((se, s) => se.Color ?? Colors.Categorical(s)).ToArray();
        var legend = series.Count > 1 ? series.Select((se, s) => new LegendEntry(se.Name, LegendKind.Box, colors[s])).ToList() : [];
        double fs = o.FontSize;
        double legendH = Frame.LegendHeight(legend, o.Width - 2 * Frame.Pad, fs);
        var (area, rotate) = Frame.GroupLayout(o, groups, tickLabels, legendH, nameof(options));
        var y = new LinearScale(yMin, yMax, area.Bottom, area.Top);
        double Clamp(double v) => y.Map(Math.Clamp(v, yMin, yMax));

        var w = new SvgWriter(o.Width, o.Height, o.Title);
        Frame.DrawTitle(w, o);
        Frame.DrawLegend(w, legend, Frame.Pad, Frame.Pad + Frame.TitleHeight(o), o.Width - 2 * Frame.Pad, fs);
        Frame.DrawPlotBackground(w, area);
        Frame.DrawYAxis(w, area, y, o, ticks.Values, t => NumberFormat.Tick(t, ticks.Step));

        double band = area.Width / ng;
        double barW = band * 0.8 / series.Count;
        double baseY = Clamp(0);
        w.BeginGroup(cssClass: "bars");
        for (int g = 0; g < ng; g++)
        {
            double gc = area.Left + (g + 0.5) * band;
            for (int s = 0; s < series.Count; s++)
            {
                double cx = gc + (s - (series.Count - 1) / 2.0) * barW;
                double v = series[s].Values[g], vy = Clamp(v);
                string tip = $"{groups[g]}" + (series.Count > 1 ? $" ({series[s].Name})" : "") + $": {NumberFormat.Number(v)}";
                if (series[s].Intervals is { } iv) tip += $" [{NumberFormat.Number(iv[g].Low)}, {NumberFormat.Number(iv[g].High)}]";
                w.Rect(cx - barW * 0.45, Math.Min(vy, baseY), barW * 0.9, Math.Abs(baseY - vy), colors[s].Hex, Rgb.Lerp(colors[s], Colors.Black, 0.35).Hex, 0.8, tip, "bar");
                if (series[s].Intervals is { } ivs)
                {
                    double lo = Clamp(ivs[g].Low), hi = Clamp(ivs[g].High), cap = barW * 0.2;
                    w.Line(cx, lo, cx, hi, "#222222", 1, cssClass: "error-bar");
                    w.Line(cx - cap, lo, cx + cap, lo, "#222222", 1, cssClass: "error-cap");
                    w.Line(cx - cap, hi, cx + cap, hi, "#222222", 1, cssClass: "error-cap");
                }
            }
        }
        w.EndGroup();
        if (o.ReferenceValue is { } rv && rv >= yMin && rv <= yMax)
            w.Line(area.Left, y.Map(rv), area.Right, y.Map(rv), "#777777", 1, "4 3", cssClass: "reference");

        Frame.DrawGroupAxis(w, area, groups, band, rotate, fs);
        Frame.DrawXLabel(w, area, o);
        return w.ToString();
    }
}
