namespace AttnXai.Plot.Tests;

public class BarChartTests
{
    private static readonly string[] Groups = ["alpha-avg", "G-avg", "random"];

    [Fact]
    public void Grouped_bars_have_heights_proportional_to_values_and_error_bars()
    {
        var svg = BarChart.Render(Groups,
        [
            new BarSeries("delete", [0.5, 0.25, 1.0], [(0.4, 0.6), (0.2, 0.3), (0.9, 1.0)]),
            new BarSeries("zero", [0.0, 0.75, 0.5]),
        ], new BarChartOptions { YMin = 0, YMax = 1, ReferenceValue = 0.5, Title = "t" });
        var doc = SvgAssert.Parse(svg);
        var bars = SvgAssert.ByClass(doc, "bar", "rect");
        Assert.Equal(6, bars.Count);
        // Order: group by group, series within a group. The full bar (1.0) sets the scale.
        double full = SvgAssert.Num(bars[4], "height");
        double[] expected = [0.5, 0.0, 0.25, 0.75, 1.0, 0.5];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i] * full, SvgAssert.Num(bars[i], "height"), 1);
        // All bars stand on the same baseline.
        var bottoms = bars.Select(b => SvgAssert.Num(b, "y") + SvgAssert.Num(b, "height")).ToArray();
        Assert.All(bottoms, b => Assert.Equal(bottoms[0], b, 1));
        // Series side by side within a group, groups left to right.
        var xs = bars.Select(b => SvgAssert.Num(b, "x")).ToArray();
        Assert.True(xs.Zip(xs.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(3, SvgAssert.ByClass(doc, "error-bar", "line").Count);
        Assert.Single(SvgAssert.ByClass(doc, "reference", "line"));
        Assert.Contains("G-avg (zero): 0.75", bars.Select(SvgAssert.Tooltip));
        Assert.Contains(SvgAssert.ByClass(doc, "legend").SelectMany(g => g.Descendants()), e => e.Value == "zero");
    }

    [Fact]
    public void Negative_values_hang_below_zero()
    {
        var doc = SvgAssert.Parse(BarChart.Render(["a", "b"], [new BarSeries("s", [2, -1])]));
        var bars = SvgAssert.ByClass(doc, "bar", "rect");
        double topOfNegative = SvgAssert.Num(bars[1], "y"), bottomOfPositive = SvgAssert.Num(bars[0], "y") + SvgAssert.Num(bars[0], "height");
        Assert.Equal(bottomOfPositive, topOfNegative, 1);
        Assert.Equal(2 * SvgAssert.Num(bars[1], "height"), SvgAssert.Num(bars[0], "height"), 1);
        Assert.Empty(SvgAssert.ByClass(doc, "legend")); // one series: no legend
    }

    [Fact]
    public void Bad_input_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => BarChart.Render(Groups, [new BarSeries("s", [1, double.NaN, 2])]));
        Assert.Contains("series[0].Values[1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => BarChart.Render(Groups, [new BarSeries("s", [1, 2])]));
        Assert.Contains("2 values but there are 3 groups", e.Message);
        e = Assert.Throws<ArgumentException>(() => BarChart.Render(Groups, [new BarSeries("s", [1, 2, 3], [(0, 1), (2, 1), (0, 4)])]));
        Assert.Contains("Intervals[1]", e.Message);
        Assert.Throws<ArgumentException>(() => BarChart.Render([], [new BarSeries("s", [])]));
        Assert.Throws<ArgumentException>(() => BarChart.Render(Groups, [new BarSeries("s", [1, 2, 3])], new BarChartOptions { YMin = 1, YMax = 1 }));
    }
}
