using System.Globalization;
using System.Xml.Linq;

namespace AttnXai.Plot.Tests;

public class HistogramTests
{
    [Fact]
    public void Count_follows_numpy_binning()
    {
        // Edges 0,1,2,3: [0,1) gets 0 and 0.5; [1,2) gets 1 and 1.5; [2,3] (closed) gets 2, 2.5, 3, 3, 3; -1 and 3.5 are outside.
        double[] v = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3, -1, 3.5];
        Assert.Equal([2, 2, 5], Histogram.Count(v, [0, 1, 2, 3]));
    }

    [Fact]
    public void Bars_match_a_hand_count_and_heights_are_proportional()
    {
        double[] v = [0.1, 0.2, 0.3, 1.1, 2.2, 2.5, 2.9, 3.0];
        var doc = SvgAssert.Parse(Histogram.Render(v, new HistogramOptions { Edges = [0, 1, 2, 3], Title = "h" }));
        var bars = SvgAssert.ByClass(doc, "bar", "rect");
        Assert.Equal(3, bars.Count);
        Assert.Equal(["[0, 1): 3", "[1, 2): 1", "[2, 3]: 4"], bars.Select(b => SvgAssert.Tooltip(b)));
        double h0 = SvgAssert.Num(bars[0], "height"), h1 = SvgAssert.Num(bars[1], "height"), h2 = SvgAssert.Num(bars[2], "height");
        Assert.Equal(3.0, h0 / h1, 1);
        Assert.Equal(4.0, h2 / h1, 1);
    }

    [Fact]
    public void Default_binning_counts_every_value_once()
    {
        var rnd = new Random(7);
        var v = Enumerable.Range(0, 500).Select(_ => rnd.NextDouble() * 10 - 3).ToList();
        var edges = Histogram.Edges(v, 12);
        Assert.Equal(13, edges.Length);
        Assert.Equal(v.Min(), edges[0]);
        Assert.Equal(v.Max(), edges[^1]);
        Assert.Equal(500, Histogram.Count(v, edges).Sum());
        var doc = SvgAssert.Parse(Histogram.Render(v, new HistogramOptions { Bins = 12 }));
        var counts = SvgAssert.ByClass(doc, "bar", "rect").Select(b => int.Parse(SvgAssert.Tooltip(b)!.Split(": ")[1], CultureInfo.InvariantCulture));
        Assert.Equal(500, counts.Sum());
    }

    [Fact]
    public void Log_x_uses_log_spaced_bins_and_reference_lines_are_drawn()
    {
        double[] v = [1, 10, 100, 1000, 5, 50];
        var edges = Histogram.Edges(v, 3, logX: true);
        Assert.Equal([1, 10, 100, 1000], edges.Select(e => Math.Round(e, 9)));
        var svg = Histogram.Render(v, new HistogramOptions { Bins = 3, LogX = true, ReferenceLines = [new ReferenceLine(7.5, "median <m>")] });
        var doc = SvgAssert.Parse(svg);
        var bars = SvgAssert.ByClass(doc, "bar", "rect");
        // Equal-ratio bins are equally wide on a log axis.
        Assert.Equal(SvgAssert.Num(bars[0], "width"), SvgAssert.Num(bars[2], "width"), 1);
        Assert.Single(SvgAssert.ByClass(doc, "reference", "line"));
        Assert.Equal("median <m>", SvgAssert.ByClass(doc, "reference-label", "text").Single().Nodes().OfType<XText>().Single().Value);
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => Histogram.Render([])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Histogram.Render([1, double.NegativeInfinity]));
        Assert.Equal("values", e.ParamName);
        Assert.Contains("values[1]", e.Message);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => Histogram.Render([0, 1], new HistogramOptions { LogX = true })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Histogram.Render([1], new HistogramOptions { Edges = [0, 0] })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Histogram.Edges([1.0], 0));
    }
}

public class ScatterTests
{
    [Fact]
    public void Points_tooltips_identity_line_and_legend()
    {
        double[] x = [0, 0.5, 1], y = [0.1, 0.4, 0.9];
        var svg = Scatter.Render([new ScatterSeries("A", x, y, ["<w1>", "w&2", "\"w3\""]), new ScatterSeries("B", [0.2], [0.3])],
            new ScatterOptions { IdentityLine = true, Title = "s", XLabel = "attention", YLabel = "gradient" });
        var doc = SvgAssert.Parse(svg);
        var pts = SvgAssert.ByClass(doc, "point", "circle");
        Assert.Equal(4, pts.Count);
        Assert.Equal("A: <w1> (0, 0.1)", SvgAssert.Tooltip(pts[0]));
        Assert.Equal("A: w&2 (0.5, 0.4)", SvgAssert.Tooltip(pts[1]));
        Assert.Single(SvgAssert.ByClass(doc, "identity", "line"));
        Assert.Equal(["A", "B", "y = x"], SvgAssert.ByClass(doc, "legend", "g").Single().Elements(SvgAssert.Ns + "text").Select(t => t.Value));
        // The point (0, 0.1) sits on the left edge of the plot area (x domain nices to [0, 1]).
        var area = SvgAssert.ByClass(doc, "plot-area", "rect").Single();
        Assert.Equal(SvgAssert.Num(area, "x"), SvgAssert.Num(pts[0], "cx"), 2);
        Assert.Equal(SvgAssert.Num(area, "x") + SvgAssert.Num(area, "width"), SvgAssert.Num(pts[2], "cx"), 2);
    }

    [Fact]
    public void Single_series_has_no_legend()
    {
        var doc = SvgAssert.Parse(Scatter.Render([1.0, 2, 3], [3.0, 1, 2]));
        Assert.Empty(SvgAssert.ByClass(doc, "legend"));
        Assert.Equal(3, SvgAssert.ByClass(doc, "point", "circle").Count);
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Scatter.Render([], [])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Scatter.Render([1.0], [double.NaN])).ParamName);
        Assert.Equal("series", Assert.Throws<ArgumentException>(() => Scatter.Render([new ScatterSeries("a", [1.0, 2], [1.0])])).ParamName);
        Assert.Equal("series", Assert.Throws<ArgumentException>(() => Scatter.Render(Array.Empty<ScatterSeries>())).ParamName);
    }
}

public class HighlightedTextTests
{
    private static readonly string[] Tokens = ["great", "<not>", "bad", "&"];

    [Fact]
    public void Svg_colours_each_row_by_its_own_max()
    {
        var rows = new[]
        {
            new HighlightRow("attention", [2, -1, 0, 1]),
            new HighlightRow("LIME \"v1\"", [-0.1, 0.05, 0.1, 0]),
        };
        var doc = SvgAssert.Parse(HighlightedText.RenderSvg(Tokens, rows, new HighlightOptions { Title = "Figure 1" }));
        var rects = SvgAssert.ByClass(doc, "token", "rect");
        Assert.Equal(8, rects.Count);
        Assert.Equal(["#00ff00", "#ff8080", "#ffffff", "#80ff80", "#ff0000", "#80ff80", "#00ff00", "#ffffff"], rects.Select(SvgAssert.Fill));
        Assert.Equal("<not>: -1", SvgAssert.Tooltip(rects[1]));
        Assert.Equal(["attention", "LIME \"v1\""], SvgAssert.ByClass(doc, "row-name", "text").Select(t => t.Value));
    }

    [Fact]
    public void Long_texts_wrap_onto_several_lines()
    {
        var tokens = Enumerable.Range(0, 60).Select(i => $"token{i}").ToList();
        var svg = HighlightedText.RenderSvg(tokens, [new HighlightRow("g", tokens.Select((_, i) => (double)i - 30).ToList())], new HighlightOptions { Width = 400 });
        var doc = SvgAssert.Parse(svg);
        var rects = SvgAssert.ByClass(doc, "token", "rect");
        var ys = rects.Select(r => SvgAssert.Num(r, "y")).Distinct().Count();
        Assert.True(ys >= 5, $"expected several lines, got {ys}");
        Assert.All(rects, r => Assert.True(SvgAssert.Num(r, "x") + SvgAssert.Num(r, "width") <= 400));
    }

    [Fact]
    public void Html_version_uses_spans_with_inline_colours_and_escaped_text()
    {
        var html = HighlightedText.RenderHtml(Tokens, [new HighlightRow("grad <x>", [1, -1, 0, 0.5])]);
        var div = XElement.Parse(html);
        var spans = div.Descendants("span").Where(s => (string?)s.Attribute("class") == "token").ToList();
        Assert.Equal(Tokens, spans.Select(s => s.Value));
        Assert.Contains("background-color:#00ff00", (string?)spans[0].Attribute("style"));
        Assert.Contains("background-color:#ff0000", (string?)spans[1].Attribute("style"));
        Assert.Equal("0.5", (string?)spans[3].Attribute("title"));
        Assert.Contains("grad &lt;x&gt;", html);
    }

    [Fact]
    public void Mismatched_or_non_finite_rows_are_refused()
    {
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => HighlightedText.RenderSvg(Tokens, [new HighlightRow("a", [1.0])])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => HighlightedText.RenderHtml(Tokens, [new HighlightRow("a", [1, 2, double.NaN, 3])]));
        Assert.Equal("rows", e.ParamName);
        Assert.Contains("rows[0].Values[2]", e.Message);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => HighlightedText.RenderSvg([], [new HighlightRow("a", [])])).ParamName);
    }
}

public class HtmlReportTests
{
    [Fact]
    public void Report_is_self_contained_escaped_and_well_formed()
    {
        var svg = Scatter.Render([1.0, 2], [2.0, 1], options: new ScatterOptions { Title = "fig <1>" });
        var html = new HtmlReport("Run <7> & co")
            .Heading("Results \"now\"")
            .Paragraph("a < b & c > d")
            .Table(["name", "accuracy", "n"], [["attn & grad", 0.87654321, 12], ["<lime>", -1.5e-7, null]], "Table <1>")
            .Settings([new("seed", (object?)42), new("lr", 0.001), new("path", "a&b")])
            .Figure(svg, "Figure <1>")
            .Fragment(HighlightedText.RenderHtml(["x"], [new HighlightRow("r", [1.0])]))
            .Build();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        var doc = XDocument.Parse(html.Replace("<!DOCTYPE html>", ""));
        XNamespace h = "http://www.w3.org/1999/xhtml";
        Assert.Equal("Run <7> & co", doc.Descendants(h + "title").Single().Value);
        Assert.Equal("a < b & c > d", doc.Descendants(h + "p").Single().Value);
        var cells = doc.Descendants(h + "td").Select(t => t.Value).ToList();
        Assert.Equal(["attn & grad", "0.8765", "12", "<lime>", "-1.5E-07", ""], cells);
        Assert.Equal("num", (string?)doc.Descendants(h + "td").ElementAt(1).Attribute("class"));
        Assert.Equal(["seed", "lr", "path"], doc.Descendants(h + "dt").Select(d => d.Value));
        Assert.Equal(["42", "0.001", "a&b"], doc.Descendants(h + "dd").Select(d => d.Value));
        Assert.Single(doc.Descendants(SvgAssert.Ns + "svg"));
        Assert.Equal("Figure <1>", doc.Descendants(h + "figcaption").Single().Value);
        Assert.Single(doc.Descendants(h + "style"));
    }

    [Fact]
    public void Bad_tables_and_figures_are_refused()
    {
        var r = new HtmlReport("t");
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => r.Table(["a", "b"], [["only one"]])).ParamName);
        Assert.Equal("header", Assert.Throws<ArgumentException>(() => r.Table([], [])).ParamName);
        Assert.Equal("svg", Assert.Throws<ArgumentException>(() => r.Figure("<div>not svg</div>")).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Heading("x", 7));
    }
}
