namespace AttnXai.Plot;

/// <summary>One box series: <c>Values[g]</c> are the observations of group g (e.g. five LIME runs for word g).</summary>
public sealed record BoxSeries(string Name, IReadOnlyList<IReadOnlyList<double>> Values, Rgb? Color = null);

/// <summary>One overlay value per group (null = none for that group), e.g. the theory's prediction; drawn as a cross (first
/// marker series) or a filled dot (second, ...).</summary>
public sealed record MarkerSeries(string Name, IReadOnlyList<double?> Values, Rgb? Color = null);

public sealed record BoxplotOptions : ChartOptions
{
    /// <summary>Fixed lower end of the y axis (default: nice bound of the data).</summary>
    public double? YMin { get; init; }
    /// <summary>Fixed upper end of the y axis (default: nice bound of the data).</summary>
    public double? YMax { get; init; }
    /// <summary>Dashed line at y = 0 when 0 is inside the axis.</summary>
    public bool ZeroLine { get; init; } = true;
    /// <summary>Whisker reach in IQRs (Tukey: 1.5).</summary>
    public double Whisker { get; init; } = 1.5;
}

/// <summary>
/// Tukey box plots per group, optionally two or more series side by side, with overlay markers and a legend.
/// Quartiles use linear interpolation (numpy's default, <see cref="Stats.Quantile"/>); whiskers reach the most extreme point
/// within 1.5 IQR of the box; points beyond are drawn as hollow circles. Elements: rect.box, line.median, line.whisker,
/// circle.outlier, path.marker / circle.marker, rect.plot-area.
/// </summary>
public static class Boxplot
{
    /// <summary>One series: <paramref name="values"/>[g] are the observations of group <paramref name="groups"/>[g].</summary>
    public static string Render(IReadOnlyList<string> groups, IReadOnlyList<IReadOnlyList<double>> values, BoxplotOptions? options = null) =>
        RenderCore(groups, [new BoxSeries("values", values)], null, options, singleSeries: true);

    /// <summary>Several series side by side per group, plus optional marker series.</summary>
    public static string Render(IReadOnlyList<string> groups, IReadOnlyList<BoxSeries> series, IReadOnlyList<MarkerSeries>? markers, BoxplotOptions? options = null) =>
        RenderCore(groups, series, markers, options, singleSeries: false);

    private static string RenderCore(IReadOnlyList<string> groups, IReadOnlyList<BoxSeries> series, IReadOnlyList<MarkerSeries>? markers, BoxplotOptions? options, bool singleSeries)
    {
        Guard.NotEmpty(groups, nameof(groups));
        Guard.NotEmpty(series, singleSeries ? "values" : nameof(series));
        markers ??= [];
        var o = options ?? new BoxplotOptions();
        o.Validate(nameof(options));
        int ng = groups.Count;
        var stats = new BoxStats[series.Count][];
        for (int s = 0; s < series.Count; s++)
        {
            var se = series[s] ?? throw new ArgumentNullException(nameof(series), $"series[{s}] is null.");
            string param = singleSeries ? "values" : nameof(series);
            string sname = singleSeries ? "values" : $"series[{s}].Values";
            if (se.Values is null) throw new ArgumentNullException(param, $"{sname} is null.");
            if (se.Values.Count != ng) throw new ArgumentException($"{sname} has {se.Values.Count} groups but there are {ng} group labels.", param);
            stats[s] = new BoxStats[ng];
            for (int g = 0; g < ng; g++)
            {
                var vals = se.Values[g];
                if (vals is null || vals.Count == 0) throw new ArgumentException($"{sname}[{g}] (group '{groups[g]}') has no values.", param);
                Guard.AllFinite(vals, param, label: $"{sname}[{g}]");
                stats[s][g] = Stats.Box(vals, o.Whisker);
            }
        }
        for (int m = 0; m < markers.Count; m++)
        {
            var mk = markers[m] ?? throw new ArgumentNullException(nameof(markers), $"markers[{m}] is null.");
            if (mk.Values is null || mk.Values.Count != ng) throw new ArgumentException($"markers[{m}] needs {ng} values (one per group, null for none).", nameof(markers));
            for (int g = 0; g < ng; g++)
                if (mk.Values[g] is { } v && !double.IsFinite(v)) throw new ArgumentException($"markers[{m}].Values[{g}] is {NumberFormat.Number(v)}; NaN and infinite values cannot be plotted.", nameof(markers));
        }

        // y domain
        var ext = Frame.Extent(series.SelectMany(s => s.Values.SelectMany(v => v))
            .Concat(markers.SelectMany(mk => mk.Values.Where(v => v.HasValue).Select(v => v!.Value))));
        var y0 = new LinearScale(ext.Min, ext.Max, 1, 0).Nice();
        double yMin = o.YMin ?? y0.DomainMin, yMax = o.YMax ?? y0.DomainMax;
        if (!(yMax > yMin)) throw new ArgumentException($"options: YMax ({yMax}) must be greater than YMin ({yMin}).", nameof(options));
        var ticks = LinearScale.NiceTicks(yMin, yMax, 5);
        var tickLabels = ticks.Values.Select(t => NumberFormat.Tick(t, ticks.Step)).ToList();

        // legend and group label bands
        var legend = new List<LegendEntry>();
        var colors = new Rgb[series.Count];
        for (int s = 0; s < series.Count; s++) colors[s] = series[s].Color ?? Colors.Categorical(s);
        var mcolors = new Rgb[markers.Count];
        for (int m = 0; m < markers.Count; m++) mcolors[m] = markers[m].Color ?? (m == 0 ? Colors.Black : Colors.Categorical(series.Count + m));
        if (series.Count > 1 || markers.Count > 0)
        {
            for (int s = 0; s < series.Count; s++) legend.Add(new LegendEntry(series[s].Name, LegendKind.Box, Lighten(colors[s])));
            for (int m = 0; m < markers.Count; m++) legend.Add(new LegendEntry(markers[m].Name, m == 0 ? LegendKind.Cross : LegendKind.Point, mcolors[m]));
        }
        double fs = o.FontSize;
        double legendH = Frame.LegendHeight(legend, o.Width - 2 * Frame.Pad, fs);
        var (area, rotate) = Frame.GroupLayout(o, groups, tickLabels, legendH, nameof(options));
        var y = new LinearScale(yMin, yMax, area.Bottom, area.Top);

        var w = new SvgWriter(o.Width, o.Height, o.Title);
        Frame.DrawTitle(w, o);
        Frame.DrawLegend(w, legend, Frame.Pad, Frame.Pad + Frame.TitleHeight(o), o.Width - 2 * Frame.Pad, fs);
        Frame.DrawPlotBackground(w, area);
        Frame.DrawYAxis(w, area, y, o, ticks.Values, t => NumberFormat.Tick(t, ticks.Step));
        if (o.ZeroLine && yMin < 0 && yMax > 0)
            w.Line(area.Left, y.Map(0), area.Right, y.Map(0), "#777777", 1, "4 3", cssClass: "zero-line");

        double band = area.Width / ng;
        double boxW = band * 0.7 / series.Count;
        w.BeginGroup(cssClass: "boxes");
        for (int g = 0; g < ng; g++)
        {
            double gc = area.Left + (g + 0.5) * band;
            for (int s = 0; s < series.Count; s++)
            {
                double cx = gc + (s - (series.Count - 1) / 2.0) * boxW;
                DrawBox(w, stats[s][g], cx, boxW * 0.85, y, colors[s], series.Count > 1 ? $"{groups[g]} ({series[s].Name})" : groups[g]);
            }
            for (int m = 0; m < markers.Count; m++)
            {
                if (markers[m].Values[g] is not { } mv) continue;
                string tip = $"{groups[g]}: {markers[m].Name} = {NumberFormat.Number(mv)}";
                double r = Math.Clamp(band * 0.12, 3, 7);
                if (m == 0) Frame.DrawCross(w, gc, y.Map(mv), r, mcolors[m].Hex, tip, "marker");
                else w.Circle(gc, y.Map(mv), r * 0.8, mcolors[m].Hex, "#ffffff", 0.8, tip, "marker");
            }
        }
        w.EndGroup();

        Frame.DrawGroupAxis(w, area, groups, band, rotate, fs);
        Frame.DrawXLabel(w, area, o);
        return w.ToString();
    }

    private static Rgb Lighten(Rgb c) => Rgb.Lerp(Colors.White, c, 0.45);

    private static void DrawBox(SvgWriter w, BoxStats st, double cx, double bw, LinearScale y, Rgb color, string label)
    {
        string stroke = Rgb.Lerp(color, Colors.Black, 0.35).Hex;
        string tip = $"{label}: n={st.N}, median={NumberFormat.Number(st.Median)}, Q1={NumberFormat.Number(st.Q1)}, Q3={NumberFormat.Number(st.Q3)}, "
                   + $"whiskers [{NumberFormat.Number(st.WhiskerLow)}, {NumberFormat.Number(st.WhiskerHigh)}]";
        double x0 = cx - bw / 2, x1 = cx + bw / 2;
        w.Line(cx, y.Map(st.Q3), cx, y.Map(st.WhiskerHigh), stroke, cssClass: "whisker");
        w.Line(cx, y.Map(st.Q1), cx, y.Map(st.WhiskerLow), stroke, cssClass: "whisker");
        w.Line(cx - bw / 4, y.Map(st.WhiskerHigh), cx + bw / 4, y.Map(st.WhiskerHigh), stroke, cssClass: "whisker-cap");
        w.Line(cx - bw / 4, y.Map(st.WhiskerLow), cx + bw / 4, y.Map(st.WhiskerLow), stroke, cssClass: "whisker-cap");
        w.Rect(x0, y.Map(st.Q3), bw, y.Map(st.Q1) - y.Map(st.Q3), Lighten(color).Hex, stroke, 1, tip, "box");
        w.Line(x0, y.Map(st.Median), x1, y.Map(st.Median), stroke, 2, cssClass: "median");
        foreach (double v in st.Outliers)
            w.Circle(cx, y.Map(v), 2.5, "none", stroke, 1, $"{label}: outlier {NumberFormat.Number(v)}", "outlier");
    }
}
