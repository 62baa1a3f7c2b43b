using System.Text;

namespace AttnXai.Plot;

/// <summary>One explainer's values for the shared tokens (e.g. Name = "LIME", one value per token).</summary>
public sealed record HighlightRow(string Name, IReadOnlyList<double> Values)
{
    /// <summary>Hover text per token (null: the value), e.g. a word's value and its subwords' values.</summary>
    public IReadOnlyList<string>? Hovers { get; init; }
}

public sealed record HighlightOptions
{
    public string? Title { get; init; }
    /// <summary>Total width in pixels; tokens wrap to further lines within it. The height follows from the content.</summary>
    public double Width { get; init; } = 900;
    public double FontSize { get; init; } = 13;
    /// <summary>Significant digits of values in tooltips.</summary>
    public int Digits { get; init; } = 3;
}

/// <summary>
/// The paper's Figure 1: the same tokens once per explainer, each token's background green for positive and red for
/// negative values, with intensity |v| / max |v| within its row (a <see cref="DivergingScale"/> per row; an all-zero row
/// stays white). The value is shown on hover. Token widths are estimated from character counts (<see cref="TextMetrics"/>).
/// </summary>
public static class HighlightedText
{
    private const double PadX = 3, GapX = 3;

    /// <summary>SVG version: one block per row with the row name on the left; token backgrounds are rect.token.</summary>
    public static string RenderSvg(IReadOnlyList<string> tokens, IReadOnlyList<HighlightRow> rows, HighlightOptions? options = null)
    {
        var o = Validate(tokens, rows, options);
        double fs = o.FontSize;
        double nameW = rows.Max(r => TextMetrics.Width(r.Name, fs)) * 1.1 + 14;
        double left = Frame.Pad + nameW, right = o.Width - Frame.Pad;
        if (right - left < fs * 3) throw new ArgumentException($"options.Width {o.Width} is too small for the row names.", nameof(options));
        double lineH = fs + 10, rowGap = 10;
        double titleH = o.Title is null ? 0 : fs + 16;

        // Lay out token positions once (identical for every row).
        var pos = new (double X, int Line, double W)[tokens.Count];
        double x = left;
        int line = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            double tw = TextMetrics.Width(tokens[i], fs) + 2 * PadX;
            if (x + tw > right && x > left)
            {
                line++;
                x = left;
            }
            pos[i] = (x, line, tw);
            x += tw + GapX;
        }
        int lines = line + 1;
        double rowH = lines * lineH;
        double height = Frame.Pad + titleH + rows.Count * rowH + (rows.Count - 1) * rowGap + Frame.Pad;

        var w = new SvgWriter(o.Width, height, o.Title);
        if (o.Title is not null) w.Text(o.Width / 2, Frame.Pad + fs + 2, o.Title, TextAnchor.Middle, fs + 2, bold: true, cssClass: "title");
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var scale = DivergingScale.ForData(row.Values);
            double top = Frame.Pad + titleH + r * (rowH + rowGap);
            w.BeginGroup(cssClass: "highlight-row");
            w.Text(Frame.Pad, top + lineH / 2, row.Name, TextAnchor.Start, fs, baseline: TextBaseline.Middle, bold: true, cssClass: "row-name");
            for (int i = 0; i < tokens.Count; i++)
            {
                var c = scale.Map(row.Values[i]);
                double ty = top + pos[i].Line * lineH;
                string tip = $"{tokens[i]}: {NumberFormat.Number(row.Values[i], o.Digits)}";
                w.Rect(pos[i].X, ty + 2, pos[i].W, lineH - 4, c.Hex, tooltip: tip, cssClass: "token");
                w.Text(pos[i].X + PadX, ty + lineH / 2, tokens[i], TextAnchor.Start, fs, baseline: TextBaseline.Middle, fill: c.ContrastText, tooltip: tip, cssClass: "token-text");
            }
            w.EndGroup();
        }
        return w.ToString();
    }

    /// <summary>
    /// HTML fragment version (a &lt;div class="attnxai-highlight"&gt; to embed in a page, e.g. via <see cref="HtmlReport.Fragment"/>):
    /// one line per row, each token a &lt;span&gt; with an inline background colour and a title attribute holding the value.
    /// All text is escaped.
    /// </summary>
    public static string RenderHtml(IReadOnlyList<string> tokens, IReadOnlyList<HighlightRow> rows, HighlightOptions? options = null)
    {
        var o = Validate(tokens, rows, options);
        var sb = new StringBuilder();
        string fs = NumberFormat.Coord(o.FontSize);
        sb.Append("<div class=\"attnxai-highlight\" style=\"font-family:sans-serif;font-size:").Append(fs).Append("px;line-height:1.9\">\n");
        if (o.Title is not null) sb.Append("  <div style=\"font-weight:bold;margin-bottom:4px\">").Append(Markup.Escape(o.Title)).Append("</div>\n");
        foreach (var row in rows)
        {
            var scale = DivergingScale.ForData(row.Values);
            sb.Append("  <div class=\"highlight-row\" style=\"margin:6px 0\"><span style=\"display:inline-block;min-width:9em;font-weight:bold\">")
              .Append(Markup.Escape(row.Name)).Append("</span>");
            for (int i = 0; i < tokens.Count; i++)
            {
                var c = scale.Map(row.Values[i]);
                sb.Append(' ').Append("<span class=\"token\" style=\"background-color:").Append(c.Hex).Append(";color:").Append(c.ContrastText)
                  .Append(";padding:1px 3px;border-radius:3px\" title=\"").Append(Markup.Escape(row.Hovers?[i] ?? NumberFormat.Number(row.Values[i], o.Digits))).Append("\">")
                  .Append(Markup.Escape(tokens[i])).Append("</span>");
            }
            sb.Append("</div>\n");
        }
        sb.Append("</div>\n");
        return sb.ToString();
    }

    private static HighlightOptions Validate(IReadOnlyList<string> tokens, IReadOnlyList<HighlightRow> rows, HighlightOptions? options)
    {
        Guard.NotEmpty(tokens, nameof(tokens));
        Guard.NotEmpty(rows, nameof(rows));
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i] is null) throw new ArgumentNullException(nameof(tokens), $"tokens[{i}] is null.");
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r] ?? throw new ArgumentNullException(nameof(rows), $"rows[{r}] is null.");
            if (row.Name is null) throw new ArgumentNullException(nameof(rows), $"rows[{r}].Name is null.");
            Guard.AllFinite(row.Values, nameof(rows), label: $"rows[{r}].Values");
            if (row.Values.Count != tokens.Count)
                throw new ArgumentException($"rows[{r}] ('{row.Name}') has {row.Values.Count} values for {tokens.Count} tokens.", nameof(rows));
            if (row.Hovers is { } h && h.Count != tokens.Count)
                throw new ArgumentException($"rows[{r}] ('{row.Name}') has {h.Count} hover texts for {tokens.Count} tokens.", nameof(rows));
        }
        var o = options ?? new HighlightOptions();
        if (!double.IsFinite(o.Width) || o.Width < 100) throw new ArgumentException($"options.Width must be at least 100, got {o.Width}.", nameof(options));
        if (!double.IsFinite(o.FontSize) || o.FontSize < 4 || o.FontSize > 72) throw new ArgumentException($"options.FontSize must be in [4, 72], got {o.FontSize}.", nameof(options));
        if (o.Digits < 1 || o.Digits > 15) throw new ArgumentException($"options.Digits must be in [1, 15], got {o.Digits}.", nameof(options));
        return o;
    }
}
