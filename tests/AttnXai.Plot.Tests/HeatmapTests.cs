namespace AttnXai.Plot.Tests;

public class HeatmapTests
{
    private static readonly double[,] M3x4 =
    {
        { -2, -1, 0, 1 },
        { 2, 0.5, -0.5, 0 },
        { 1.5, -1.5, 2, -2 },
    };

    [Fact]
    public void Diverging_heatmap_has_one_rect_per_cell_with_hand_picked_colours()
    {
        var svg = Heatmap.Render(M3x4, ["r0", "r1", "r2"], ["a", "b", "c", "d"],
            new HeatmapOptions { ColorMode = HeatmapColorMode.Diverging, Title = "grad" });
        var doc = SvgAssert.Parse(svg);
        var cells = SvgAssert.ByClass(doc, "cell", "rect");
        Assert.Equal(12, cells.Count);
        // Row-major order; max |v| = 2 so -2 -> red, 2 -> green, 0 -> white, +-1 -> half intensity (255 * 0.5 = 127.5 -> 128 = 0x80).
        string[] expected =
        [
            "#ff0000", "#ff8080", "#ffffff", "#80ff80",
            "#00ff00", "#bfffbf", "#ffbfbf", "#ffffff",
            "#40ff40", "#ff4040", "#00ff00", "#ff0000",
        ];
        Assert.Equal(expected, cells.Select(SvgAssert.Fill));
        Assert.Equal("r1 \u00d7 b: 0.5", SvgAssert.Tooltip(cells[5]));
        // Cells tile the matrix: same width, increasing x within a row.
        var xs = cells.Take(4).Select(c => SvgAssert.Num(c, "x")).ToList();
        Assert.Equal(xs.Order(), xs);
        Assert.Single(SvgAssert.ByClass(doc, "colorbar", "g"));
    }

    [Fact]
    public void Sequential_heatmap_runs_from_white_at_zero_to_blue_at_max()
    {
        var m = new double[,] { { 0, 0.5 }, { 1, 0.25 } };
        var doc = SvgAssert.Parse(Heatmap.Render(m));
        var fills = SvgAssert.ByClass(doc, "cell", "rect").Select(SvgAssert.Fill).ToList();
        Assert.Equal("#ffffff", fills[0]);
        Assert.Equal(Colors.Blue.Hex, fills[2]);
        Assert.Equal(new SequentialScale(0, 1).Map(0.5).Hex, fills[1]);
    }

    [Fact]
    public void Explicit_colour_max_is_used()
    {
        var m = new double[,] { { 1, -1 } };
        var doc = SvgAssert.Parse(Heatmap.Render(m, options: new HeatmapOptions { ColorMode = HeatmapColorMode.Diverging, ColorMax = 2 }));
        Assert.Equal(["#80ff80", "#ff8080"], SvgAssert.ByClass(doc, "cell", "rect").Select(SvgAssert.Fill));
    }

    [Fact]
    public void NaN_cells_are_drawn_in_the_missing_colour()
    {
        var m = new double[,] { { 1, double.NaN } };
        var doc = SvgAssert.Parse(Heatmap.Render(m, options: new HeatmapOptions { ColorMode = HeatmapColorMode.Diverging }));
        var missing = SvgAssert.ByClass(doc, "missing", "rect").Single();
        Assert.Equal(Colors.Missing.Hex, SvgAssert.Fill(missing));
        Assert.Equal("#bdbdbd", Colors.Missing.Hex);
        Assert.EndsWith("missing", SvgAssert.Tooltip(missing));
    }

    [Fact]
    public void Infinite_values_empty_matrices_and_label_mismatches_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Heatmap.Render(new double[,] { { 1, double.PositiveInfinity } }));
        Assert.Equal("values", e.ParamName);
        Assert.Contains("[0, 1]", e.Message);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => Heatmap.Render(new double[0, 3])).ParamName);
        Assert.Throws<ArgumentException>(() => Heatmap.Render(M3x4, ["only one"]));
        Assert.Throws<ArgumentException>(() => Heatmap.RenderGrid([]));
    }

    [Fact]
    public void Labels_are_escaped_and_parse()
    {
        var m = new double[,] { { 1, 2 } };
        var svg = Heatmap.Render(m, ["<row & \"1\">"], ["a<b", "c&d"], new HeatmapOptions { Title = "T <&\">", ShowValues = true });
        var doc = SvgAssert.Parse(svg);
        var texts = doc.Descendants(SvgAssert.Ns + "text").Select(t => t.Nodes().OfType<System.Xml.Linq.XText>().FirstOrDefault()?.Value).ToList();
        Assert.Contains("a<b", texts);
        Assert.Contains("c&d", texts);
        Assert.Contains("T <&\">", texts);
        Assert.Contains(SvgAssert.ByClass(doc, "cell", "rect"), c => SvgAssert.Tooltip(c)!.StartsWith("<row & \"1\"> \u00d7 a<b"));
        Assert.Equal(2, SvgAssert.ByClass(doc, "cell-value", "text").Count);
    }

    [Fact]
    public void Many_column_labels_are_thinned()
    {
        var m = new double[10, 80];
        for (int i = 0; i < 10; i++) for (int j = 0; j < 80; j++) m[i, j] = Math.Sin(i + j / 7.0);
        var cols = Enumerable.Range(0, 80).Select(j => $"d{j}").ToList();
        var rows = Enumerable.Range(0, 10).Select(i => $"token{i}").ToList();
        var svg = Heatmap.Render(m, rows, cols, new HeatmapOptions { ColorMode = HeatmapColorMode.Diverging, Width = 900, Height = 320 });
        var doc = SvgAssert.Parse(svg);
        Assert.Equal(800, SvgAssert.ByClass(doc, "cell", "rect").Count);
        var colLabels = SvgAssert.ByClass(doc, "column-labels", "g").Single().Elements(SvgAssert.Ns + "text").Count();
        Assert.InRange(colLabels, 10, 79);
        var rowLabels = SvgAssert.ByClass(doc, "row-labels", "g").Single().Elements(SvgAssert.Ns + "text").Count();
        Assert.Equal(10, rowLabels);
    }

    [Fact]
    public void Grid_of_six_heads_shares_one_colour_bar_and_scale()
    {
        var tokens = new[] { "the", "movie", "was", "not", "good", "at", "all", "!" };
        var panels = Enumerable.Range(0, 6).Select(h =>
        {
            var a = new double[8, 8];
            for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) a[i, j] = (i + j + h) / 20.0;
            return new HeatmapPanel(a, tokens, tokens, $"head {h + 1}");
        }).ToList();
        var svg = Heatmap.RenderGrid(panels, new HeatmapOptions { Width = 900, Height = 620, Title = "attention", GridColumns = 3 });
        var doc = SvgAssert.Parse(svg);
        Assert.Equal(6 * 64, SvgAssert.ByClass(doc, "cell", "rect").Count);
        Assert.Equal(6, SvgAssert.ByClass(doc, "panel", "g").Count);
        Assert.Single(SvgAssert.ByClass(doc, "colorbar", "g"));
        // Shared scale: the global max (7+7+5)/20 is in the last panel only, so only it reaches full blue.
        var fills = SvgAssert.ByClass(doc, "cell", "rect").Select(SvgAssert.Fill).ToList();
        Assert.Equal(Colors.Blue.Hex, fills[^1]);
        Assert.DoesNotContain(Colors.Blue.Hex, fills.Take(64));
        Assert.Equal(6, SvgAssert.ByClass(doc, "panel-title", "text").Count);
    }

    [Fact]
    public void Too_small_a_figure_is_refused_clearly()
    {
        var m = new double[100, 100];
        var e = Assert.Throws<ArgumentException>(() => Heatmap.Render(m, options: new HeatmapOptions { Width = 60, Height = 60 }));
        Assert.Contains("larger", e.Message);
    }
}
