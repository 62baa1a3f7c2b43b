using System.Text;

namespace AttnXai.Plot;

public enum TextAnchor { Start, Middle, End }

/// <summary>Vertical placement of text relative to its y coordinate (implemented with dy, which every renderer supports).</summary>
public enum TextBaseline { Alphabetic, Middle, Hanging }

/// <summary>
/// Builds one standalone SVG 1.1 document (xmlns, version, width/height, viewBox, sans-serif font, white background).
/// Every text and attribute value passes through <see cref="Markup.Escape"/>; numbers use <see cref="NumberFormat.Coord"/>.
/// Call <see cref="ToString"/> to obtain the document (no XML declaration, so it can also be inlined in HTML).
/// </summary>
public sealed class SvgWriter
{
    public const string Namespace = "http://www.w3.org/2000/svg";

    private readonly StringBuilder _body = new();
    private int _openGroups;
    private int _indent = 1;

    public double Width { get; }
    public double Height { get; }
    /// <summary>Document title (shown by browsers as the tab title / accessible name); may be null.</summary>
    public string? Title { get; }

    public SvgWriter(double width, double height, string? title = null, string? background = "#ffffff")
    {
        Guard.Positive(width, nameof(width));
        Guard.Positive(height, nameof(height));
        Width = width;
        Height = height;
        Title = title;
        if (background is not null) Rect(0, 0, width, height, background, cssClass: "background");
    }

    /// <summary>A rectangle; negative sizes are clamped to zero. <paramref name="tooltip"/> becomes a child &lt;title&gt;.</summary>
    public SvgWriter Rect(double x, double y, double width, double height, string fill, string? stroke = null,
        double strokeWidth = 1, string? tooltip = null, string? cssClass = null, double opacity = 1)
    {
        var a = new List<(string, string?)>
        {
            ("x", C(x)), ("y", C(y)), ("width", C(Math.Max(0, width))), ("height", C(Math.Max(0, height))), ("fill", fill),
        };
        AddStroke(a, stroke, strokeWidth);
        if (opacity < 1) a.Add(("fill-opacity", C(Math.Clamp(opacity, 0, 1))));
        return Element("rect", a, tooltip, cssClass);
    }

    /// <summary>A straight line; <paramref name="dash"/> is an SVG stroke-dasharray such as "4 3".</summary>
    public SvgWriter Line(double x1, double y1, double x2, double y2, string stroke, double strokeWidth = 1,
        string? dash = null, string? tooltip = null, string? cssClass = null)
    {
        var a = new List<(string, string?)> { ("x1", C(x1)), ("y1", C(y1)), ("x2", C(x2)), ("y2", C(y2)) };
        AddStroke(a, stroke, strokeWidth);
        if (dash is not null) a.Add(("stroke-dasharray", dash));
        return Element("line", a, tooltip, cssClass);
    }

    /// <summary>An open polyline through <paramref name="points"/>.</summary>
    public SvgWriter Polyline(IEnumerable<(double X, double Y)> points, string stroke, double strokeWidth = 1,
        string fill = "none", string? dash = null, string? tooltip = null, string? cssClass = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        string pts = string.Join(" ", points.Select(p => C(p.X) + "," + C(p.Y)));
        var a = new List<(string, string?)> { ("points", pts), ("fill", fill) };
        AddStroke(a, stroke, strokeWidth);
        if (dash is not null) a.Add(("stroke-dasharray", dash));
        return Element("polyline", a, tooltip, cssClass);
    }

    /// <summary>A path with raw path data <paramref name="d"/> (build it with <see cref="NumberFormat.Coord"/>).</summary>
    public SvgWriter Path(string d, string? fill = "none", string? stroke = null, double strokeWidth = 1,
        string? tooltip = null, string? cssClass = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        var a = new List<(string, string?)> { ("d", d), ("fill", fill ?? "none") };
        AddStroke(a, stroke, strokeWidth);
        return Element("path", a, tooltip, cssClass);
    }

    public SvgWriter Circle(double cx, double cy, double r, string fill, string? stroke = null, double strokeWidth = 1,
        string? tooltip = null, string? cssClass = null, double opacity = 1)
    {
        var a = new List<(string, string?)> { ("cx", C(cx)), ("cy", C(cy)), ("r", C(Math.Max(0, r))), ("fill", fill) };
        AddStroke(a, stroke, strokeWidth);
        if (opacity < 1) a.Add(("fill-opacity", C(Math.Clamp(opacity, 0, 1))));
        return Element("circle", a, tooltip, cssClass);
    }

    /// <summary>A single line of text at (x, y), optionally rotated by <paramref name="rotation"/> degrees about (x, y).</summary>
    public SvgWriter Text(double x, double y, string text, TextAnchor anchor = TextAnchor.Start, double fontSize = 12,
        double rotation = 0, TextBaseline baseline = TextBaseline.Alphabetic, string? fill = null, bool bold = false,
        string? tooltip = null, string? cssClass = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var a = new List<(string, string?)> { ("x", C(x)), ("y", C(y)) };
        if (baseline == TextBaseline.Middle) a.Add(("dy", "0.35em"));
        else if (baseline == TextBaseline.Hanging) a.Add(("dy", "0.71em"));
        if (anchor != TextAnchor.Start) a.Add(("text-anchor", anchor == TextAnchor.Middle ? "middle" : "end"));
        a.Add(("font-size", C(fontSize)));
        if (bold) a.Add(("font-weight", "bold"));
        if (fill is not null) a.Add(("fill", fill));
        if (rotation != 0) a.Add(("transform", $"rotate({C(rotation)} {C(x)} {C(y)})"));
        AppendIndent();
        _body.Append("<text");
        AppendAttributes(a, cssClass);
        _body.Append('>');
        if (tooltip is not null) _body.Append("<title>").Append(Markup.Escape(tooltip)).Append("</title>");
        _body.Append(Markup.Escape(text)).Append("</text>\n");
        return this;
    }

    /// <summary>Opens a &lt;g&gt;; close it with <see cref="EndGroup"/>. <paramref name="transform"/> e.g. from <see cref="Translate"/>.</summary>
    public SvgWriter BeginGroup(string? transform = null, string? cssClass = null, string? tooltip = null)
    {
        AppendIndent();
        _body.Append("<g");
        AppendAttributes(transform is null ? [] : [("transform", transform)], cssClass);
        _body.Append(">\n");
        _openGroups++;
        _indent++;
        if (tooltip is not null)
        {
            AppendIndent();
            _body.Append("<title>").Append(Markup.Escape(tooltip)).Append("</title>\n");
        }
        return this;
    }

    public SvgWriter EndGroup()
    {
        if (_openGroups == 0) throw new InvalidOperationException("EndGroup called without a matching BeginGroup.");
        _openGroups--;
        _indent--;
        AppendIndent();
        _body.Append("</g>\n");
        return this;
    }

    /// <summary>A "translate(dx dy)" transform string.</summary>
    public static string Translate(double dx, double dy) => $"translate({C(dx)} {C(dy)})";

    /// <summary>
    /// A generic element for anything the helpers do not cover. Attribute names must be XML names (letters, digits,
    /// '-', '_', ':'); values are escaped. <paramref name="tooltip"/> becomes a child &lt;title&gt;.
    /// </summary>
    public SvgWriter Element(string name, IEnumerable<(string Name, string? Value)> attributes, string? tooltip = null, string? cssClass = null)
    {
        CheckName(name);
        AppendIndent();
        _body.Append('<').Append(name);
        AppendAttributes(attributes, cssClass);
        if (tooltip is null) _body.Append("/>\n");
        else _body.Append("><title>").Append(Markup.Escape(tooltip)).Append("</title></").Append(name).Append(">\n");
        return this;
    }

    /// <summary>The complete SVG document. Throws if a group is still open.</summary>
    public override string ToString()
    {
        if (_openGroups != 0) throw new InvalidOperationException($"{_openGroups} group(s) not closed with EndGroup.");
        var sb = new StringBuilder(_body.Length + 300);
        sb.Append("<svg xmlns=\"").Append(Namespace).Append("\" version=\"1.1\"")
          .Append(" width=\"").Append(C(Width)).Append("\" height=\"").Append(C(Height)).Append('"')
          .Append(" viewBox=\"0 0 ").Append(C(Width)).Append(' ').Append(C(Height)).Append('"')
          .Append(" font-family=\"sans-serif\" font-size=\"12\">\n");
        if (Title is not null) sb.Append("  <title>").Append(Markup.Escape(Title)).Append("</title>\n");
        sb.Append(_body).Append("</svg>\n");
        return sb.ToString();
    }

    private static string C(double v) => NumberFormat.Coord(v);

    private static void AddStroke(List<(string, string?)> a, string? stroke, double width)
    {
        if (stroke is null) return;
        a.Add(("stroke", stroke));
        if (width != 1) a.Add(("stroke-width", C(width)));
    }

    private void AppendAttributes(IEnumerable<(string Name, string? Value)> attributes, string? cssClass)
    {
        if (cssClass is not null) _body.Append(" class=\"").Append(Markup.Escape(cssClass)).Append('"');
        foreach (var (n, v) in attributes)
        {
            if (v is null) continue;
            CheckName(n);
            _body.Append(' ').Append(n).Append("=\"").Append(Markup.Escape(v)).Append('"');
        }
    }

    private void AppendIndent() => _body.Append(' ', 2 * _indent);

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!char.IsAsciiLetter(name[0]) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':')))
            throw new ArgumentException($"'{name}' is not a valid XML name.", nameof(name));
    }
}

/// <summary>Rough text metrics for layout without a font engine.</summary>
public static class TextMetrics
{
    /// <summary>Average advance of one character of a sans-serif font, as a fraction of the font size (0.6, a slight
    /// over-estimate so that labels rarely collide).</summary>
    public const double CharWidth = 0.6;

    /// <summary>Estimated rendered width of <paramref name="text"/> at <paramref name="fontSize"/> pixels.</summary>
    public static double Width(string? text, double fontSize = 12) =>
        (text?.Length ?? 0) * fontSize * CharWidth;
}
