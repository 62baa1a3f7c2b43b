using System.Globalization;
using System.Text;
using System.Text.Json;
using AttnXai.Common.IO;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Plot;

namespace AttnXai.Explain.Output;

/// <summary>The model's prediction for one explained document: its logits, the predicted class and that class's label.</summary>
public sealed record DocumentPrediction(double[] Logits, int Class, IReadOnlyList<string> Labels)
{
    public string Label => Labels[Class];

    /// <summary>"pos (logits neg -0.412, pos 0.377)".</summary>
    public string Describe() => $"{Label} (logits {string.Join(", ", Logits.Select((v, c) => $"{Labels[c]} {v.ToString("0.####", CultureInfo.InvariantCulture)}"))})";
}

/// <summary>
/// Writes an <see cref="ExplainRunResult"/> as explanations.json, tokens.csv, words.csv, agreement.csv and
/// explanations.html (each atomically). Numbers that are undefined (NaN, e.g. the correlation of a constant vector)
/// are written as JSON null and as empty CSV cells: no NaN appears in the output. The HTML is paged: up to
/// <see cref="PageSize"/> documents in explanations.html, otherwise explanations.html is an index (one row per
/// document with its prediction and a link) and the documents are on explanations-001.html, -002.html, ...
/// </summary>
public static class ExplanationWriters
{
    /// <summary>Documents per HTML page.</summary>
    public const int PageSize = 50;

    public const string CleaningNote =
        "Texts are cleaned as the paper's LIME experiments: every run of characters outside [A-Za-z0-9] becomes a space, " +
        "the text is lower-cased and truncated to the model's length minus one (255 words), so that LIME's words and the model's tokens coincide.";

    /// <summary>Writes all files into <paramref name="directory"/> and returns their paths. <paramref name="predictions"/>
    /// (one per document, or null) are shown on the page and written to the JSON.</summary>
    public static IReadOnlyList<string> WriteAll(string directory, ExplainRunResult run, IModelArchitecture config, IReadOnlyList<DocumentPrediction>? predictions = null)
    {
        if (predictions is not null && predictions.Count != run.Documents.Count)
            throw new ArgumentException($"{predictions.Count} predictions for {run.Documents.Count} documents");
        Directory.CreateDirectory(directory);
        var paths = new List<string>
        {
            Path.Combine(directory, "explanations.json"),
            Path.Combine(directory, "tokens.csv"),
            Path.Combine(directory, "words.csv"),
        };
        AtomicFile.WriteAllText(paths[0], Json(run, config, predictions));
        AtomicFile.WriteText(paths[1], w => TokensCsv(run, w));
        AtomicFile.WriteText(paths[2], w => WordsCsv(run, w));
        foreach (var (name, html) in HtmlPages(run, predictions))
        {
            var p = Path.Combine(directory, name);
            AtomicFile.WriteAllText(p, html);
            paths.Add(p);
        }
        if (run.Studies is not null)
        {
            var p = Path.Combine(directory, "agreement.csv");
            AtomicFile.WriteText(p, w =>
            {
                w.WriteLine(DocumentStudyResult.CsvHeader);
                for (int i = 0; i < run.Studies.Count; i++) foreach (var row in run.Studies[i].CsvRows(i)) w.WriteLine(row);
            });
            paths.Add(p);
        }
        return paths;
    }

    // ---- JSON ------------------------------------------------------------------------------------------------

    public static string Json(ExplainRunResult run, IModelArchitecture config, IReadOnlyList<DocumentPrediction>? predictions = null)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("tool", "attnxai explain");
            j.WriteString("cleaning", CleaningNote);
            j.WriteStartObject("model");
            j.WriteString("architecture", config.Architecture);
            foreach (var (key, value) in config.ToJson())
            {
                j.WritePropertyName(key);
                if (value is null) j.WriteNullValue();
                else value.WriteTo(j);
            }
            j.WriteString("explained_output", "raw logit of the explained class (the positive class)");
            j.WriteEndObject();
            Strings(j, "settings", run.Settings);
            j.WriteStartObject("methods");
            foreach (var ex in run.Explainers)
            {
                j.WriteStartObject(ex.Name);
                j.WriteBoolean("per_word", ex.PerWord);
                Strings(j, "settings", ex.Settings);
                j.WriteEndObject();
            }
            j.WriteEndObject();
            j.WriteStartArray("documents");
            for (int i = 0; i < run.Documents.Count; i++) Document(j, i, run, predictions?[i]);
            j.WriteEndArray();
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Document(Utf8JsonWriter j, int i, ExplainRunResult run, DocumentPrediction? prediction)
    {
        var d = run.Documents[i];
        j.WriteStartObject();
        j.WriteNumber("index", i);
        if (d.Label is not null) j.WriteString("label", d.Label);
        if (prediction is not null)
        {
            j.WriteStartObject("prediction");
            j.WriteNumber("class", prediction.Class);
            j.WriteString("label", prediction.Label);
            Numbers(j, "logits", prediction.Logits);
            j.WriteEndObject();
        }
        j.WriteString("text", d.Text);
        j.WriteBoolean("truncated", d.Truncated);
        j.WriteNumber("original_word_count", d.OriginalTokenCount);
        j.WriteNumber("unknown_count", d.UnknownCount);
        j.WriteStartArray("warnings"); foreach (var w in d.Warnings) j.WriteStringValue(w); j.WriteEndArray();
        j.WriteStartArray("tokens"); foreach (var t in d.Tokens) j.WriteStringValue(t); j.WriteEndArray();
        j.WriteStartArray("token_ids"); foreach (var t in d.TokenIds) j.WriteNumberValue(t); j.WriteEndArray();
        j.WriteStartArray("words"); foreach (var t in d.Words) j.WriteStringValue(t); j.WriteEndArray();
        j.WriteStartArray("word_of_token"); foreach (var t in d.WordOfToken) j.WriteNumberValue(t); j.WriteEndArray();
        j.WriteStartObject("methods");
        foreach (var x in run.Explanations[i])
        {
            j.WriteStartObject(x.Method);
            Numbers(j, "token_scores", x.TokenScores);
            Numbers(j, "word_scores", x.WordScores);
            j.WriteStartObject("diagnostics");
            foreach (var (k, v) in x.Diagnostics) Number(j, k, v);
            j.WriteEndObject();
            foreach (var (k, v) in x.Vectors) Numbers(j, k, v);
            j.WriteEndObject();
        }
        j.WriteEndObject();
        if (run.Studies is { } studies)
        {
            var s = studies[i];
            j.WriteStartObject("theory");
            Number(j, "output", s.Output);
            j.WriteStartObject("theorem_4_1_vs_autograd");
            var g = s.GradientAgreement;
            Number(j, "cls_max_abs_error", g.ClsMaxAbsError);
            Number(j, "cls_max_rel_error", g.ClsMaxRelError);
            Number(j, "words_max_abs_error", g.WordsMaxAbsError);
            Number(j, "words_max_rel_error", g.WordsMaxRelError);
            Number(j, "padding_max_abs_error", g.PaddingMaxAbsError);
            Number(j, "padding_max_rel_error", g.PaddingMaxRelError);
            Number(j, "authors_form_cls_max_rel_error", g.AuthorsClsMaxRelError);
            Number(j, "authors_form_other_rows_max_rel_error", g.AuthorsOtherMaxRelError);
            j.WriteEndObject();
            j.WriteStartObject("theorem_5_1");
            Number(j, "factor", s.Theorem51.Factor);
            Numbers(j, "word_scores", s.Theorem51.Words);
            Numbers(j, "occurrence_terms", s.Theorem51.Occurrences);
            j.WriteEndObject();
            j.WriteStartObject("lime");
            foreach (var l in s.Lime)
            {
                j.WriteStartObject(l.Removal.Name());
                j.WriteNumber("runs", l.Runs);
                j.WriteNumber("samples", l.Samples);
                Numbers(j, "mean", l.LimeMean);
                Numbers(j, "stddev", l.LimeStdDev);
                if (l.Limit is not null) { j.WriteNumber("limit_samples", l.LimitSamples); Numbers(j, "large_sample_limit", l.Limit); }
                Report(j, "mean_vs_theorem_5_1", l.MeanVsTheory);
                if (l.MeanVsLimit is not null) Report(j, "mean_vs_limit", l.MeanVsLimit);
                if (l.LimitVsTheory is not null) Report(j, "limit_vs_theorem_5_1", l.LimitVsTheory);
                j.WriteEndObject();
            }
            j.WriteEndObject();
            j.WriteEndObject();
        }
        j.WriteEndObject();
    }

    private static void Report(Utf8JsonWriter j, string name, AgreementReport r)
    {
        j.WriteStartObject(name);
        Number(j, "max_abs_error", r.MaxAbsError);
        Number(j, "max_rel_error", r.MaxRelativeError);
        Number(j, "l2_distance", r.L2Distance);
        Number(j, "relative_l2", r.RelativeL2);
        Number(j, "pearson", r.Pearson);
        Number(j, "spearman", r.Spearman);
        Number(j, "sign_agreement", r.SignAgreement);
        j.WriteNumber("top_k", r.TopK);
        Number(j, "top_k_overlap", r.TopKOverlap);
        j.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter j, string name, IReadOnlyDictionary<string, string> d)
    {
        j.WriteStartObject(name);
        foreach (var (k, v) in d) j.WriteString(k, v);
        j.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter j, string name, double v)
    {
        if (double.IsFinite(v)) j.WriteNumber(name, v); else j.WriteNull(name);
    }

    private static void Numbers(Utf8JsonWriter j, string name, IEnumerable<double> vs)
    {
        j.WriteStartArray(name);
        foreach (var v in vs) { if (double.IsFinite(v)) j.WriteNumberValue(v); else j.WriteNullValue(); }
        j.WriteEndArray();
    }

    // ---- CSV (tidy long format) ------------------------------------------------------------------------------

    /// <summary>doc,label,position,token,word_index,method,score (position 1 = the first word; [CLS] is 0).</summary>
    public static void TokensCsv(ExplainRunResult run, TextWriter w)
    {
        w.WriteLine("doc,label,position,token,word_index,method,score");
        for (int i = 0; i < run.Documents.Count; i++)
        {
            var d = run.Documents[i];
            string label = Csv.Quote(d.Label ?? "");
            foreach (var x in run.Explanations[i])
                for (int t = 0; t < d.TokenCount; t++)
                    w.WriteLine($"{i},{label},{t + 1},{Csv.Quote(d.Tokens[t])},{d.WordOfToken[t]},{Csv.Quote(x.Method)},{Csv.Num(x.TokenScores[t])}");
            if (run.Studies is { } s)
                for (int t = 0; t < d.TokenCount; t++)
                    w.WriteLine($"{i},{label},{t + 1},{Csv.Quote(d.Tokens[t])},{d.WordOfToken[t]},theorem-5.1-occurrence,{Csv.Num(s[i].Theorem51.Occurrences[t])}");
        }
    }

    /// <summary>doc,label,word_index,word,method,score; the theory adds "theorem-5.1" and "lime-limit-MODE".</summary>
    public static void WordsCsv(ExplainRunResult run, TextWriter w)
    {
        w.WriteLine("doc,label,word_index,word,method,score");
        for (int i = 0; i < run.Documents.Count; i++)
        {
            var d = run.Documents[i];
            string label = Csv.Quote(d.Label ?? "");
            void Rows(string method, double[] v)
            {
                for (int j = 0; j < d.WordCount; j++) w.WriteLine($"{i},{label},{j},{Csv.Quote(d.Words[j])},{Csv.Quote(method)},{Csv.Num(v[j])}");
            }
            foreach (var x in run.Explanations[i]) Rows(x.Method, x.WordScores);
            if (run.Studies is { } s)
            {
                Rows("theorem-5.1", s[i].Theorem51.Words);
                foreach (var l in s[i].Lime) if (l.Limit is not null) Rows("lime-limit-" + l.Removal.Name(), l.Limit);
            }
        }
    }

    // ---- HTML ------------------------------------------------------------------------------------------------

    private const string Legend = CleaningNote + " The explained quantity is the raw positive-class logit. Each row is scaled on its own: " +
                                  "green = positive, red = negative, intensity = |value| / max |value| in the row; hover a word for its value.";

    /// <summary>The page file of document <paramref name="index"/> when the documents do not fit on one page.</summary>
    public static string PageName(int index) => $"explanations-{index / PageSize + 1:D3}.html";

    /// <summary>
    /// The HTML pages (file name, content): explanations.html alone for up to <see cref="PageSize"/> documents, else
    /// an index and one page per <see cref="PageSize"/> documents.
    /// </summary>
    public static IReadOnlyList<(string Name, string Html)> HtmlPages(ExplainRunResult run, IReadOnlyList<DocumentPrediction>? predictions = null)
    {
        int n = run.Documents.Count;
        if (n <= PageSize) return [("explanations.html", Html(run, predictions, 0, n, null))];
        int pages = (n + PageSize - 1) / PageSize;
        var index = new HtmlReport("AttnXai explanations");
        index.Paragraph($"{n} documents on {pages} pages of {PageSize}. " + Legend);
        index.Settings(run.Settings.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)), "Settings");
        var rows = new System.Text.StringBuilder("<table><thead><tr><th>document</th><th>label</th><th>prediction</th><th>words</th><th>page</th></tr></thead><tbody>");
        for (int i = 0; i < n; i++)
        {
            var d = run.Documents[i];
            var page = PageName(i);
            rows.Append($"<tr><td>{i}</td><td>{Markup.Escape(d.Label ?? "")}</td><td>{Markup.Escape(predictions?[i].Describe() ?? "")}</td><td>{d.TokenCount}</td>" +
                        $"<td><a href=\"{page}#doc-{i}\">{page}</a></td></tr>");
        }
        rows.Append("</tbody></table>");
        index.Fragment(rows.ToString());
        var list = new List<(string, string)> { ("explanations.html", index.Build()) };
        for (int p = 0; p < pages; p++)
        {
            int start = p * PageSize, end = Math.Min(n, start + PageSize);
            list.Add((PageName(start), Html(run, predictions, start, end, $"Documents {start} to {end - 1} of {n} (page {p + 1} of {pages}; index: explanations.html)")));
        }
        return list;
    }

    /// <summary>
    /// One section per document of [start, end): the prediction, the words highlighted once per explainer (green
    /// positive, red negative, intensity |value| / max |value| of the row, the value on hover, as the paper's Figure 1),
    /// then the theory's numbers. All text is escaped.
    /// </summary>
    public static string Html(ExplainRunResult run, IReadOnlyList<DocumentPrediction>? predictions = null, int start = 0, int end = -1, string? pageNote = null)
    {
        if (end < 0) end = run.Documents.Count;
        var r = new HtmlReport("AttnXai explanations");
        if (pageNote is not null) r.Paragraph(pageNote);
        r.Paragraph(Legend);
        r.Settings(run.Settings.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)), "Settings");
        for (int i = start; i < end; i++)
        {
            var d = run.Documents[i];
            r.Fragment($"<a id=\"doc-{i}\"></a>");
            r.Heading($"Document {i}{(d.Label is null ? "" : $" ({d.Label})")}: {d.TokenCount} words, {d.WordCount} distinct", 2);
            if (predictions?[i] is { } pred) r.Paragraph($"The model predicts {pred.Describe()}.");
            foreach (var w in d.Warnings) r.Paragraph("Note: " + w + ".");
            var rows = run.Explanations[i].Select(x => new HighlightRow(x.Method, x.TokenScores)).ToList();
            if (run.Studies is { } s)
            {
                rows.Add(new HighlightRow("theorem-5.1", WordScores.Spread(s[i].Theorem51.Words, d.WordOfToken)));
                foreach (var l in s[i].Lime)
                    if (l.Limit is not null)
                        rows.Add(new HighlightRow("lime-limit-" + l.Removal.Name(), WordScores.Spread(l.Limit, d.WordOfToken)));
            }
            r.Fragment(HighlightedText.RenderHtml(d.Tokens, rows, new HighlightOptions { Digits = 4 }));
            if (run.Studies is { } st)
            {
                var g = st[i].GradientAgreement;
                r.Table(["Theorem 4.1 vs autograd", "max abs error", "max rel error"],
                [
                    ["[CLS] row (exact form)", g.ClsMaxAbsError, g.ClsMaxRelError],
                    ["word rows", g.WordsMaxAbsError, g.WordsMaxRelError],
                    ["padding rows", g.PaddingMaxAbsError, g.PaddingMaxRelError],
                    ["[CLS] row, authors' form", null, g.AuthorsClsMaxRelError],
                ], "Gradients: theory vs libtorch autograd", digits: 3);
                var lrows = new List<IReadOnlyList<object?>>();
                foreach (var l in st[i].Lime)
                {
                    string m = l.Removal.Name();
                    lrows.Add(Row($"LIME mean ({m}) vs Theorem 5.1", l.MeanVsTheory));
                    if (l.MeanVsLimit is not null) lrows.Add(Row($"LIME mean ({m}) vs limit", l.MeanVsLimit));
                    if (l.LimitVsTheory is not null) lrows.Add(Row($"limit ({m}) vs Theorem 5.1", l.LimitVsTheory));
                }
                if (lrows.Count > 0)
                    r.Table(["comparison", "max abs", "L2", "rel L2", "Pearson", "Spearman", "sign agreement", "top-k overlap"], lrows, "LIME vs theory", digits: 3);
            }
        }
        return r.Build();
    }

    private static IReadOnlyList<object?> Row(string name, AgreementReport a) =>
        [name, a.MaxAbsError, a.L2Distance, a.RelativeL2, Nullable(a.Pearson), Nullable(a.Spearman), a.SignAgreement, a.TopKOverlap];

    private static object? Nullable(double v) => double.IsFinite(v) ? v : "n/a";
}
