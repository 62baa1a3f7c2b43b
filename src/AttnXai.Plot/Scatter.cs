namespace AttnXai.Plot;

/// <summary>One set of points; <paramref name="Labels"/> (optional, one per point) become tooltips.</summary>
public sealed record ScatterSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<string>? Labels = null, Rgb? Color = null);

public sealed record ScatterOptions : ChartOptions
{
    /// <summary>Draw the dashed line y = x over the part of the plot where both axes overlap.</summary>
    public bool IdentityLine { get; init; }
    public double PointRadius { get; init; } = 3.5;
    /// <summary>Fill opacity of points in (0, 1].</summary>
    public double PointOpacity { get; init; } = 0.75;
    /// <summary>Show a legend even for a single series (by default only when there are two or more).</summary>
    public bool AlwaysShowLegend { get; init; }
    /// <summary>Join each series' points in order of x with a line (&lt;polyline class="line"&gt;): a line chart.</summary>
    public bool ConnectPoints { get; init; }
}

/// <summary>Scatter plot of one or more series with nice linear axes (a line chart with
/// <see cref="ScatterOptions.ConnectPoints"/>). Points are &lt;circle class="point"&gt;.</summary>
public static class Scatter
{
    public static string Render(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<string>? labels = null, ScatterOptions? options = null)
    {
        Guard.AllFinite(x, nameof(x));
        Guard.AllFinite(y, nameof(y));
        return Render([new ScatterSeries("points", x, y, labels)], options);
    }

    public static string Render(IReadOnlyList<ScatterSeries> series, ScatterOptions? options = null)
    {
        Guard.NotEmpty(series, nameof(series));
        var o = options ?? new ScatterOptions();
        o.Validate(nameof(options));
        if (!(o.PointRadius > 0) || o.PointRadius > 50) throw new ArgumentOutOfRangeException(nameof(options), o.PointRadius, "PointRadius must be in (0, 50].");
        for (int s = 0; s < series.Count; s++)
        {
            var se = series[s] ?? throw new ArgumentNullException(nameof(series), $"series[{s}] is null.");
            Guard.AllFinite(se.X, nameof(series), label: $"series[{s}].X");
            Guard.AllFinite(se.Y, nameof(series), label: $"series[{s}].Y");
            if (se.X.Count != se.Y.Count) throw new ArgumentException($"series[{s}] has {se.X.Count} x values but {se.Y.Count} y values.", nameof(series));
            if (se.Labels is not null && se.Labels.Count != se.X.Count) throw new ArgumentException($"series[{s}] has {se.Labels.Count} labels for {se.X.Count} points.", nameof(series));
        }
        var xs = Frame.Extent(series.SelectMany(s => s.X));
        var ys = Frame.Extent(series.SelectMany(s => s.Y));
        var xScale0 = new LinearScale(xs.Min, xs.Max, 0, 1).Nice();
        var yScale0 = new LinearScale(ys.Min, ys.Max, 1, 0).Nice();
        var yTicks = LinearScale.NiceTicks(yScale0.DomainMin, yScale0.DomainMax);
        var yLabels = yTicks.Values.Select(t => NumberFormat.Tick(t, yTicks.Step)).ToList();

        var colors = series.Select((s, i) => s.Color ?? Colors.Categorical(i)).ToArray();
        var legend = series.Count > 1 || o.AlwaysShowLegend
            ? series.Select((s, i) => new LegendEntry(s.Name, LegendKind.Point, colors[i])).ToList()
            : [];
        if (o.IdentityLine && legend.Count > 0) legend.Add(new LegendEntry("y = x", LegendKind.Line, Colors.Axis));
        double legendH = Frame.LegendHeight(legend, o.Width - 2 * Frame.Pad, o.FontSize);
        var area = Frame.Layout(o, yLabels, o.FontSize + 8, legendH, nameof(options));
        var x = new LinearScale(xScale0.DomainMin, xScale0.DomainMax, area.Left, area.Right);
        var y = new LinearScale(yScale0.DomainMin, yScale0.DomainMax, area.Bottom, area.Top);
        int xCount = Math.Clamp((int)(area.Width / 80), 2, 10);
        var xTicks = LinearScale.NiceTicks(x.DomainMin, x.DomainMax, xCount);

        var w = new SvgWriter(o.Width, o.Height, o.Title);
        Frame.DrawTitle(w, o);
        Frame.DrawLegend(w, legend, Frame.Pad, Frame.Pad + Frame.TitleHeight(o), o.Width - 2 * Frame.Pad, o.FontSize);
        Frame.DrawPlotBackground(w, area);
        Frame.DrawYAxis(w, area, y, o, yTicks.Values, t => NumberFormat.Tick(t, yTicks.Step));
        Frame.DrawXAxis(w, area, x, o, xTicks.Values, t => NumberFormat.Tick(t, xTicks.Step), grid: true);
        if (o.IdentityLine)
        {
            double lo = Math.Max(x.DomainMin, y.DomainMin), hi = Math.Min(x.DomainMax, y.DomainMax);
            if (hi > lo) w.Line(x.Map(lo), y.Map(lo), x.Map(hi), y.Map(hi), Colors.Axis.Hex, 1, "5 3", "y = x", "identity");
        }
        for (int s = 0; s < series.Count; s++)
        {
            var se = series[s];
            w.BeginGroup(cssClass: "series");
            if (o.ConnectPoints && se.X.Count > 1)
                w.Polyline(Enumerable.Range(0, se.X.Count).OrderBy(i => se.X[i]).Select(i => (x.Map(se.X[i]), y.Map(se.Y[i]))), colors[s].Hex, 1.5, tooltip: se.Name, cssClass: "line");
            for (int i = 0; i < se.X.Count; i++)
            {
                string coords = $"({NumberFormat.Number(se.X[i])}, {NumberFormat.Number(se.Y[i])})";
                string tip = se.Labels is null ? coords : $"{se.Labels[i]} {coords}";
                if (series.Count > 1) tip = $"{se.Name}: {tip}";
                w.Circle(x.Map(se.X[i]), y.Map(se.Y[i]), o.PointRadius, colors[s].Hex, "#ffffff", 0.5, tip, "point", Math.Clamp(o.PointOpacity, 0.05, 1));
            }
            w.EndGroup();
        }
        Frame.DrawXLabel(w, area, o);
        return w.ToString();
    }
}
