using System.Text;

namespace AttnXai.Plot;

/// <summary>
/// Builds a self-contained HTML page (inline CSS, no scripts, no external links) from headings, paragraphs, inline SVG
/// figures, tables and settings lists. All text is escaped with <see cref="Markup.Escape"/>. The output is also
/// well-formed XML (polyglot XHTML), so it can be checked with an XML parser.
/// </summary>
public sealed class HtmlReport
{
    private const string Css =
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}" +
        "h1,h2,h3{line-height:1.2}" +
        "figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#555;margin-top:0.3em}" +
        "svg{max-width:100%;height:auto}" +
        "table{border-collapse:collapse;margin:1em 0;font-size:0.92em}" +
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}" +
        "caption{caption-side:top;text-align:left;font-weight:bold;margin-bottom:0.3em}" +
        "dl.settings{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dl.settings dt{font-weight:bold}dl.settings dd{margin:0;font-family:monospace}";

    private readonly StringBuilder _body = new();

    public string Title { get; }

    public HtmlReport(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        Title = title;
    }

    /// <summary>A heading of level 1-6.</summary>
    public HtmlReport Heading(string text, int level = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (level < 1 || level > 6) throw new ArgumentOutOfRangeException(nameof(level), level, "Heading level must be 1-6.");
        _body.Append("<h").Append(level).Append('>').Append(Markup.Escape(text)).Append("</h").Append(level).Append(">\n");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _body.Append("<p>").Append(Markup.Escape(text)).Append("</p>\n");
        return this;
    }

    /// <summary>
    /// An inline SVG figure with optional caption. <paramref name="svg"/> must be an SVG document (as produced by this
    /// library's charts; an XML declaration or leading whitespace is stripped); it is inserted as markup, not escaped.
    /// </summary>
    public HtmlReport Figure(string svg, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(svg);
        string s = svg.TrimStart();
        if (s.StartsWith("<?xml", StringComparison.Ordinal))
        {
            int end = s.IndexOf("?>", StringComparison.Ordinal);
            s = end < 0 ? s : s[(end + 2)..].TrimStart();
        }
        if (!s.StartsWith("<svg", StringComparison.Ordinal))
            throw new ArgumentException("svg must be an SVG document starting with <svg (optionally after an XML declaration).", nameof(svg));
        _body.Append("<figure>\n").Append(s.TrimEnd()).Append('\n');
        if (caption is not null) _body.Append("<figcaption>").Append(Markup.Escape(caption)).Append("</figcaption>\n");
        _body.Append("</figure>\n");
        return this;
    }

    /// <summary>
    /// A table. Cells are formatted with <see cref="NumberFormat.Cell"/> (floating point with <paramref name="digits"/> significant
    /// digits, invariant culture) and numeric cells are right-aligned. Every row must have as many cells as the header.
    /// </summary>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows, string? caption = null, int digits = 4)
    {
        Guard.NotEmpty(header, nameof(header));
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder("<table>\n");
        if (caption is not null) sb.Append("<caption>").Append(Markup.Escape(caption)).Append("</caption>\n");
        sb.Append("<thead><tr>");
        foreach (var h in header) sb.Append("<th>").Append(Markup.Escape(h)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        int r = 0;
        foreach (var row in rows)
        {
            if (row is null) throw new ArgumentNullException(nameof(rows), $"rows[{r}] is null.");
            if (row.Count != header.Count) throw new ArgumentException($"rows[{r}] has {row.Count} cells but the header has {header.Count}.", nameof(rows));
            sb.Append("<tr>");
            foreach (var cell in row)
            {
                bool num = cell is not null and not string and (IFormattable);
                sb.Append(num ? "<td class=\"num\">" : "<td>").Append(Markup.Escape(NumberFormat.Cell(cell, digits))).Append("</td>");
            }
            sb.Append("</tr>\n");
            r++;
        }
        sb.Append("</tbody>\n</table>\n");
        _body.Append(sb);
        return this;
    }

    /// <summary>A "key: value" list (e.g. run settings), values formatted like table cells.</summary>
    public HtmlReport Settings(IEnumerable<KeyValuePair<string, object?>> settings, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (title is not null) Heading(title, 3);
        _body.Append("<dl class=\"settings\">\n");
        foreach (var (k, v) in settings)
            _body.Append("<dt>").Append(Markup.Escape(k)).Append("</dt><dd>").Append(Markup.Escape(NumberFormat.Cell(v, 6))).Append("</dd>\n");
        _body.Append("</dl>\n");
        return this;
    }

    /// <summary>Inserts trusted markup produced by this library (e.g. <see cref="HighlightedText.RenderHtml"/>) as is.</summary>
    public HtmlReport Fragment(string trustedHtml)
    {
        ArgumentNullException.ThrowIfNull(trustedHtml);
        _body.Append(trustedHtml).Append('\n');
        return this;
    }

    /// <summary>The complete page.</summary>
    public string Build()
    {
        var sb = new StringBuilder(_body.Length + 2000);
        sb.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
          .Append("<title>").Append(Markup.Escape(Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n")
          .Append("<h1>").Append(Markup.Escape(Title)).Append("</h1>\n")
          .Append(_body)
          .Append("</body>\n</html>\n");
        return sb.ToString();
    }

    public override string ToString() => Build();
}
