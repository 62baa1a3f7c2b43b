namespace AttnXai.Plot;

public sealed record HistogramOptions : ChartOptions
{
    public HistogramOptions()
    {
        YLabel = "count";
    }

    /// <summary>Number of equal-width bins over [min, max] of the data (log-spaced when <see cref="LogX"/>). Ignored when Edges is set.</summary>
    public int Bins { get; init; } = 20;
    /// <summary>Explicit, strictly increasing bin edges (at least two). Values outside [first, last] are not counted.</summary>
    public IReadOnlyList<double>? Edges { get; init; }
    /// <summary>Logarithmic x axis (base 10); all values and edges must then be positive.</summary>
    public bool LogX { get; init; }
    /// <summary>Vertical dashed lines with labels (e.g. median); the x axis is widened to include them.</summary>
    public IReadOnlyList<ReferenceLine>? ReferenceLines { get; init; }
    public Rgb? Color { get; init; }
}

/// <summary>
/// Histogram of one sample. Binning follows numpy.histogram: bins are half-open [e_i, e_i+1) except the last, which is
/// closed [e_n-1, e_n]. Bars are &lt;rect class="bar"&gt; with a tooltip "[a, b): count"; reference lines are line.reference.
/// </summary>
public static class Histogram
{
    public static string Render(IReadOnlyList<double> values, HistogramOptions? options = null)
    {
        Guard.AllFinite(values, nameof(values));
        var o = options ?? new HistogramOptions();
        o.Validate(nameof(options));
        var edges = o.Edges is { } e ? CheckEdges(e, "options.Edges") : Edges(values, o.Bins, o.LogX);
        if (o.LogX)
        {
            if (values.Any(v => v <= 0)) throw new ArgumentException("values must all be positive for a logarithmic x axis (LogX).", nameof(values));
            if (edges[0] <= 0) throw new ArgumentException("options.Edges must be positive for a logarithmic x axis (LogX).", nameof(options));
        }
        var refs = o.ReferenceLines ?? [];
        for (int i = 0; i < refs.Count; i++)
        {
            if (refs[i] is null) throw new ArgumentNullException(nameof(options), $"options.ReferenceLines[{i}] is null.");
            if (!double.IsFinite(refs[i].X) || (o.LogX && refs[i].X <= 0))
                throw new ArgumentException($"options.ReferenceLines[{i}].X is {NumberFormat.Number(refs[i].X)}; it must be finite{(o.LogX ? " and positive (LogX)" : "")}.", nameof(options));
        }
        var counts = Count(values, edges);

        double xMin = Math.Min(edges[0], refs.Select(r => r.X).DefaultIfEmpty(edges[0]).Min());
        double xMax = Math.Max(edges[^1], refs.Select(r => r.X).DefaultIfEmpty(edges[^1]).Max());
        int maxCount = Math.Max(1, counts.Max());
        var yTicks = LinearScale.NiceTicks(0, maxCount, 5);
        double yMax = Math.Ceiling(maxCount / yTicks.Step - 1e-9) * yTicks.Step;
        var yTickValues = yTicks.Values.Where(t => Math.Abs(t - Math.Round(t)) < 1e-9).ToList();
        if (yTicks.Values[^1] < yMax) yTickValues.Add(yMax);
        var yLabels = yTickValues.Select(t => NumberFormat.Tick(t, Math.Max(1, yTicks.Step))).ToList();

        var area = Frame.Layout(o, yLabels, o.FontSize + 8, refs.Count > 0 ? 2 : 0, nameof(options));
        var y = new LinearScale(0, yMax, area.Bottom, area.Top);
        IScale x = o.LogX ? new LogScale(xMin, xMax, area.Left, area.Right) : new LinearScale(xMin, xMax, area.Left, area.Right);
        var xTicks = x.Ticks(Math.Max(2, (int)(area.Width / 90)));

        var w = new SvgWriter(o.Width, o.Height, o.Title);
        Frame.DrawTitle(w, o);
        Frame.DrawPlotBackground(w, area);
        Frame.DrawYAxis(w, area, y, o, yTickValues, t => NumberFormat.Tick(t, Math.Max(1, yTicks.Step)));
        var color = o.Color ?? Colors.Categorical(0);
        w.BeginGroup(cssClass: "bars");
        for (int i = 0; i < counts.Length; i++)
        {
            double x0 = x.Map(edges[i]), x1 = x.Map(edges[i + 1]);
            string range = $"[{NumberFormat.Number(edges[i])}, {NumberFormat.Number(edges[i + 1])}{(i == counts.Length - 1 ? "]" : ")")}";
            w.Rect(x0, y.Map(counts[i]), x1 - x0, y.Map(0) - y.Map(counts[i]), color.Hex, "#ffffff", 0.5, $"{range}: {counts[i]}", "bar");
        }
        w.EndGroup();
        Frame.DrawXAxis(w, area, x, o, xTicks, t => x.FormatTick(t, Math.Max(2, (int)(area.Width / 90))), grid: false);
        for (int i = 0; i < refs.Count; i++)
        {
            var r = refs[i];
            double px = x.Map(r.X);
            string c = (r.Color ?? Colors.Black).Hex;
            string tip = $"{r.Label} = {NumberFormat.Number(r.X)}";
            w.Line(px, area.Top, px, area.Bottom, c, 1.5, "5 3", tip, "reference");
            bool right = px < area.CenterX;
            w.Text(px + (right ? 4 : -4), area.Top + 4 + i * (o.FontSize + 3), r.Label, right ? TextAnchor.Start : TextAnchor.End, o.FontSize,
                baseline: TextBaseline.Hanging, fill: c, tooltip: tip, cssClass: "reference-label");
        }
        Frame.DrawXLabel(w, area, o);
        return w.ToString();
    }

    /// <summary>
    /// <paramref name="bins"/> + 1 edges spanning [min, max] of <paramref name="values"/>: equal width, or equal ratio when
    /// <paramref name="logX"/> (values must then be positive). A constant sample gets [v - 0.5, v + 0.5] (or [v/2, 2v] for log).
    /// The first and last edges equal min and max exactly, so every value is counted.
    /// </summary>
    public static double[] Edges(IReadOnlyList<double> values, int bins, bool logX = false)
    {
        Guard.AllFinite(values, nameof(values));
        if (bins < 1 || bins > 10_000) throw new ArgumentOutOfRangeException(nameof(bins), bins, "bins must be in [1, 10000].");
        double lo = values.Min(), hi = values.Max();
        if (logX && lo <= 0) throw new ArgumentException($"values must all be positive for log-spaced bins; found {NumberFormat.Number(lo)}.", nameof(values));
        if (lo == hi)
        {
            if (logX) { lo /= 2; hi *= 2; }
            else { lo -= 0.5; hi += 0.5; }
        }
        var e = new double[bins + 1];
        for (int i = 0; i <= bins; i++)
        {
            double t = (double)i / bins;
            e[i] = logX ? Math.Pow(10, Math.Log10(lo) + t * (Math.Log10(hi) - Math.Log10(lo))) : lo + t * (hi - lo);
        }
        e[0] = lo;
        e[^1] = hi;
        return e;
    }

    /// <summary>Counts per bin with numpy.histogram semantics (last bin closed; values outside the edges ignored).</summary>
    public static int[] Count(IReadOnlyList<double> values, IReadOnlyList<double> edges)
    {
        Guard.AllFinite(values, nameof(values), allowEmpty: true);
        var e = CheckEdges(edges, nameof(edges));
        var counts = new int[e.Length - 1];
        foreach (double v in values)
        {
            if (v < e[0] || v > e[^1]) continue;
            int k = Array.BinarySearch(e, v);
            int bin = k >= 0 ? Math.Min(k, counts.Length - 1) : ~k - 1;
            counts[bin]++;
        }
        return counts;
    }

    private static double[] CheckEdges(IReadOnlyList<double> edges, string name)
    {
        string param = name.StartsWith("options", StringComparison.Ordinal) ? "options" : name;
        Guard.AllFinite(edges, param, label: name);
        if (edges.Count < 2) throw new ArgumentException($"{name} needs at least two edges, got {edges.Count}.", param);
        for (int i = 1; i < edges.Count; i++)
            if (!(edges[i] > edges[i - 1])) throw new ArgumentException($"{name} must be strictly increasing; {name}[{i}] = {NumberFormat.Number(edges[i])} follows {NumberFormat.Number(edges[i - 1])}.", param);
        return edges.ToArray();
    }
}
