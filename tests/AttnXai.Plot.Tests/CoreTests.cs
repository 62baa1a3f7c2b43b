using System.Globalization;
using System.Xml.Linq;

namespace AttnXai.Plot.Tests;

public class MarkupTests
{
    [Theory]
    [InlineData("a<b", "a&lt;b")]
    [InlineData("x & y", "x &amp; y")]
    [InlineData("say \"hi\"", "say &quot;hi&quot;")]
    [InlineData("it's >", "it&#39;s &gt;")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    public void Escape_replaces_markup_characters(string input, string expected) =>
        Assert.Equal(expected, Markup.Escape(input));

    [Fact]
    public void Escape_replaces_characters_invalid_in_xml_and_keeps_surrogate_pairs()
    {
        Assert.Equal("a\uFFFDb", Markup.Escape("a\u0001b"));
        Assert.Equal("\uFFFD", Markup.Escape("\uD800"));
        Assert.Equal("\U0001F600", Markup.Escape("\U0001F600"));
        Assert.Equal("", Markup.Escape(null));
    }
}

public class NumberFormatTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1.234567, "1.23")]
    [InlineData(-0.001, "0")]
    [InlineData(12.5, "12.5")]
    public void Coord_uses_at_most_two_decimals(double v, string expected) => Assert.Equal(expected, NumberFormat.Coord(v));

    [Theory]
    [InlineData(0.123456, "0.1235")]
    [InlineData(1234.5678, "1235")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0, "0")]
    [InlineData(1.5e-7, "1.5E-07")]
    [InlineData(double.NaN, "NaN")]
    public void Number_uses_significant_digits(double v, string expected) => Assert.Equal(expected, NumberFormat.Number(v));

    [Fact]
    public void Formatting_ignores_the_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("0.5", NumberFormat.Number(0.5));
            Assert.Equal("2.25", NumberFormat.Coord(2.25));
            Assert.Equal("0.4", NumberFormat.Tick(0.4, 0.2));
            var svg = new SvgWriter(100, 50).Rect(1.5, 2.5, 3, 4, "#000000").ToString();
            Assert.Contains("x=\"1.5\"", svg);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Coord_refuses_non_finite() =>
        Assert.Throws<ArgumentException>(() => NumberFormat.Coord(double.NaN));
}

public class ScaleTests
{
    [Fact]
    public void Ticks_for_unit_interval_are_tenths_of_two()
    {
        var t = LinearScale.NiceTicks(0, 1);
        Assert.Equal(0.2, t.Step);
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], t.Values);
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], t.Values.Select(v => NumberFormat.Tick(v, t.Step)));
    }

    [Fact]
    public void Ticks_for_minus_3_7_to_12_1_have_step_2()
    {
        // raw step 15.8 / 5 = 3.16 < sqrt(10) = 3.162..., so the mantissa rounds to 2.
        var t = LinearScale.NiceTicks(-3.7, 12.1);
        Assert.Equal(2, t.Step);
        Assert.Equal([-2, 0, 2, 4, 6, 8, 10, 12], t.Values);
        Assert.Equal(["-2", "0", "2", "4", "6", "8", "10", "12"], t.Values.Select(v => NumberFormat.Tick(v, t.Step)));
    }

    [Theory]
    [InlineData(0, 100, 5, 20)]
    [InlineData(0, 0.013, 5, 0.002)]
    [InlineData(0, 1000, 10, 100)]
    [InlineData(-1, 1, 5, 0.5)]
    public void Nice_step_is_one_two_or_five_times_a_power_of_ten(double lo, double hi, int count, double expected) =>
        Assert.Equal(expected, LinearScale.NiceStep(lo, hi, count), 12);

    [Fact]
    public void Nice_extends_the_domain_to_ticks()
    {
        var s = new LinearScale(-3.7, 12.1, 0, 100).Nice();
        Assert.Equal(-5, s.DomainMin);
        Assert.Equal(15, s.DomainMax);
        var u = new LinearScale(0.03, 0.97, 0, 1).Nice();
        Assert.Equal(0, u.DomainMin);
        Assert.Equal(1, u.DomainMax);
    }

    [Fact]
    public void Map_is_linear_and_may_be_reversed()
    {
        var s = new LinearScale(0, 10, 300, 100);
        Assert.Equal(300, s.Map(0));
        Assert.Equal(100, s.Map(10));
        Assert.Equal(200, s.Map(5));
        Assert.Equal(5, s.Invert(200));
    }

    [Fact]
    public void Degenerate_domain_is_widened_and_bad_domains_refused()
    {
        var s = new LinearScale(3, 3, 0, 1);
        Assert.True(s.DomainMin < 3 && s.DomainMax > 3);
        var e = Assert.Throws<ArgumentException>(() => new LinearScale(double.NaN, 1, 0, 1));
        Assert.Equal("domainMin", e.ParamName);
        Assert.Throws<ArgumentException>(() => new LinearScale(2, 1, 0, 1));
    }

    [Fact]
    public void Log_scale_ticks_are_powers_of_ten()
    {
        var s = new LogScale(0.001, 10, 0, 400);
        Assert.Equal([0.001, 0.01, 0.1, 1, 10], s.Ticks(5));
        Assert.Equal(0, s.Map(0.001), 9);
        Assert.Equal(400, s.Map(10), 9);
        Assert.Equal(300, s.Map(1), 9);
        Assert.Throws<ArgumentException>(() => new LogScale(0, 1, 0, 1));
    }
}

public class ColorTests
{
    [Fact]
    public void Diverging_maps_ends_to_pure_red_and_green_and_zero_to_white()
    {
        var s = new DivergingScale(2.5);
        Assert.Equal("#ff0000", s.Map(-2.5).Hex);
        Assert.Equal("#ffffff", s.Map(0).Hex);
        Assert.Equal("#00ff00", s.Map(2.5).Hex);
        Assert.Equal("#ff8080", s.Map(-1.25).Hex);
        Assert.Equal("#80ff80", s.Map(1.25).Hex);
        // clamped outside [-max, max]
        Assert.Equal("#ff0000", s.Map(-100).Hex);
        Assert.Equal("#00ff00", s.Map(100).Hex);
    }

    [Fact]
    public void Diverging_is_symmetric()
    {
        var s = new DivergingScale(1);
        for (double v = 0; v <= 1.0001; v += 0.05)
        {
            Rgb pos = s.Map(v), neg = s.Map(-v);
            Assert.Equal(pos.G, neg.R);
            Assert.Equal(pos.R, neg.G);
            Assert.Equal(pos.B, neg.B);
        }
    }

    [Fact]
    public void Diverging_refuses_bad_max_and_nan()
    {
        Assert.Equal("maxAbs", Assert.Throws<ArgumentOutOfRangeException>(() => new DivergingScale(0)).ParamName);
        Assert.Throws<ArgumentException>(() => new DivergingScale(1).Map(double.NaN));
    }

    [Fact]
    public void Sequential_goes_from_white_to_blue()
    {
        var s = new SequentialScale(0, 1);
        Assert.Equal("#ffffff", s.Map(0).Hex);
        Assert.Equal(Colors.Blue, s.Map(1));
        Assert.Equal(Colors.Blue, s.Map(7));
    }

    [Fact]
    public void Palette_cycles_and_contrast_text_is_readable()
    {
        Assert.Equal(10, Colors.Palette.Count);
        Assert.Equal(Colors.Categorical(0), Colors.Categorical(10));
        Assert.Equal("#ffffff", Colors.Blue.ContrastText);
        Assert.Equal("#000000", Colors.White.ContrastText);
        Assert.Equal(new Rgb(0x1f, 0x77, 0xb4), Rgb.Parse("#1f77b4"));
    }
}

public class SvgWriterTests
{
    [Fact]
    public void Writer_produces_a_standalone_document_with_escaped_text_and_tooltips()
    {
        var w = new SvgWriter(200, 100, "t <&\">")
            .BeginGroup(SvgWriter.Translate(5, 5), "g1", "group <tip>")
            .Rect(0, 0, 10, 10, "#ff0000", tooltip: "a < b & \"c\"")
            .Line(0, 0, 10, 10, "#000000", dash: "2 2")
            .Polyline([(0, 0), (1, 2), (3, 4)], "#000000")
            .Path("M0,0L10,10", stroke: "#000000")
            .Circle(5, 5, 2, "#00ff00")
            .Text(10, 20, "x < y & \"z\"", TextAnchor.Middle, rotation: -90, baseline: TextBaseline.Middle)
            .EndGroup();
        var doc = SvgAssert.Parse(w.ToString());
        var ns = SvgAssert.Ns;
        Assert.Equal("t <&\">", doc.Root!.Element(ns + "title")!.Value);
        Assert.Equal("a < b & \"c\"", doc.Descendants(ns + "rect").Last().Element(ns + "title")!.Value);
        var text = doc.Descendants(ns + "text").Single();
        Assert.Equal("x < y & \"z\"", text.Value);
        Assert.Equal("middle", (string?)text.Attribute("text-anchor"));
        Assert.Equal("rotate(-90 10 20)", (string?)text.Attribute("transform"));
        Assert.Single(doc.Descendants(ns + "polyline"));
        Assert.Single(doc.Descendants(ns + "circle"));
    }

    [Fact]
    public void Unclosed_groups_and_bad_names_are_refused()
    {
        var w = new SvgWriter(10, 10).BeginGroup();
        Assert.Throws<InvalidOperationException>(() => w.ToString());
        Assert.Throws<InvalidOperationException>(() => new SvgWriter(10, 10).EndGroup());
        Assert.Throws<ArgumentException>(() => new SvgWriter(10, 10).Element("rect", [("on click", "x")]));
    }
}
