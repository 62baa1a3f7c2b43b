namespace AttnXai.Plot;

/// <summary>Options shared by all charts. Sizes are in pixels (SVG user units).</summary>
public record ChartOptions
{
    public string? Title { get; init; }
    public string? XLabel { get; init; }
    public string? YLabel { get; init; }
    public double Width { get; init; } = 640;
    public double Height { get; init; } = 400;
    /// <summary>Font size of tick labels, legends and cell labels; titles are drawn 2 px larger.</summary>
    public double FontSize { get; init; } = 12;

    internal void Validate(string paramName)
    {
        if (!double.IsFinite(Width) || Width < 50) throw new ArgumentException($"{paramName}.Width must be at least 50, got {Width}.", paramName);
        if (!double.IsFinite(Height) || Height < 50) throw new ArgumentException($"{paramName}.Height must be at least 50, got {Height}.", paramName);
        if (!double.IsFinite(FontSize) || FontSize < 4 || FontSize > 72) throw new ArgumentException($"{paramName}.FontSize must be in [4, 72], got {FontSize}.", paramName);
    }
}

/// <summary>A vertical reference line at data value X with a label (e.g. the median).</summary>
public sealed record ReferenceLine(double X, string Label, Rgb? Color = null);

/// <summary>The rectangle in which data are drawn.</summary>
internal readonly record struct PlotArea(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;
    public double Bottom => Top + Height;
    public double CenterX => Left + Width / 2;
    public double CenterY => Top + Height / 2;
}

internal enum LegendKind { Box, Point, Cross, Line }

internal sealed record LegendEntry(string Label, LegendKind Kind, Rgb Color);

/// <summary>Shared drawing of titles, axes, grid lines and legends for the x/y charts.</summary>
internal static class Frame
{
    public const double Pad = 10;

    public static double TitleHeight(ChartOptions o) => o.Title is null ? 0 : o.FontSize + 14;

    public static void DrawTitle(SvgWriter w, ChartOptions o)
    {
        if (o.Title is null) return;
        w.Text(o.Width / 2, Pad + o.FontSize + 2, o.Title, TextAnchor.Middle, o.FontSize + 2, bold: true, cssClass: "title");
    }

    /// <summary>Computes the plot area for a chart with y tick labels on the left and x tick labels below.</summary>
    /// <param name="minLeft">Lower bound for the left margin (e.g. room for rotated category labels).</param>
    public static PlotArea Layout(ChartOptions o, IEnumerable<string> yTickLabels, double xLabelBand, double legendHeight, string paramName, double minLeft = 0)
    {
        double yTickW = yTickLabels.Select(s => TextMetrics.Width(s, o.FontSize)).DefaultIfEmpty(0).Max();
        double left = Math.Max(minLeft, Pad + (o.YLabel is null ? 0 : o.FontSize + 8) + yTickW + 8);
        double top = Pad + TitleHeight(o) + legendHeight + 4;
        double bottom = Pad + xLabelBand + (o.XLabel is null ? 0 : o.FontSize + 8);
        double right = Pad + 6;
        var area = new PlotArea(left, top, o.Width - left - right, o.Height - top - bottom);
        if (area.Width < 20 || area.Height < 20)
            throw new ArgumentException($"{paramName}: Width {o.Width} x Height {o.Height} leaves no room for the plot area; make the chart larger.", paramName);
        return area;
    }

    public static void DrawPlotBackground(SvgWriter w, PlotArea a) =>
        w.Rect(a.Left, a.Top, a.Width, a.Height, "#ffffff", cssClass: "plot-area");

    public static void DrawYAxis(SvgWriter w, PlotArea a, IScale y, ChartOptions o, IReadOnlyList<double> ticks, Func<double, string> format)
    {
        w.BeginGroup(cssClass: "y-axis");
        foreach (double t in ticks)
        {
            double py = y.Map(t);
            w.Line(a.Left, py, a.Right, py, Colors.Grid.Hex, cssClass: "grid");
            w.Line(a.Left - 4, py, a.Left, py, Colors.Axis.Hex);
            w.Text(a.Left - 6, py, format(t), TextAnchor.End, o.FontSize, baseline: TextBaseline.Middle, cssClass: "tick-label");
        }
        w.Line(a.Left, a.Top, a.Left, a.Bottom, Colors.Axis.Hex, cssClass: "axis");
        if (o.YLabel is not null)
            w.Text(Pad + o.FontSize, a.CenterY, o.YLabel, TextAnchor.Middle, o.FontSize, rotation: -90, cssClass: "axis-label");
        w.EndGroup();
    }

    public static void DrawXAxis(SvgWriter w, PlotArea a, IScale x, ChartOptions o, IReadOnlyList<double> ticks, Func<double, string> format, bool grid)
    {
        w.BeginGroup(cssClass: "x-axis");
        foreach (double t in ticks)
        {
            double px = x.Map(t);
            if (grid) w.Line(px, a.Top, px, a.Bottom, Colors.Grid.Hex, cssClass: "grid");
            w.Line(px, a.Bottom, px, a.Bottom + 4, Colors.Axis.Hex);
            w.Text(px, a.Bottom + 6, format(t), TextAnchor.Middle, o.FontSize, baseline: TextBaseline.Hanging, cssClass: "tick-label");
        }
        w.Line(a.Left, a.Bottom, a.Right, a.Bottom, Colors.Axis.Hex, cssClass: "axis");
        w.EndGroup();
    }

    /// <summary>The plot area of a chart of groups (one band per group) and whether the group labels must be rotated
    /// by -45 degrees to fit their bands (labels longer than 140 px are measured as 140).</summary>
    public static (PlotArea Area, bool Rotate) GroupLayout(ChartOptions o, IReadOnlyList<string> groups, IReadOnlyList<string> tickLabels, double legendHeight, string paramName)
    {
        double fs = o.FontSize;
        double maxLabelW = Math.Min(groups.Select(g => TextMetrics.Width(g, fs)).Max(), 140);
        double approxBand = (o.Width - 80) / groups.Count;
        bool rotate = maxLabelW > approxBand - 4;
        double xBand = rotate ? maxLabelW * 0.71 + fs + 8 : fs + 8;
        // A label rotated by -45 degrees ends at its group centre and reaches back left by about 0.71 of its width.
        double firstLabelW = Math.Min(TextMetrics.Width(groups[0], fs), 140);
        double minLeft = rotate ? Pad + firstLabelW * 0.71 + fs - approxBand / 2 : 0;
        return (Layout(o, tickLabels, xBand, legendHeight, paramName, minLeft), rotate);
    }

    /// <summary>The x axis of a chart of groups: the axis line, a tick and a label at the centre of each band
    /// (labels rotated by -45 degrees when they do not fit their band).</summary>
    public static void DrawGroupAxis(SvgWriter w, PlotArea area, IReadOnlyList<string> groups, double band, bool rotate, double fs)
    {
        w.BeginGroup(cssClass: "x-axis");
        w.Line(area.Left, area.Bottom, area.Right, area.Bottom, Colors.Axis.Hex, cssClass: "axis");
        for (int g = 0; g < groups.Count; g++)
        {
            double gc = area.Left + (g + 0.5) * band;
            w.Line(gc, area.Bottom, gc, area.Bottom + 4, Colors.Axis.Hex);
            if (rotate) w.Text(gc, area.Bottom + 8, groups[g], TextAnchor.End, fs, rotation: -45, baseline: TextBaseline.Middle, cssClass: "group-label");
            else w.Text(gc, area.Bottom + 6, groups[g], TextAnchor.Middle, fs, baseline: TextBaseline.Hanging, cssClass: "group-label");
        }
        w.EndGroup();
    }

    public static void DrawXLabel(SvgWriter w, PlotArea a, ChartOptions o)
    {
        if (o.XLabel is null) return;
        w.Text(a.CenterX, o.Height - Pad, o.XLabel, TextAnchor.Middle, o.FontSize, cssClass: "axis-label");
    }

    /// <summary>Height taken by a legend laid out in rows across <paramref name="width"/>.</summary>
    public static double LegendHeight(IReadOnlyList<LegendEntry> entries, double width, double fontSize) =>
        entries.Count == 0 ? 0 : LegendRows(entries, width, fontSize).Count * (fontSize + 6);

    public static void DrawLegend(SvgWriter w, IReadOnlyList<LegendEntry> entries, double left, double top, double width, double fontSize)
    {
        if (entries.Count == 0) return;
        w.BeginGroup(cssClass: "legend");
        double rowH = fontSize + 6;
        var rows = LegendRows(entries, width, fontSize);
        for (int r = 0; r < rows.Count; r++)
        {
            double x = left, cy = top + r * rowH + rowH / 2;
            foreach (var e in rows[r])
            {
                double s = fontSize * 0.8;
                switch (e.Kind)
                {
                    case LegendKind.Box: w.Rect(x, cy - s / 2, s, s, e.Color.Hex, Colors.Axis.Hex, 0.8); break;
                    case LegendKind.Point: w.Circle(x + s / 2, cy, s / 2.5, e.Color.Hex); break;
                    case LegendKind.Cross: DrawCross(w, x + s / 2, cy, s / 2, e.Color.Hex, null, null); break;
                    case LegendKind.Line: w.Line(x, cy, x + s, cy, e.Color.Hex, 2, dash: "4 2"); break;
                }
                w.Text(x + s + 4, cy, e.Label, TextAnchor.Start, fontSize, baseline: TextBaseline.Middle);
                x += EntryWidth(e, fontSize);
            }
        }
        w.EndGroup();
    }

    public static void DrawCross(SvgWriter w, double cx, double cy, double r, string color, string? tooltip, string? cssClass)
    {
        string d = $"M{NumberFormat.Coord(cx - r)},{NumberFormat.Coord(cy - r)}L{NumberFormat.Coord(cx + r)},{NumberFormat.Coord(cy + r)}"
                 + $"M{NumberFormat.Coord(cx - r)},{NumberFormat.Coord(cy + r)}L{NumberFormat.Coord(cx + r)},{NumberFormat.Coord(cy - r)}";
        w.Path(d, "none", color, 2, tooltip, cssClass);
    }

    private static double EntryWidth(LegendEntry e, double fontSize) => fontSize * 0.8 + 4 + TextMetrics.Width(e.Label, fontSize) + 16;

    private static List<List<LegendEntry>> LegendRows(IReadOnlyList<LegendEntry> entries, double width, double fontSize)
    {
        var rows = new List<List<LegendEntry>> { new() };
        double x = 0;
        foreach (var e in entries)
        {
            double ew = EntryWidth(e, fontSize);
            if (x + ew > width && rows[^1].Count > 0)
            {
                rows.Add([]);
                x = 0;
            }
            rows[^1].Add(e);
            x += ew;
        }
        return rows;
    }

    /// <summary>Min and max of finite values, padded when equal.</summary>
    public static (double Min, double Max) Extent(IEnumerable<double> values)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) return (0, 1);
        return (lo, hi);
    }
}
