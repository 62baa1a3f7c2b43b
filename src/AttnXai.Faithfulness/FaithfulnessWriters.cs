using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Plot;

namespace AttnXai.Faithfulness;

/// <summary>
/// The outputs of a test: per-instance CSV (the per-document rows: a document's instances together, in document
/// order), and drawn from its counts the summary CSV, summary.json, a grouped bar chart and an HTML report, each
/// written atomically (temporary name, then rename).
/// </summary>
public static class FaithfulnessWriters
{
    public const string DocumentsFile = "faithfulness_documents.csv";
    public const string SummaryCsvFile = "faithfulness_summary.csv";
    public const string SummaryJsonFile = "summary.json";
    public const string ChartFile = "violation_ratios.svg";
    public const string ReportFile = "report.html";
    public const string ErasureDocumentsFile = "erasure_documents.csv";
    public const string ErasureSummaryFile = "erasure_summary.csv";
    public const string ErasureChartFile = "erasure_aopc.svg";

    /// <summary>How to read the erasure curves (also in summary.json and the report).</summary>
    public static readonly IReadOnlyList<string> ErasureNotes =
    [
        "Erasure curves (ERASER, DeYoung et al. 2020, as ferret reports them): per document and method, the tokens ranked by score (signed scores turned towards the predicted class y^), the top k = max(1, ceil(q T)) of T tokens for q = 1, 5, 10, 20, 50 %; comprehensiveness = p(y^|x) - p(y^|x without them) (higher: the method found tokens the prediction needs), sufficiency = p(y^|x) - p(y^|only them) (lower: they suffice); AOPC = the mean over the five fractions.",
        "f is the softmax probability of the class predicted on the full document; tokens (not distinct words) are ranked and removed; ties go to the earlier token.",
    ];

    /// <summary>What a reader must know to interpret the numbers (also in summary.json and the report).</summary>
    public static readonly IReadOnlyList<string> Notes =
    [
        "Test of Liu et al. (ICML 2022): per document and method, the distinct word with the largest |w| (ties: first in the text) is removed, all its occurrences; dC = p(y^|x) - p(y^|x without it), y^ the model's predicted class on x and p the softmax of its two logits; a violation is w * dC < 0.",
        "The explainers explain the positive-class logit, so signed scores are oriented towards the predicted class: w if y^ = positive, -w if y^ = negative.",
        "Unsigned methods (alpha-avg, alpha-max, rollout, grad-rollout, G-l1, G-l2) keep their non-negative scores: they cannot express polarity, so every removal that raises p(y^) counts as a violation. That is what the test exposes, not a bug.",
        "w * dC == 0 (a zero score or an unchanged probability) is counted as undecided, not as a violation; ratio = violations / n with undecided instances in n.",
        "Removals: delete = the word's occurrences deleted and the shorter text re-encoded (later words shift left); zero = the word embedding W_e[x_t] of its positions set to zero, the position encoding kept (e_t = PE(t)); attention = its positions excluded from every head's [CLS] softmax, which renormalises over the rest (padding included, as the paper's model has no padding mask).",
        "The mean row pools a method's removals (its ratio is the mean of the removals' ratios); its Wilson interval treats the pooled instances as independent, which they are not (the same documents), so it is too narrow.",
        "Per-token methods give one score per word by the registry's default, the value of its last occurrence (as the authors do); random = seeded N(0, 1) scores per word.",
    ];

    /// <summary>Writes every output of a run: its per-document rows (violation instances and erasure curves), then the
    /// summaries drawn from them (<see cref="WriteSummaries"/>).</summary>
    public static IReadOnlyList<string> WriteAll(string directory, ViolationTestResult result, IReadOnlyList<ErasureCurve> erasure, JsonObject settings, double wallSeconds)
    {
        ArgumentNullException.ThrowIfNull(erasure);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var documents = Path.Combine(directory, DocumentsFile);
        DocumentsCsv(result).Write(documents);
        var erasureDocuments = Path.Combine(directory, ErasureDocumentsFile);
        ErasureDocumentsCsv(erasure).Write(erasureDocuments);
        return [documents, erasureDocuments, .. WriteSummaries(directory, ViolationSummary.Of(result), Erasure.Summarise(erasure), settings, wallSeconds)];
    }

    /// <summary>The summary CSVs, summary.json, the charts and the report, drawn from a run's summaries (an unsharded
    /// run's, or ones computed from the merged per-document rows of its shards).</summary>
    public static IReadOnlyList<string> WriteSummaries(string directory, ViolationSummary summary, IReadOnlyList<ErasureSummaryRow> erasure, JsonObject settings, double wallSeconds)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(erasure);
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        string P(string f) { var p = Path.Combine(directory, f); paths.Add(p); return p; }
        SummaryCsv(summary.Rows).Write(P(SummaryCsvFile));
        AtomicFile.WriteAllText(P(SummaryJsonFile), Json(summary, erasure, settings, wallSeconds).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        var svg = Chart(summary);
        AtomicFile.WriteAllText(P(ChartFile), svg);
        ErasureSummaryCsv(erasure).Write(P(ErasureSummaryFile));
        var erasureSvg = ErasureChart(erasure, summary.Methods, summary.Documents);
        AtomicFile.WriteAllText(P(ErasureChartFile), erasureSvg);
        AtomicFile.WriteAllText(P(ReportFile), Report(summary, erasure, settings, svg, erasureSvg, wallSeconds));
        return paths;
    }

    public static string ClassName(int c) => c == 1 ? "pos" : "neg";

    public static readonly string[] DocumentsHeader =
        ["doc", "label", "predicted", "method", "signed", "removal", "top_word", "positions", "w", "w_oriented", "p_before", "p_after", "dC", "outcome"];

    public static CsvTable DocumentsCsv(ViolationTestResult result) => DocumentsCsv(result.Instances);

    /// <summary>One row per instance, in the instances' order (document, method, removal).</summary>
    public static CsvTable DocumentsCsv(IEnumerable<InstanceResult> instances)
    {
        var t = new CsvTable(DocumentsHeader);
        foreach (var x in instances)
            t.Add(x.Document, x.TrueLabel is int l ? ClassName(l) : "", ClassName(x.Predicted), x.Method, x.Signed ? "yes" : "no", FeatureRemovals.Name(x.Removal),
                x.TopWord, string.Join(';', x.Positions), x.Score, x.OrientedScore, x.PBefore, x.PAfter, x.Change, Violation.Name(x.Outcome));
        return t;
    }

    /// <summary>The instances of a faithfulness_documents.csv (as <see cref="DocumentsCsv(IEnumerable{InstanceResult})"/> writes them).</summary>
    public static List<InstanceResult> ReadDocuments(string path)
    {
        var (header, rows) = Csv.Parse(File.ReadAllText(path));
        if (!header.SequenceEqual(DocumentsHeader)) throw new InvalidDataException($"{path}: not a faithfulness_documents.csv (header {string.Join(",", header)})");
        int line = 1;
        return rows.Select(r =>
        {
            line++;
            try
            {
                if (r.Length != DocumentsHeader.Length) throw new FormatException($"{r.Length} cells");
                return new InstanceResult(r[0], r[1] == "" ? null : Class(r[1]), Class(r[2]), r[3], r[4] == "yes", FeatureRemovals.Parse(r[5]), r[6],
                    r[7] == "" ? [] : r[7].Split(';').Select(int.Parse).ToArray(), Csv.D(r[8]), Csv.D(r[9]), Csv.D(r[10]), Csv.D(r[11]), Csv.D(r[12]), Violation.Parse(r[13]));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"{path}: row {line}: {e.Message}", e);
            }
        }).ToList();
    }

    /// <summary>A class as <see cref="ClassName"/> writes it.</summary>
    private static int Class(string c) => c == "pos" ? 1 : c == "neg" ? 0 : throw new FormatException($"class '{c}'");

    public static CsvTable SummaryCsv(IReadOnlyList<SummaryRow> rows)
    {
        var t = new CsvTable("method", "signed", "removal", "n", "violations", "undecided", "ratio", "wilson_low", "wilson_high");
        foreach (var r in rows)
            t.Add(r.Method, r.Signed ? "yes" : "no", r.Removal, r.N, r.Violations, r.Undecided, Csv.Num(r.Ratio), Csv.Num(r.WilsonLow), Csv.Num(r.WilsonHigh));
        return t;
    }

    public static readonly string[] ErasureDocumentsHeader =
        ["doc", "label", "predicted", "method", "signed", "tokens", "fraction", "k", "p_full", "p_without_top", "p_only_top",
         "comprehensiveness", "sufficiency", "aopc_comprehensiveness", "aopc_sufficiency"];

    /// <summary>One row per document x method x fraction, in the curves' order (document, method; the document's AOPCs
    /// repeated on its rows).</summary>
    public static CsvTable ErasureDocumentsCsv(IReadOnlyList<ErasureCurve> curves)
    {
        var t = new CsvTable(ErasureDocumentsHeader);
        foreach (var c in curves)
            foreach (var p in c.Points)
                t.Add(c.Document, c.TrueLabel is int l ? ClassName(l) : "", ClassName(c.Predicted), c.Method, c.Signed ? "yes" : "no", c.Tokens,
                    Csv.Num(p.Fraction), p.K, Csv.Num(c.PFull), Csv.Num(p.PWithout), Csv.Num(p.POnly), Csv.Num(p.Comprehensiveness), Csv.Num(p.Sufficiency),
                    Csv.Num(c.AopcComprehensiveness), Csv.Num(c.AopcSufficiency));
        return t;
    }

    /// <summary>The curves of an erasure_documents.csv (as <see cref="ErasureDocumentsCsv"/> writes them: a curve's
    /// rows consecutive), every number read back exactly.</summary>
    public static List<ErasureCurve> ReadErasureDocuments(string path)
    {
        var (header, rows) = Csv.Parse(File.ReadAllText(path));
        if (!header.SequenceEqual(ErasureDocumentsHeader)) throw new InvalidDataException($"{path}: not an erasure_documents.csv (header {string.Join(",", header)})");
        var inv = CultureInfo.InvariantCulture;
        int line = 1;
        var parsed = rows.Select(r =>
        {
            line++;
            try
            {
                if (r.Length != ErasureDocumentsHeader.Length) throw new FormatException($"{r.Length} cells");
                var curve = new ErasureCurve(r[0], r[1] == "" ? null : Class(r[1]), Class(r[2]), r[3], r[4] == "yes", int.Parse(r[5], inv), Csv.D(r[8]), [], Csv.D(r[13]), Csv.D(r[14]));
                return (Curve: curve, Point: new ErasurePoint(Csv.D(r[6]), int.Parse(r[7], inv), Csv.D(r[9]), Csv.D(r[10]), Csv.D(r[11]), Csv.D(r[12])));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"{path}: row {line}: {e.Message}", e);
            }
        }).ToList();
        var curves = new List<ErasureCurve>();
        for (int i = 0, j; i < parsed.Count; i = j)
        {
            var c = parsed[i].Curve;
            for (j = i + 1; j < parsed.Count && parsed[j].Curve.Document == c.Document && parsed[j].Curve.Method == c.Method; j++) { }
            curves.Add(c with { Points = [.. parsed.Skip(i).Take(j - i).Select(x => x.Point)] });
        }
        return curves;
    }

    public static CsvTable ErasureSummaryCsv(IReadOnlyList<ErasureSummaryRow> rows)
    {
        var t = new CsvTable("method", "signed", "measure", "fraction", "n", "mean", "standard_error", "median");
        foreach (var r in rows) t.Add(r.Method, r.Signed ? "yes" : "no", r.Measure, r.Fraction, r.N, Csv.Num(r.Mean), Csv.Num(r.StandardError), Csv.Num(r.Median));
        return t;
    }

    /// <summary>AOPC of comprehensiveness and of sufficiency per method, with +-1.96 standard errors.</summary>
    public static string ErasureChart(IReadOnlyList<ErasureSummaryRow> summary, IReadOnlyList<string> methods, int documents)
    {
        var series = new List<BarSeries>();
        foreach (var measure in new[] { "comprehensiveness", "sufficiency" })
        {
            var rows = methods.Select(m => summary.Single(r => r.Method == m && r.Measure == measure && r.Fraction == "aopc")).ToArray();
            series.Add(new BarSeries($"AOPC {measure}", rows.Select(r => r.Mean).ToArray(),
                rows.Select(r => double.IsFinite(r.StandardError) ? (r.Mean - 1.96 * r.StandardError, r.Mean + 1.96 * r.StandardError) : (r.Mean, r.Mean)).ToArray()));
        }
        return BarChart.Render(methods, series, new BarChartOptions
        {
            Title = $"Erasure curves: AOPC over 1-50 % of the tokens ({documents} documents; bars: +-1.96 standard errors)",
            YLabel = "p(y^|x) - p(y^|perturbed)",
            ReferenceValue = 0,
            Width = Math.Max(720, 70 * methods.Count + 120),
            Height = 440,
        });
    }

    public static JsonObject Json(ViolationSummary result, IReadOnlyList<ErasureSummaryRow> erasure, JsonObject settings, double wallSeconds)
    {
        var summary = new JsonArray();
        foreach (var r in result.Rows)
            summary.Add(new JsonObject
            {
                ["method"] = r.Method, ["signed"] = r.Signed, ["removal"] = r.Removal, ["n"] = r.N, ["violations"] = r.Violations,
                ["undecided"] = r.Undecided, ["ratio"] = Finite(r.Ratio), ["wilson_low"] = Finite(r.WilsonLow), ["wilson_high"] = Finite(r.WilsonHigh),
            });
        var seconds = new JsonObject();
        foreach (var (k, v) in result.Seconds) seconds[k] = Math.Round(v, 3);
        return new JsonObject
        {
            ["test"] = "faithfulness violation test (Liu et al., ICML 2022)",
            ["settings"] = settings.DeepClone(),
            ["unsigned_methods"] = new JsonArray(result.Methods.Where(m => !Violation.IsSigned(m)).Select(m => (JsonNode)m).ToArray()),
            ["notes"] = new JsonArray(Notes.Select(n => (JsonNode)n).ToArray()),
            ["summary"] = summary,
            ["erasure_notes"] = new JsonArray(ErasureNotes.Select(n => (JsonNode)n).ToArray()),
            ["erasure_summary"] = new JsonArray(erasure.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method, ["measure"] = r.Measure, ["fraction"] = r.Fraction, ["n"] = r.N,
                ["mean"] = Finite(r.Mean), ["standard_error"] = Finite(r.StandardError), ["median"] = Finite(r.Median),
            }).ToArray()),
            ["seconds"] = seconds,
            ["wall_seconds"] = Math.Round(wallSeconds, 1),
        };
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>Violation ratio per method (groups), one bar per removal and the mean, with Wilson intervals; a dashed line at 0.5.</summary>
    public static string Chart(ViolationSummary result)
    {
        var removalNames = result.Removals.Select(FeatureRemovals.Name).ToList();
        if (result.Removals.Count > 1) removalNames.Add(ViolationTest.MeanRemoval);
        var series = new List<BarSeries>();
        foreach (var rn in removalNames)
        {
            var rows = result.Methods.Select(m => result.Rows.Single(r => r.Method == m && r.Removal == rn)).ToArray();
            series.Add(new BarSeries(rn, rows.Select(r => r.Ratio).ToArray(), rows.Select(r => (r.WilsonLow, r.WilsonHigh)).ToArray()));
        }
        int n = result.Documents;
        return BarChart.Render(result.Methods, series, new BarChartOptions
        {
            Title = $"Faithfulness violation ratio ({n} documents; bars: 95 % Wilson intervals)",
            YLabel = "violation ratio",
            YMin = 0,
            YMax = 1,
            ReferenceValue = 0.5,
            Width = Math.Max(720, 70 * result.Methods.Count + 120),
            Height = 440,
        });
    }

    public static string Report(ViolationSummary result, IReadOnlyList<ErasureSummaryRow> erasure, JsonObject settings, string svg, string erasureSvg, double wallSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var rep = new HtmlReport("Faithfulness violation test");
        rep.Paragraph($"{result.Documents} documents, {result.Methods.Count} methods, removals: {string.Join(", ", result.Removals.Select(FeatureRemovals.Name))}. Wall time {wallSeconds.ToString("F1", inv)} s.");
        if (settings[FaithfulnessStudy.ZeroKey] is JsonObject zero)
            foreach (var (method, reason) in zero)
                rep.Paragraph($"{method}: zero by construction on this model ({reason?.GetValue<string>()}); what it computes is rounding noise, so it is left out of the tables below.");
        rep.Figure(svg, "Violation ratio per method and removal; the dashed line is 0.5 (a coin flip).");
        var removalNames = result.Removals.Select(FeatureRemovals.Name).ToList();
        if (result.Removals.Count > 1) removalNames.Add(ViolationTest.MeanRemoval);
        rep.Table(["method", "signed", .. removalNames],
            result.Methods.Select(m => (IReadOnlyList<object?>)new object?[] { m, Violation.IsSigned(m) ? "yes" : "no" }
                .Concat(removalNames.Select(rn => (object?)Cell(result.Rows.Single(r => r.Method == m && r.Removal == rn)))).ToArray()),
            "Violation ratio [95 % Wilson interval] (undecided)");
        if (settings[FaithfulnessStudy.ZeroKey] is JsonObject left && left.Count > 0)
            rep.Table(["method", "left out"], left.Select(kv => (IReadOnlyList<object?>)[kv.Key, "zero by construction: " + kv.Value?.GetValue<string>()]), "Methods not ranked");
        rep.Table(["method", "removal", "n", "violations", "undecided", "ratio", "Wilson low", "Wilson high"],
            result.Rows.Select(r => (IReadOnlyList<object?>)[r.Method, r.Removal, r.N, r.Violations, r.Undecided, r.Ratio, r.WilsonLow, r.WilsonHigh]),
            "Counts");
        rep.Heading("Erasure curves");
        rep.Figure(erasureSvg, "AOPC of comprehensiveness (higher is more faithful) and sufficiency (lower is more faithful) per method.");
        var fractions = erasure.Select(r => r.Fraction).Where(f => f != "aopc").Distinct().ToList();
        foreach (var measure in new[] { "comprehensiveness", "sufficiency" })
            rep.Table(["method", "AOPC", "standard error", .. fractions.Select(f => $"q = {f}")],
                result.Methods.Select(m =>
                {
                    var mine = erasure.Where(r => r.Method == m && r.Measure == measure).ToList();
                    var aopc = mine.Single(r => r.Fraction == "aopc");
                    return (IReadOnlyList<object?>)new object?[] { m, aopc.Mean, aopc.StandardError }.Concat(fractions.Select(f => (object?)mine.Single(r => r.Fraction == f).Mean)).ToArray();
                }), $"{measure}: mean over documents");
        rep.Heading("How to read it");
        foreach (var note in Notes.Concat(ErasureNotes)) rep.Paragraph(note);
        rep.Settings(settings.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value?.ToJsonString().Trim('"'))), "Settings");
        return rep.Build();
    }

    private static string Cell(SummaryRow r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Ratio:F3} [{r.WilsonLow:F3}, {r.WilsonHigh:F3}]{(r.Undecided > 0 ? $" ({r.Undecided})" : "")}");
}

/// <summary>What the summaries are drawn from: the documents, methods and removals of a run, its counts per method and
/// removal (<see cref="ViolationTest.Summarise"/>) and its compute seconds.</summary>
public sealed record ViolationSummary(int Documents, IReadOnlyList<string> Methods, IReadOnlyList<FeatureRemoval> Removals,
    IReadOnlyList<SummaryRow> Rows, IReadOnlyDictionary<string, double> Seconds)
{
    public static ViolationSummary Of(ViolationTestResult r) => new(r.Documents.Count, r.Methods, r.Removals, r.Summary, r.Seconds);

    /// <summary>Counts <paramref name="instances"/> (e.g. read back from the merged per-document CSV).</summary>
    public static ViolationSummary Of(int documents, IReadOnlyList<string> methods, IReadOnlyList<FeatureRemoval> removals,
        IReadOnlyList<InstanceResult> instances, IReadOnlyDictionary<string, double> seconds) =>
        new(documents, methods, removals, ViolationTest.Summarise(instances, methods, removals), seconds);
}
