namespace AttnXai.Plot.Tests;

public class StatsTests
{
    [Fact]
    public void Quantiles_use_linear_interpolation_like_numpy()
    {
        double[] x = [4, 1, 3, 2];
        Assert.Equal(1.75, Stats.Quantile(x, 0.25), 12);
        Assert.Equal(2.5, Stats.Quantile(x, 0.5), 12);
        Assert.Equal(3.25, Stats.Quantile(x, 0.75), 12);
        Assert.Equal(1, Stats.Quantile(x, 0));
        Assert.Equal(4, Stats.Quantile(x, 1));
    }

    [Fact]
    public void Box_stats_match_numpy_and_tukey_whiskers()
    {
        // np.percentile([1..9, 100], [25, 50, 75]) = [3.25, 5.5, 7.75]; IQR 4.5; upper fence 14.5.
        var b = Stats.Box([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
        Assert.Equal(3.25, b.Q1, 12);
        Assert.Equal(5.5, b.Median, 12);
        Assert.Equal(7.75, b.Q3, 12);
        Assert.Equal(1, b.WhiskerLow);
        Assert.Equal(9, b.WhiskerHigh);
        Assert.Equal([100.0], b.Outliers);
    }

    [Fact]
    public void Box_stats_refuse_empty_and_nan()
    {
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => Stats.Box([])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Stats.Box([1, double.NaN]));
        Assert.Equal("values", e.ParamName);
        Assert.Contains("values[1]", e.Message);
    }
}

public class BoxplotTests
{
    private static (double Top, double Bottom) PlotArea(System.Xml.Linq.XDocument doc)
    {
        var a = SvgAssert.ByClass(doc, "plot-area", "rect").Single();
        double top = SvgAssert.Num(a, "y");
        return (top, top + SvgAssert.Num(a, "height"));
    }

    [Fact]
    public void Box_edges_sit_at_the_hand_computed_quartiles()
    {
        // Group A: 1..5 -> Q1 2, median 3, Q3 4. Group B: [0, 2, 4, 6, 9] -> Q1 2, median 4, Q3 6.
        string[] groups = ["A", "B"];
        double[][] values = [[5, 1, 3, 2, 4], [0, 2, 4, 6, 9]];
        var svg = Boxplot.Render(groups, values, new BoxplotOptions { YMin = 0, YMax = 10, Title = "LIME" });
        var doc = SvgAssert.Parse(svg);
        var (top, bottom) = PlotArea(doc);
        var y = new LinearScale(0, 10, bottom, top);
        var boxes = SvgAssert.ByClass(doc, "box", "rect");
        Assert.Equal(2, boxes.Count);
        (double q1, double med, double q3)[] expected = [(2, 3, 4), (2, 4, 6)];
        var medians = SvgAssert.ByClass(doc, "median", "line");
        for (int g = 0; g < 2; g++)
        {
            Assert.Equal(y.Map(expected[g].q3), SvgAssert.Num(boxes[g], "y"), 2);
            Assert.Equal(y.Map(expected[g].q1) - y.Map(expected[g].q3), SvgAssert.Num(boxes[g], "height"), 1);
            Assert.Equal(y.Map(expected[g].med), SvgAssert.Num(medians[g], "y1"), 2);
        }
        Assert.Empty(SvgAssert.ByClass(doc, "outlier"));
        // Whiskers of A reach 1 and 5.
        var whiskers = SvgAssert.ByClass(doc, "whisker", "line").Take(2).ToList();
        Assert.Equal(y.Map(5), SvgAssert.Num(whiskers[0], "y2"), 2);
        Assert.Equal(y.Map(1), SvgAssert.Num(whiskers[1], "y2"), 2);
    }

    [Fact]
    public void Outliers_markers_zero_line_and_two_series_are_drawn()
    {
        string[] groups = ["good", "bad", "movie"];
        var lime = new BoxSeries("LIME", [[0.1, 0.2, 0.15, 0.12, 2.0], [-0.3, -0.25, -0.2, -0.35, -0.3], [0, 0.01, -0.01, 0.02, 0]]);
        var other = new BoxSeries("LIME (other)", [[0.1, 0.1, 0.1], [-0.2, -0.2, -0.1], [0, 0, 0]]);
        var theory = new MarkerSeries("theory", [0.15, -0.3, null]);
        var svg = Boxplot.Render(groups, [lime, other], [theory], new BoxplotOptions { YLabel = "coefficient" });
        var doc = SvgAssert.Parse(svg);
        Assert.Equal(6, SvgAssert.ByClass(doc, "box", "rect").Count);
        Assert.Single(SvgAssert.ByClass(doc, "outlier", "circle"));
        Assert.Equal(2, SvgAssert.ByClass(doc, "marker").Count);
        Assert.Single(SvgAssert.ByClass(doc, "zero-line", "line"));
        var legend = SvgAssert.ByClass(doc, "legend", "g").Single();
        Assert.Equal(["LIME", "LIME (other)", "theory"], legend.Elements(SvgAssert.Ns + "text").Select(t => t.Value));
        // Side by side: the two boxes of a group do not overlap.
        var boxes = SvgAssert.ByClass(doc, "box", "rect");
        Assert.True(SvgAssert.Num(boxes[0], "x") + SvgAssert.Num(boxes[0], "width") <= SvgAssert.Num(boxes[1], "x") + 0.01);
    }

    [Fact]
    public void Group_labels_are_escaped()
    {
        var doc = SvgAssert.Parse(Boxplot.Render(["<b>", "a&b", "\"q\""], [[1.0], [2.0], [3.0]]));
        Assert.Equal(["<b>", "a&b", "\"q\""], SvgAssert.ByClass(doc, "group-label", "text").Select(t => t.Value));
    }

    [Fact]
    public void Bad_inputs_are_refused_with_named_arguments()
    {
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => Boxplot.Render([], Array.Empty<double[]>())).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Boxplot.Render(["a"], [[1, double.NaN]]));
        Assert.Equal("values", e.ParamName);
        Assert.Contains("values[0][1]", e.Message);
        Assert.Throws<ArgumentException>(() => Boxplot.Render(["a", "b"], [[1.0]]));
        Assert.Contains("no values", Assert.Throws<ArgumentException>(() => Boxplot.Render(["a"], [Array.Empty<double>()])).Message);
        Assert.Equal("markers", Assert.Throws<ArgumentException>(() =>
            Boxplot.Render(["a"], [new BoxSeries("s", [[1.0]])], [new MarkerSeries("m", [double.PositiveInfinity])])).ParamName);
    }
}
