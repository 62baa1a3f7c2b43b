using System.Globalization;
using System.Xml.Linq;

namespace AttnXai.Plot.Tests;

/// <summary>Parses chart output with System.Xml and checks the standalone-SVG contract.</summary>
internal static class SvgAssert
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public static XDocument Parse(string svg)
    {
        var doc = XDocument.Parse(svg);
        var root = doc.Root!;
        Assert.Equal(Ns + "svg", root.Name);
        Assert.Equal("1.1", (string?)root.Attribute("version"));
        Assert.Equal("sans-serif", (string?)root.Attribute("font-family"));
        double w = Num(root, "width"), h = Num(root, "height");
        Assert.Equal($"0 0 {root.Attribute("width")!.Value} {root.Attribute("height")!.Value}", (string?)root.Attribute("viewBox"));
        Assert.True(w > 0 && h > 0);
        // No external resources.
        Assert.DoesNotContain("href", svg, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
        return doc;
    }

    public static List<XElement> ByClass(XDocument doc, string cssClass, string? element = null) =>
        doc.Descendants()
           .Where(e => (element is null || e.Name == Ns + element)
                       && ((string?)e.Attribute("class"))?.Split(' ').Contains(cssClass) == true)
           .ToList();

    public static double Num(XElement e, string attribute) =>
        double.Parse(e.Attribute(attribute)?.Value ?? throw new Xunit.Sdk.XunitException($"<{e.Name.LocalName}> has no {attribute}"), CultureInfo.InvariantCulture);

    public static string? Tooltip(XElement e) => e.Element(Ns + "title")?.Value;

    public static string Fill(XElement e) => e.Attribute("fill")!.Value;
}
