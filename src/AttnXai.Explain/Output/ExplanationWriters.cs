using System.Globalization;
using System.Text;
using System.Text.Json;
using AttnXai.Common.IO;
using AttnXai.Common.Sharding;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Plot;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

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
/// <para>The per-document outputs (the JSON's documents, the CSV rows) come first; the HTML pages are drawn from the
/// JSON alone. A shard of `explain --split` (documents from <c>firstIndex</c> on) writes its per-document outputs
/// without pages, and <see cref="Merge"/> joins the shards' into the unsharded run's files, byte for byte, then draws
/// the pages from the merged JSON by the same code.</para>
/// </summary>
public static class ExplanationWriters
{
    /// <summary>Documents per HTML page.</summary>
    public const int PageSize = 50;

    /// <summary>The run setting (and the methods' key in explanations.json) that flags methods zero by construction for
    /// the model: "METHOD: reason" lines.</summary>
    public const string ZeroKey = "zero_by_construction";

    /// <summary>Why <paramref name="method"/>'s scores are zero by construction in a run with these settings, or null.</summary>
    public static string? ZeroReason(IReadOnlyDictionary<string, string> settings, string method)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.TryGetValue(ZeroKey, out var lines)) return null;
        var prefix = method + ": ";
        return lines.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    public const string JsonFile = "explanations.json", TokensFile = "tokens.csv", WordsFile = "words.csv", AgreementFile = "agreement.csv";

    /// <summary>The study name of `explain --split` shards (shard.json).</summary>
    public const string Study = "explain";

    public const string CleaningNote =
        "Texts are cleaned as the paper's LIME experiments: every run of characters outside [A-Za-z0-9] becomes a space, " +
        "the text is lower-cased and truncated to the model's length minus one (255 words), so that LIME's words and the model's tokens coincide.";

    /// <summary>How the texts of a pretrained (WordPiece) model are read.</summary>
    public const string WordPieceNote =
        "Texts go through the model's own WordPiece tokenizer (Hugging Face's ids): a word is what its basic split gives (whitespace and " +
        "punctuation, lower-cased and accents stripped when the model is uncased), each word one or more WordPieces; [CLS] first, [SEP] last, " +
        "truncated to the model's length. Perturbation methods remove words (all their WordPieces); token methods score WordPieces, summed " +
        "(or as --aggregation says) into word scores. Pages highlight words; hover a word for its score and its WordPieces' scores.";

    /// <summary>The note that says how the run's texts became tokens.</summary>
    public static string TextNote(ExplainRunResult run) => run.Documents.Any(d => d.ModelTokenized) ? WordPieceNote : CleaningNote;

    /// <summary>Writes all files into <paramref name="directory"/> and returns their paths. <paramref name="predictions"/>
    /// (one per document, or null) are shown on the page and written to the JSON. The documents are numbered from
    /// <paramref name="firstIndex"/> (a shard's first document in the whole run); <paramref name="pages"/> false leaves
    /// out the HTML (a shard's pages are drawn by the merge).</summary>
    public static IReadOnlyList<string> WriteAll(string directory, ExplainRunResult run, IModelArchitecture config, IReadOnlyList<DocumentPrediction>? predictions = null,
        int firstIndex = 0, bool pages = true)
    {
        if (predictions is not null && predictions.Count != run.Documents.Count)
            throw new ArgumentException($"{predictions.Count} predictions for {run.Documents.Count} documents");
        Directory.CreateDirectory(directory);
        var paths = new List<string>
        {
            Path.Combine(directory, JsonFile),
            Path.Combine(directory, TokensFile),
            Path.Combine(directory, WordsFile),
        };
        var json = Json(run, config, predictions, firstIndex);
        AtomicFile.WriteAllText(paths[0], json);
        AtomicFile.WriteText(paths[1], w => TokensCsv(run, w, firstIndex));
        AtomicFile.WriteText(paths[2], w => WordsCsv(run, w, firstIndex));
        if (pages) paths.AddRange(WritePages(directory, json));
        if (run.Studies is not null)
        {
            var p = Path.Combine(directory, AgreementFile);
            AtomicFile.WriteText(p, w =>
            {
                w.WriteLine(DocumentStudyResult.CsvHeader);
                for (int i = 0; i < run.Studies.Count; i++) foreach (var row in run.Studies[i].CsvRows(firstIndex + i)) w.WriteLine(row);
            });
            paths.Add(p);
        }
        return paths;
    }

    /// <summary>Writes the HTML pages drawn from explanations.json's text; returns their paths.</summary>
    private static List<string> WritePages(string directory, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var paths = new List<string>();
        foreach (var (name, html) in HtmlPages(doc.RootElement))
        {
            var p = Path.Combine(directory, name);
            AtomicFile.WriteAllText(p, html);
            paths.Add(p);
        }
        return paths;
    }

    /// <summary>
    /// `attnxai merge` of `explain --split` shards: explanations.json with every shard's documents in order (the rest
    /// of it as the first shard wrote it), tokens.csv, words.csv and agreement.csv concatenated (byte for byte the
    /// unsharded run's), then the HTML pages drawn from the merged JSON. Returns the written paths and the number of documents.
    /// </summary>
    public static (IReadOnlyList<string> Paths, int Documents) Merge(ShardSet set, string directory)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Run.Study != Study) throw new ArgumentException($"the parts are shards of {set.Run.Study}, not of {Study}");
        Directory.CreateDirectory(directory);
        var parts = set.Parts.Select(p => JsonDocument.Parse(File.ReadAllBytes(ShardSet.PartFile(p, JsonFile)))).ToList();
        try
        {
            int documents = 0;
            using var ms = new MemoryStream();
            using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            {
                j.WriteStartObject();
                foreach (var property in parts[0].RootElement.EnumerateObject())
                {
                    if (property.Name != "documents") { property.WriteTo(j); continue; }
                    j.WriteStartArray("documents");
                    foreach (var part in parts)
                        foreach (var d in part.RootElement.GetProperty("documents").EnumerateArray())
                        {
                            if (d.GetProperty("index").GetInt32() != documents)
                                throw new InvalidDataException($"{JsonFile} of shard {set.Parts[parts.IndexOf(part)].Manifest.Spec}: document {d.GetProperty("index").GetInt32()} where {documents} was expected");
                            d.WriteTo(j);
                            documents++;
                        }
                    j.WriteEndArray();
                }
                j.WriteEndObject();
            }
            if (documents != set.Run.Documents) throw new InvalidDataException($"the shards hold {documents} documents, their manifests {set.Run.Documents}");
            var json = Encoding.UTF8.GetString(ms.ToArray());
            var paths = new List<string> { Path.Combine(directory, JsonFile), Path.Combine(directory, TokensFile), Path.Combine(directory, WordsFile) };
            AtomicFile.WriteAllText(paths[0], json);
            set.ConcatenateCsv(TokensFile, paths[1]);
            set.ConcatenateCsv(WordsFile, paths[2]);
            paths.AddRange(WritePages(directory, json));
            if (set.Run.Files.Contains(AgreementFile))
            {
                paths.Add(Path.Combine(directory, AgreementFile));
                set.ConcatenateCsv(AgreementFile, paths[^1]);
            }
            return (paths, documents);
        }
        finally { foreach (var p in parts) p.Dispose(); }
    }

    // ---- JSON ------------------------------------------------------------------------------------------------

    public static string Json(ExplainRunResult run, IModelArchitecture config, IReadOnlyList<DocumentPrediction>? predictions = null, int firstIndex = 0)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("tool", "attnxai explain");
            j.WriteString("cleaning", TextNote(run));
            j.WriteStartObject("model");
            j.WriteString("architecture", config.Architecture);
            foreach (var (key, value) in config.ToJson())
            {
                j.WritePropertyName(key);
                if (value is null) j.WriteNullValue();
                else value.WriteTo(j);
            }
            j.WriteString("explained_output", run.Settings.TryGetValue("target", out var target)
                ? $"raw logit of the explained class (--target: {target})" : "raw logit of the explained class (the positive class)");
            j.WriteEndObject();
            Strings(j, "settings", run.Settings);
            j.WriteStartObject("methods");
            foreach (var ex in run.Explainers)
            {
                j.WriteStartObject(ex.Name);
                j.WriteBoolean("per_word", ex.PerWord);
                if (ZeroReason(run.Settings, ex.Name) is { } reason) j.WriteString(ZeroKey, reason);
                // The settings as used (a default the model resolves, such as the word aggregation, resolved).
                var used = run.Explanations.Count > 0 ? run.Explanations[0].FirstOrDefault(x => x.Method == ex.Name)?.Settings : null;
                Strings(j, "settings", used ?? ex.Settings);
                j.WriteEndObject();
            }
            j.WriteEndObject();
            if (predictions is { Count: > 0 })
            {
                j.WriteStartArray("class_labels");
                foreach (var label in predictions[0].Labels) j.WriteStringValue(label);
                j.WriteEndArray();
            }
            j.WriteStartArray("documents");
            for (int i = 0; i < run.Documents.Count; i++) Document(j, i, firstIndex + i, run, predictions?[i]);
            j.WriteEndArray();
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Document(Utf8JsonWriter j, int i, int index, ExplainRunResult run, DocumentPrediction? prediction)
    {
        var d = run.Documents[i];
        j.WriteStartObject();
        j.WriteNumber("index", index);
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
        if (d.ModelTokenized)
        {
            // The words in order of occurrence (what the pages highlight) and each token's occurrence.
            j.WriteStartArray("occurrences"); foreach (var t in d.Occurrences) j.WriteStringValue(t); j.WriteEndArray();
            j.WriteStartArray("occurrence_of_token"); foreach (var t in d.OccurrenceOfToken) j.WriteNumberValue(t); j.WriteEndArray();
        }
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
    public static void TokensCsv(ExplainRunResult run, TextWriter w, int firstIndex = 0)
    {
        w.WriteLine("doc,label,position,token,word_index,method,score");
        for (int i = 0; i < run.Documents.Count; i++)
        {
            var d = run.Documents[i];
            string label = Csv.Quote(d.Label ?? "");
            int index = firstIndex + i;
            foreach (var x in run.Explanations[i])
                for (int t = 0; t < d.TokenCount; t++)
                    w.WriteLine($"{index},{label},{t + 1},{Csv.Quote(d.Tokens[t])},{d.WordOfToken[t]},{Csv.Quote(x.Method)},{Csv.Num(x.TokenScores[t])}");
            if (run.Studies is { } s)
                for (int t = 0; t < d.TokenCount; t++)
                    w.WriteLine($"{index},{label},{t + 1},{Csv.Quote(d.Tokens[t])},{d.WordOfToken[t]},theorem-5.1-occurrence,{Csv.Num(s[i].Theorem51.Occurrences[t])}");
        }
    }

    /// <summary>doc,label,word_index,word,method,score; the theory adds "theorem-5.1" and "lime-limit-MODE".</summary>
    public static void WordsCsv(ExplainRunResult run, TextWriter w, int firstIndex = 0)
    {
        w.WriteLine("doc,label,word_index,word,method,score");
        for (int i = 0; i < run.Documents.Count; i++)
        {
            var d = run.Documents[i];
            string label = Csv.Quote(d.Label ?? "");
            int index = firstIndex + i;
            void Rows(string method, double[] v)
            {
                for (int j = 0; j < d.WordCount; j++) w.WriteLine($"{index},{label},{j},{Csv.Quote(d.Words[j])},{Csv.Quote(method)},{Csv.Num(v[j])}");
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

    private static string Legend(string note, string? target) => note + (target is null ? " The explained quantity is the raw positive-class logit." : $" The explained quantity is the raw logit of the class --target named: {target}.") + " Each row is scaled on its own: " +
                                  "green = positive, red = negative, intensity = |value| / max |value| in the row; hover a word for its value.";

    /// <summary>The page file of document <paramref name="index"/> when the documents do not fit on one page.</summary>
    public static string PageName(int index) => $"explanations-{index / PageSize + 1:D3}.html";

    /// <summary>
    /// The HTML pages (file name, content) of an explanations.json (its root element): explanations.html alone for up to
    /// <see cref="PageSize"/> documents, else an index and one page per <see cref="PageSize"/> documents.
    /// </summary>
    public static IReadOnlyList<(string Name, string Html)> HtmlPages(JsonElement root)
    {
        var settings = root.GetProperty("settings").EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Value.GetString())).ToList();
        string[]? classLabels = root.TryGetProperty("class_labels", out var cl) ? cl.EnumerateArray().Select(x => x.GetString()!).ToArray() : null;
        var docs = root.GetProperty("documents").EnumerateArray().Select(d => PageDocument.Read(d, classLabels)).ToList();
        var Legend = ExplanationWriters.Legend(root.TryGetProperty("cleaning", out var note) ? note.GetString() ?? CleaningNote : CleaningNote,
            settings.FirstOrDefault(kv => kv.Key == "target").Value as string);
        int n = docs.Count;
        if (n <= PageSize) return [("explanations.html", Html(docs, settings, 0, n, null, Legend))];
        int pages = (n + PageSize - 1) / PageSize;
        var index = new HtmlReport("AttnXai explanations");
        index.Paragraph($"{n} documents on {pages} pages of {PageSize}. " + Legend);
        index.Settings(settings, "Settings");
        var rows = new System.Text.StringBuilder("<table><thead><tr><th>document</th><th>label</th><th>prediction</th><th>words</th><th>page</th></tr></thead><tbody>");
        for (int i = 0; i < n; i++)
        {
            var d = docs[i];
            var page = PageName(i);
            rows.Append($"<tr><td>{d.Index}</td><td>{Markup.Escape(d.Label ?? "")}</td><td>{Markup.Escape(d.Prediction ?? "")}</td><td>{d.Tokens.Length}</td>" +
                        $"<td><a href=\"{page}#doc-{d.Index}\">{page}</a></td></tr>");
        }
        rows.Append("</tbody></table>");
        index.Fragment(rows.ToString());
        var list = new List<(string, string)> { ("explanations.html", index.Build()) };
        for (int p = 0; p < pages; p++)
        {
            int start = p * PageSize, end = Math.Min(n, start + PageSize);
            list.Add((PageName(start), Html(docs, settings, start, end, $"Documents {start} to {end - 1} of {n} (page {p + 1} of {pages}; index: explanations.html)", Legend)));
        }
        return list;
    }

    /// <summary>
    /// One section per document of [start, end): the prediction, the words highlighted once per explainer (green
    /// positive, red negative, intensity |value| / max |value| of the row, the value on hover, as the paper's Figure 1),
    /// then the theory's numbers. All text is escaped.
    /// </summary>
    private static string Html(IReadOnlyList<PageDocument> docs, IReadOnlyList<KeyValuePair<string, object?>> settings, int start, int end, string? pageNote, string Legend)
    {
        var r = new HtmlReport("AttnXai explanations");
        if (pageNote is not null) r.Paragraph(pageNote);
        r.Paragraph(Legend);
        r.Settings(settings, "Settings");
        for (int i = start; i < end; i++)
        {
            var d = docs[i];
            r.Fragment($"<a id=\"doc-{d.Index}\"></a>");
            r.Heading($"Document {d.Index}{(d.Label is null ? "" : $" ({d.Label})")}: {d.Tokens.Length} words, {d.WordCount} distinct", 2);
            if (d.Prediction is { } pred) r.Paragraph($"The model predicts {pred}.");
            foreach (var w in d.Warnings) r.Paragraph("Note: " + w + ".");
            r.Fragment(HighlightedText.RenderHtml(d.Tokens, d.Rows, new HighlightOptions { Digits = 4 }));
            if (d.Theory is { } theory)
            {
                var g = theory.GetProperty("theorem_4_1_vs_autograd");
                r.Table(["Theorem 4.1 vs autograd", "max abs error", "max rel error"],
                [
                    ["[CLS] row (exact form)", Number(g, "cls_max_abs_error"), Number(g, "cls_max_rel_error")],
                    ["word rows", Number(g, "words_max_abs_error"), Number(g, "words_max_rel_error")],
                    ["padding rows", Number(g, "padding_max_abs_error"), Number(g, "padding_max_rel_error")],
                    ["[CLS] row, authors' form", null, Number(g, "authors_form_cls_max_rel_error")],
                ], "Gradients: theory vs libtorch autograd", digits: 3);
                var lrows = new List<IReadOnlyList<object?>>();
                foreach (var l in theory.GetProperty("lime").EnumerateObject())
                {
                    string m = l.Name;
                    lrows.Add(Row($"LIME mean ({m}) vs Theorem 5.1", l.Value.GetProperty("mean_vs_theorem_5_1")));
                    if (l.Value.TryGetProperty("mean_vs_limit", out var ml)) lrows.Add(Row($"LIME mean ({m}) vs limit", ml));
                    if (l.Value.TryGetProperty("limit_vs_theorem_5_1", out var lt)) lrows.Add(Row($"limit ({m}) vs Theorem 5.1", lt));
                }
                if (lrows.Count > 0)
                    r.Table(["comparison", "max abs", "L2", "rel L2", "Pearson", "Spearman", "sign agreement", "top-k overlap"], lrows, "LIME vs theory", digits: 3);
            }
        }
        return r.Build();
    }

    private static IReadOnlyList<object?> Row(string name, JsonElement a) =>
        [name, Number(a, "max_abs_error"), Number(a, "l2_distance"), Number(a, "relative_l2"), Nullable(Number(a, "pearson")), Nullable(Number(a, "spearman")),
         Number(a, "sign_agreement"), Number(a, "top_k_overlap")];

    private static object? Nullable(double v) => double.IsFinite(v) ? v : "n/a";

    /// <summary>A number of the JSON (null, written for an undefined value, is NaN).</summary>
    private static double Number(JsonElement e, string name) => Value(e.GetProperty(name));

    private static double Value(JsonElement v) => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();

    private static double[] Numbers(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(Value).ToArray();

    /// <summary>A document of explanations.json as the pages show it: its words, prediction, one highlighted row per
    /// method (then Theorem 5.1 and the large-sample limits, spread over the tokens) and its theory numbers.</summary>
    private sealed record PageDocument(int Index, string? Label, string[] Tokens, int WordCount, string[] Warnings, string? Prediction,
        List<HighlightRow> Rows, JsonElement? Theory)
    {
        private static string? PredictionOf(JsonElement d, string[]? classLabels)
        {
            if (!d.TryGetProperty("prediction", out var p)) return null;
            var logits = Numbers(p, "logits");
            int c = p.GetProperty("class").GetInt32();
            return new DocumentPrediction(logits, c, classLabels ?? logits.Select((_, k) => k == c ? p.GetProperty("label").GetString()! : k.ToString(CultureInfo.InvariantCulture)).ToArray()).Describe();
        }

        public static PageDocument Read(JsonElement d, string[]? classLabels)
        {
            string[] Strings(string name) => d.GetProperty(name).EnumerateArray().Select(x => x.GetString()!).ToArray();
            var wordOfToken = d.GetProperty("word_of_token").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            string? prediction = PredictionOf(d, classLabels);
            var rows = d.GetProperty("methods").EnumerateObject().Select(m => new HighlightRow(m.Name, Numbers(m.Value, "token_scores"))).ToList();
            if (d.TryGetProperty("occurrences", out var occ))
            {
                // A model-tokenized document: one span per word occurrence, valued by its word's score, with the word's
                // score and its WordPieces' scores on hover.
                var occurrences = occ.EnumerateArray().Select(x => x.GetString()!).ToArray();
                var occurrenceOfToken = d.GetProperty("occurrence_of_token").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var tokens = Strings("tokens");
                var wordOfOccurrence = new int[occurrences.Length];
                for (int k = 0; k < tokens.Length; k++) wordOfOccurrence[occurrenceOfToken[k]] = wordOfToken[k];
                var words = d.GetProperty("methods").EnumerateObject().Select(m =>
                {
                    var w = Numbers(m.Value, "word_scores");
                    var tok = Numbers(m.Value, "token_scores");
                    var hovers = Enumerable.Range(0, occurrences.Length).Select(o =>
                        NumberFormat.Number(w[wordOfOccurrence[o]], 4) + " (word); " + string.Join(", ",
                            Enumerable.Range(0, tokens.Length).Where(k => occurrenceOfToken[k] == o).Select(k => $"{tokens[k]} {NumberFormat.Number(tok[k], 4)}"))).ToArray();
                    return new HighlightRow(m.Name, WordScores.Spread(w, wordOfOccurrence)) { Hovers = hovers };
                }).ToList();
                return new PageDocument(d.GetProperty("index").GetInt32(), d.TryGetProperty("label", out var l0) ? l0.GetString() : null, occurrences,
                    d.GetProperty("words").GetArrayLength(), Strings("warnings"), PredictionOf(d, classLabels), words, null);
            }
            JsonElement? theory = null;
            if (d.TryGetProperty("theory", out var t))
            {
                theory = t;
                rows.Add(new HighlightRow("theorem-5.1", WordScores.Spread(Numbers(t.GetProperty("theorem_5_1"), "word_scores"), wordOfToken)));
                foreach (var l in t.GetProperty("lime").EnumerateObject())
                    if (l.Value.TryGetProperty("large_sample_limit", out _))
                        rows.Add(new HighlightRow("lime-limit-" + l.Name, WordScores.Spread(Numbers(l.Value, "large_sample_limit"), wordOfToken)));
            }
            return new PageDocument(d.GetProperty("index").GetInt32(), d.TryGetProperty("label", out var label) ? label.GetString() : null, Strings("tokens"),
                d.GetProperty("words").GetArrayLength(), Strings("warnings"), prediction, rows, theory);
        }
    }
}
