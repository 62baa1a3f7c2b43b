namespace AttnXai.Plot;

public enum HeatmapColorMode
{
    /// <summary>White to dark blue over [min(0, data min), data max] (or ColorMin/ColorMax); for attention.</summary>
    Sequential,
    /// <summary>Red-white-green symmetric around zero with max |v| of the data (or ColorMax); for gradients/LIME.</summary>
    Diverging,
}

/// <summary>One matrix to draw; rows go top to bottom, columns left to right.</summary>
/// <param name="Values">The matrix. NaN cells are drawn in <see cref="Colors.Missing"/> with tooltip "missing"; infinities are refused.</param>
/// <param name="RowLabels">One label per row, or null.</param>
/// <param name="ColumnLabels">One label per column, or null.</param>
/// <param name="Title">Panel title (used by <see cref="Heatmap.RenderGrid"/>; for a single heatmap use the options' Title).</param>
public sealed record HeatmapPanel(double[,] Values, IReadOnlyList<string>? RowLabels = null, IReadOnlyList<string>? ColumnLabels = null, string? Title = null)
{
    /// <summary>Builds a panel from jagged rows (all rows must have the same length).</summary>
    public static HeatmapPanel FromRows(IReadOnlyList<IReadOnlyList<double>> rows, IReadOnlyList<string>? rowLabels = null,
        IReadOnlyList<string>? columnLabels = null, string? title = null)
    {
        Guard.NotEmpty(rows, nameof(rows));
        int cols = rows[0]?.Count ?? throw new ArgumentNullException(nameof(rows), "rows[0] is null.");
        var m = new double[rows.Count, cols];
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i] ?? throw new ArgumentNullException(nameof(rows), $"rows[{i}] is null.");
            if (r.Count != cols) throw new ArgumentException($"rows[{i}] has {r.Count} values but rows[0] has {cols}; the matrix must be rectangular.", nameof(rows));
            for (int j = 0; j < cols; j++) m[i, j] = r[j];
        }
        return new HeatmapPanel(m, rowLabels, columnLabels, title);
    }
}

public sealed record HeatmapOptions : ChartOptions
{
    public HeatmapOptions()
    {
        FontSize = 11;
    }

    public HeatmapColorMode ColorMode { get; init; } = HeatmapColorMode.Sequential;
    /// <summary>Sequential: low end of the colour scale (default min(0, data min)). Ignored for diverging.</summary>
    public double? ColorMin { get; init; }
    /// <summary>Sequential: high end (default data max). Diverging: the max |v| mapped to full red/green (default data max |v|).</summary>
    public double? ColorMax { get; init; }
    /// <summary>An explicit colour scale; overrides ColorMode/ColorMin/ColorMax.</summary>
    public IColorScale? ColorScale { get; init; }
    public bool ShowColorBar { get; init; } = true;
    public string? ColorBarLabel { get; init; }
    /// <summary>Write each value inside its cell when it fits.</summary>
    public bool ShowValues { get; init; }
    /// <summary>Significant digits of values in tooltips and cells.</summary>
    public int Digits { get; init; } = 3;
    /// <summary>Panels per row in <see cref="Heatmap.RenderGrid"/>.</summary>
    public int GridColumns { get; init; } = 3;
}

/// <summary>
/// Heatmaps of matrices (attention per head, gradients per token/dimension) with optional row/column labels,
/// thinned when they would overlap, a colour bar with ticks, and a tooltip per cell. Cells are &lt;rect class="cell"&gt;.
/// </summary>
public static class Heatmap
{
    private const double BarWidth = 14;

    /// <summary>One heatmap.</summary>
    public static string Render(double[,] values, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null, HeatmapOptions? options = null) =>
        Render(new HeatmapPanel(values, rowLabels, columnLabels), options);

    /// <summary>One heatmap from a panel (the panel's Title is used if options has none).</summary>
    public static string Render(HeatmapPanel panel, HeatmapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(panel);
        options ??= new HeatmapOptions();
        if (options.Title is null && panel.Title is not null) options = options with { Title = panel.Title };
        return RenderCore([panel with { Title = null }], options, columns: 1);
    }

    /// <summary>
    /// Several heatmaps (e.g. one per attention head) as small multiples in <c>options.GridColumns</c> columns, sharing one
    /// colour scale (computed over all panels unless given) and one colour bar on the right. Width/Height are the whole figure.
    /// </summary>
    public static string RenderGrid(IReadOnlyList<HeatmapPanel> panels, HeatmapOptions? options = null)
    {
        Guard.NotEmpty(panels, nameof(panels));
        options ??= new HeatmapOptions();
        if (options.GridColumns < 1) throw new ArgumentOutOfRangeException(nameof(options), options.GridColumns, "GridColumns must be at least 1.");
        return RenderCore(panels, options, Math.Min(options.GridColumns, panels.Count));
    }

    /// <summary>The colour scale Render/RenderGrid would use for these panels and options.</summary>
    public static IColorScale ColorScaleFor(IReadOnlyList<HeatmapPanel> panels, HeatmapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Guard.NotEmpty(panels, nameof(panels));
        if (options.ColorScale is not null) return options.ColorScale;
        var all = panels.SelectMany(p => p.Values.Cast<double>()).Where(double.IsFinite).ToList();
        if (options.ColorMode == HeatmapColorMode.Diverging)
        {
            if (options.ColorMax is { } m) return new DivergingScale(m);
            return DivergingScale.ForData(all);
        }
        double lo = options.ColorMin ?? (all.Count == 0 ? 0 : Math.Min(0, all.Min()));
        double hi = options.ColorMax ?? (all.Count == 0 ? 1 : all.Max());
        if (!(hi > lo)) hi = lo + 1;
        return new SequentialScale(lo, hi);
    }

    private static string RenderCore(IReadOnlyList<HeatmapPanel> panels, HeatmapOptions o, int columns)
    {
        o.Validate("options");
        for (int i = 0; i < panels.Count; i++) ValidatePanel(panels[i], panels.Count == 1 ? "values" : $"panels[{i}]");
        if (o.Digits < 1 || o.Digits > 15) throw new ArgumentOutOfRangeException("options", o.Digits, "Digits must be in [1, 15].");
        var scale = ColorScaleFor(panels, o);

        var w = new SvgWriter(o.Width, o.Height, o.Title);
        Frame.DrawTitle(w, o);
        var barTicks = LinearScale.NiceTicks(scale.Min, scale.Max, 5);
        double barLabelW = barTicks.Values.Select(t => TextMetrics.Width(NumberFormat.Tick(t, barTicks.Step), o.FontSize)).DefaultIfEmpty(0).Max();
        double barBand = o.ShowColorBar ? 16 + BarWidth + 6 + barLabelW + (o.ColorBarLabel is null ? 0 : o.FontSize + 8) : 0;

        double left = Frame.Pad + (o.YLabel is null ? 0 : o.FontSize + 8);
        double top = Frame.Pad + Frame.TitleHeight(o);
        double right = o.Width - Frame.Pad - barBand;
        double bottom = o.Height - Frame.Pad - (o.XLabel is null ? 0 : o.FontSize + 8);
        if (right - left < 20 || bottom - top < 20)
            throw new ArgumentException($"Width {o.Width} x Height {o.Height} leaves no room for the heatmap; make it larger.", "options");

        int rows = (panels.Count + columns - 1) / columns;
        double gap = panels.Count > 1 ? 12 : 0;
        double cellW = (right - left - gap * (columns - 1)) / columns;
        double cellH = (bottom - top - gap * (rows - 1)) / rows;
        PlotArea? firstMatrix = null;
        for (int p = 0; p < panels.Count; p++)
        {
            int r = p / columns, c = p % columns;
            var box = new PlotArea(left + c * (cellW + gap), top + r * (cellH + gap), cellW, cellH);
            w.BeginGroup(cssClass: "panel");
            var m = DrawPanel(w, panels[p], box, scale, o, panels.Count == 1 ? "values" : $"panels[{p}]");
            w.EndGroup();
            firstMatrix ??= m;
        }
        var all = new PlotArea(left, top, right - left, bottom - top);
        if (o.XLabel is not null) w.Text(all.CenterX, o.Height - Frame.Pad, o.XLabel, TextAnchor.Middle, o.FontSize, cssClass: "axis-label");
        if (o.YLabel is not null) w.Text(Frame.Pad + o.FontSize, all.CenterY, o.YLabel, TextAnchor.Middle, o.FontSize, rotation: -90, cssClass: "axis-label");
        if (o.ShowColorBar)
        {
            // Align the bar with the matrix area of the first panel row when there is one panel, else with the whole grid.
            var m0 = firstMatrix!.Value;
            double barTop = panels.Count == 1 ? m0.Top : top;
            double barBottom = panels.Count == 1 ? m0.Bottom : bottom;
            DrawColorBar(w, scale, right + 16, barTop, BarWidth, barBottom - barTop, o.FontSize, o.ColorBarLabel);
        }
        return w.ToString();
    }

    private static void ValidatePanel(HeatmapPanel panel, string name)
    {
        ArgumentNullException.ThrowIfNull(panel, name);
        var v = panel.Values ?? throw new ArgumentNullException(name, $"{name} has no matrix.");
        int nr = v.GetLength(0), nc = v.GetLength(1);
        if (nr == 0 || nc == 0) throw new ArgumentException($"{name} is empty ({nr} x {nc}); a heatmap needs at least one cell.", name);
        for (int i = 0; i < nr; i++)
            for (int j = 0; j < nc; j++)
                if (double.IsInfinity(v[i, j]))
                    throw new ArgumentException($"{name}[{i}, {j}] is {NumberFormat.Number(v[i, j])}; infinite values cannot be coloured (NaN is drawn as missing).", name);
        if (panel.RowLabels is not null && panel.RowLabels.Count != nr)
            throw new ArgumentException($"{name}: {panel.RowLabels.Count} row labels for {nr} rows.", name);
        if (panel.ColumnLabels is not null && panel.ColumnLabels.Count != nc)
            throw new ArgumentException($"{name}: {panel.ColumnLabels.Count} column labels for {nc} columns.", name);
    }

    /// <summary>Draws one panel inside <paramref name="box"/>; returns the matrix rectangle.</summary>
    private static PlotArea DrawPanel(SvgWriter w, HeatmapPanel panel, PlotArea box, IColorScale scale, HeatmapOptions o, string name)
    {
        var v = panel.Values;
        int nr = v.GetLength(0), nc = v.GetLength(1);
        double fs = o.FontSize;
        double titleH = panel.Title is null ? 0 : fs + 8;
        double maxRowW = panel.RowLabels?.Select(s => TextMetrics.Width(s, fs)).DefaultIfEmpty(0).Max() ?? 0;
        double rowBand = panel.RowLabels is null ? 0 : Math.Min(maxRowW, box.Width * 0.35) + 6;
        double maxColW = panel.ColumnLabels?.Select(s => TextMetrics.Width(s, fs)).DefaultIfEmpty(0).Max() ?? 0;

        double matW = box.Width - rowBand;
        bool verticalCols = panel.ColumnLabels is not null && maxColW > matW / nc - 2;
        double colBand = panel.ColumnLabels is null ? 0 : verticalCols ? Math.Min(maxColW, box.Height * 0.35) + 6 : fs + 6;
        double matH = box.Height - titleH - colBand;
        if (matW < nc * 0.5 || matH < nr * 0.5 || matW < 4 || matH < 4)
            throw new ArgumentException($"{name}: {nr} x {nc} cells do not fit in {NumberFormat.Coord(box.Width)} x {NumberFormat.Coord(box.Height)} px; make the figure larger.", name);
        var mat = new PlotArea(box.Left + rowBand, box.Top + titleH, matW, matH);
        double cw = matW / nc, ch = matH / nr;

        if (panel.Title is not null)
            w.Text(mat.CenterX, box.Top + fs + 1, panel.Title, TextAnchor.Middle, fs + 1, bold: true, cssClass: "panel-title");

        w.BeginGroup(cssClass: "cells");
        for (int i = 0; i < nr; i++)
        {
            for (int j = 0; j < nc; j++)
            {
                double val = v[i, j];
                bool missing = double.IsNaN(val);
                var fill = missing ? Colors.Missing : scale.Map(val);
                string where = (panel.RowLabels is null ? $"row {i}" : panel.RowLabels[i]) + " \u00d7 " + (panel.ColumnLabels is null ? $"col {j}" : panel.ColumnLabels[j]);
                string shown = missing ? "missing" : NumberFormat.Number(val, o.Digits);
                double x = mat.Left + j * cw, y = mat.Top + i * ch;
                // Cells overlap by a hair on the right/bottom to avoid anti-aliasing seams.
                w.Rect(x, y, cw + (j < nc - 1 ? 0.3 : 0), ch + (i < nr - 1 ? 0.3 : 0), fill.Hex, tooltip: $"{where}: {shown}", cssClass: missing ? "cell missing" : "cell");
                if (o.ShowValues && !missing && TextMetrics.Width(shown, fs * 0.9) <= cw - 2 && fs <= ch)
                    w.Text(x + cw / 2, y + ch / 2, shown, TextAnchor.Middle, fs * 0.9, baseline: TextBaseline.Middle, fill: fill.ContrastText, cssClass: "cell-value");
            }
        }
        w.EndGroup();
        w.Rect(mat.Left, mat.Top, mat.Width, mat.Height, "none", Colors.Axis.Hex, 0.5, cssClass: "frame");

        if (panel.RowLabels is { } rl)
        {
            w.BeginGroup(cssClass: "row-labels");
            int every = Thin(ch, fs);
            for (int i = 0; i < nr; i += every)
                w.Text(mat.Left - 4, mat.Top + (i + 0.5) * ch, Clip(rl[i], rowBand - 6, fs), TextAnchor.End, fs, baseline: TextBaseline.Middle, tooltip: rl[i]);
            w.EndGroup();
        }
        if (panel.ColumnLabels is { } cl)
        {
            w.BeginGroup(cssClass: "column-labels");
            int every = verticalCols ? Thin(cw, fs) : 1;
            for (int j = 0; j < nc; j += every)
            {
                double x = mat.Left + (j + 0.5) * cw;
                if (verticalCols)
                    w.Text(x, mat.Bottom + 4, Clip(cl[j], colBand - 6, fs), TextAnchor.End, fs, rotation: -90, baseline: TextBaseline.Middle, tooltip: cl[j]);
                else
                    w.Text(x, mat.Bottom + 4, cl[j], TextAnchor.Middle, fs, baseline: TextBaseline.Hanging);
            }
            w.EndGroup();
        }
        return mat;
    }

    /// <summary>Label every k-th row/column so that labels are at least 1.15 font sizes apart.</summary>
    private static int Thin(double cellSize, double fontSize) => Math.Max(1, (int)Math.Ceiling(fontSize * 1.15 / cellSize));

    /// <summary>Shortens a label with an ellipsis so that it fits <paramref name="width"/>.</summary>
    private static string Clip(string s, double width, double fontSize)
    {
        int max = Math.Max(1, (int)Math.Floor(width / (fontSize * TextMetrics.CharWidth)));
        return s.Length <= max ? s : s[..Math.Max(0, max - 1)] + "\u2026";
    }

    /// <summary>
    /// Draws a vertical colour bar (max at the top) made of 64 stacked slices, a frame, and nice ticks with labels on the
    /// right. Group class "colorbar". Usable by other figures that share a colour scale.
    /// </summary>
    public static void DrawColorBar(SvgWriter w, IColorScale scale, double x, double y, double width, double height, double fontSize = 11, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(scale);
        const int slices = 64;
        w.BeginGroup(cssClass: "colorbar");
        double sh = height / slices;
        for (int k = 0; k < slices; k++)
        {
            double t = (k + 0.5) / slices; // from the top
            double value = scale.Max - t * (scale.Max - scale.Min);
            w.Rect(x, y + k * sh, width, sh + (k < slices - 1 ? 0.3 : 0), scale.Map(value).Hex);
        }
        w.Rect(x, y, width, height, "none", Colors.Axis.Hex, 0.5);
        var ticks = LinearScale.NiceTicks(scale.Min, scale.Max, 5);
        var ys = new LinearScale(scale.Min, scale.Max, y + height, y);
        double labelW = 0;
        foreach (double t in ticks.Values)
        {
            double py = ys.Map(t);
            string s = NumberFormat.Tick(t, ticks.Step);
            labelW = Math.Max(labelW, TextMetrics.Width(s, fontSize));
            w.Line(x + width, py, x + width + 3, py, Colors.Axis.Hex);
            w.Text(x + width + 5, py, s, TextAnchor.Start, fontSize, baseline: TextBaseline.Middle, cssClass: "tick-label");
        }
        if (label is not null)
            w.Text(x + width + 8 + labelW + fontSize / 2, y + height / 2, label, TextAnchor.Middle, fontSize, rotation: 90, baseline: TextBaseline.Middle, cssClass: "axis-label");
        w.EndGroup();
    }
}
