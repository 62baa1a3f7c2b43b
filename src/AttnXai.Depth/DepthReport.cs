using System.Globalization;
using System.Runtime.InteropServices;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Perturbation;
using AttnXai.Common.IO;
using AttnXai.Faithfulness;
using AttnXai.Plot;
using AttnXai.Explain.Metrics;

namespace AttnXai.Depth;

/// <summary>
/// The study's outputs from its part files: the per-document tables of every model (tidy: one row per model x
/// document x method or pair), summary tables, SVG figures and report.html whose sentences are computed from the
/// numbers. Everything but timing.csv and the report's times is a function of the part files (same seed, same bytes).
/// </summary>
public static class DepthReport
{
    public const string ReportFile = "report.html";
    public const string ModelsFile = "models.csv";
    public const string TimingFile = "timing.csv";
    public const string HeadlineFile = "headline.csv";
    public const string ZeroFile = "zero_by_construction.csv";

    /// <summary>(model, method) to the reason the method's scores are zero by construction for the model, from the
    /// model stages' values, in model then catalogue order.</summary>
    public static Dictionary<(string Model, string Method), string> ZeroByConstruction(IReadOnlyList<DepthStage> stages, IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(models);
        var zero = new Dictionary<(string, string), string>();
        foreach (var m in models)
            foreach (var (k, v) in stages.FirstOrDefault(x => x.Name == "model-" + m)?.Values ?? [])
                if (k.StartsWith(DepthStudy.ZeroKey, StringComparison.Ordinal)) zero[(m, k[DepthStudy.ZeroKey.Length..])] = v;
        return zero;
    }

    /// <summary>The notes the report gives (definitions a reader needs).</summary>
    public static readonly IReadOnlyList<string> Notes =
    [
        "Documents: the same seeded sample of IMDB test reviews for every model (the first N of a SplitMix64 permutation, in the split's order), cleaned and truncated as the explainers see them; each document's seeds derive from its index in that list.",
        "Agreement between two methods on a document: Spearman correlation and top-k overlap of the magnitudes |w| of their scores over the document's distinct words (signed and unsigned methods compared alike, as in Krishna et al.'s disagreement study), k = ceil(10 % of the distinct words) by default; summaries give the median and quartiles over documents (undefined correlations, e.g. a constant explanation, are left out and counted). The random baseline is the reference pair: a method that agrees with another no better than with random scores carries no shared signal.",
        "Violation ratios: the faithfulness violation test of Liu et al. (2022), the top word (largest |w|) removed three ways (delete, zero embedding, masked out of attention in every layer); 'mean' pools the three.",
        "Erasure curves: ERASER's comprehensiveness and sufficiency at 1, 5, 10, 20 and 50 % of the tokens with f = p(predicted class), their AOPC the mean over the fractions (higher comprehensiveness and lower sufficiency are more faithful).",
        "Theorem 4.1 on the last layer: the paper's closed form of df/de_t applied to the last layer as if it were the only one (e_t its attention inputs: LN_1 of the residual stream for a pre-norm Transformer; the readout linearised at the document, g_i = df/dv~^(i) by autograd), compared by relative L2 over the word rows with autograd's gradient with respect to the input embeddings (thm41_rel_l2_input, the question) and with respect to the layer's e (thm41_rel_l2_layer, a check that should be rounding error).",
        "Theorem 5.1 on the last layer: beta_j = (3/2) sum_i sum_{t: x_t = j} g_i . (alpha_t v_t - alpha^u_t v^u_t) with the same e, g and the all-UNK document's last-layer values, against LIME with UNK in place (relative L2 ||lime - beta|| / ||beta|| and Spearman over the distinct words).",
    ];

    public static IReadOnlyList<string> Write(DepthSettings s, IReadOnlyList<DepthStage> stages, int documents, Action<string>? log = null)
    {
        var dir = s.OutputDirectory;
        var files = new List<string>();
        string P(string f) { var p = Path.Combine(dir, f); files.Add(p); return p; }
        var models = s.Models.Select(m => m.Name).ToList();

        // Methods zero by construction for a model (recorded by its model stage): left out of every table of that
        // model (part files of an earlier version may hold their rows), listed with the reason instead.
        var zero = ZeroByConstruction(stages, models);
        bool Ranked(string[] row, int methodA, int methodB) =>
            !zero.ContainsKey((row[0], row[methodA])) && (methodB < 0 || !zero.ContainsKey((row[0], row[methodB])));

        // The per-document tables of every model, in model order.
        var tables = new Dictionary<string, List<string[]>>();
        foreach (var (file, header) in DepthStudy.Tables)
        {
            var all = new CsvTable(header);
            var rows = new List<string[]>();
            int a = Array.IndexOf(header, file == "agreement" ? "method_a" : "method"), b = Array.IndexOf(header, "method_b");
            foreach (var m in models) rows.AddRange(DepthStudy.ReadTable(dir, m, file, header).Where(r => a < 0 || Ranked(r, a, b)));
            foreach (var r in rows) all.Add(r);
            all.Write(P(file + ".csv"));
            tables[file] = rows;
        }
        var methods = Methods(tables["erasure"], s);

        // Summaries.
        var modelRows = ModelsTable(s, stages);
        modelRows.Write(P(ModelsFile));
        var agreement = AgreementSummary(tables["agreement"]);
        agreement.Write(P("agreement_summary.csv"));
        var violations = ViolationSummary(tables["violations"], models);
        violations.Write(P("violation_summary.csv"));
        var erasure = ErasureSummary(tables["erasure"], models);
        erasure.Write(P("erasure_summary.csv"));
        var theory = TheorySummary(tables["theory"], models);
        theory.Write(P("theory_summary.csv"));
        TimingTable(dir, models).Write(P(TimingFile));
        var zeroTable = new CsvTable("model", "method", "reason");
        foreach (var ((model, method), reason) in zero) zeroTable.Add(model, method, reason);
        zeroTable.Write(P(ZeroFile));
        var headline = Headline(s, methods, modelRows, agreement, violations, erasure, theory);
        headline.Write(P(HeadlineFile));

        // Figures.
        var figures = new List<(string File, string Caption)>();
        void Svg(string file, string svg, string caption) { AtomicFile.WriteAllText(P(file), svg); figures.Add((file, caption)); }
        var depth = s.Models.Where(m => m.IsDepthPoint).ToList();
        Svg("agreement_spearman.svg", AgreementGrid(agreement, models, methods, "spearman"),
            "Median Spearman correlation between the methods' |scores| over documents, one panel per model.");
        Svg("agreement_topk.svg", AgreementGrid(agreement, models, methods, "topk"), "Median top-k overlap between the methods, one panel per model.");
        if (depth.Count > 0)
        {
            Svg("agreement_vs_depth.svg", Lines(depth, methods.Where(m => m != RandomExplainer.MethodName).ToList(), (m, method) => MeanAgreement(agreement, m, method, methods),
                "Agreement with the other methods vs depth (Transformers)", "mean of the median Spearman with the other methods", (RandomExplainer.MethodName, (m, _) => MeanAgreement(agreement, m, RandomExplainer.MethodName, methods))),
                "Each method's mean (over the other methods) of the median Spearman correlation, against the number of layers; 'random' is the random baseline's mean agreement.");
            Svg("violation_vs_depth.svg", Lines(depth, methods, (m, method) => ViolationRatio(violations, m, method), "Violation ratio vs depth (Transformers)", "violation ratio (removals pooled)"),
                "Violation ratio of each method (pooled over the three removals) against the number of layers.");
            Svg("aopc_comprehensiveness_vs_depth.svg", Lines(depth, methods, (m, method) => Aopc(erasure, m, method, "comprehensiveness"), "AOPC comprehensiveness vs depth (Transformers)", "AOPC comprehensiveness (higher: more faithful)"),
                "AOPC of comprehensiveness against the number of layers.");
            Svg("aopc_sufficiency_vs_depth.svg", Lines(depth, methods, (m, method) => Aopc(erasure, m, method, "sufficiency"), "AOPC sufficiency vs depth (Transformers)", "AOPC sufficiency (lower: more faithful)"),
                "AOPC of sufficiency against the number of layers.");
            Svg("theory_vs_depth.svg", Lines(depth, ["thm41_rel_l2_input", "thm51_rel_l2", "thm51_spearman"], (m, measure) => TheoryMedian(theory, m, measure),
                "The theorems on the last layer vs depth (Transformers)", "median over documents"),
                "Median relative L2 of Theorem 4.1 (last layer) against the input gradient, and of Theorem 5.1 against LIME (unk), and Theorem 5.1's median Spearman with LIME.");
        }

        AtomicFile.WriteAllText(P(ReportFile), Report(s, stages, documents, methods, modelRows, agreement, violations, erasure, theory, headline, figures, zero));
        log?.Invoke($"wrote {files.Count} files to {Path.GetFullPath(dir)}");
        return files;
    }

    /// <summary>The method agreement is reported against in the headline: LIME (what Theorem 5.1 is about), else
    /// occlusion, else IG, else the first non-random method.</summary>
    public static string Reference(IReadOnlyList<string> methods) =>
        new[] { "lime-unk", "lime-delete", "occlusion-unk", "occlusion-delete", "IG" }.FirstOrDefault(methods.Contains) ?? methods.First(m => m != RandomExplainer.MethodName);

    /// <summary>The headline table's columns (headline.csv): per model its depth and accuracy, the median Spearman of
    /// alpha-avg, rollout, grad-rollout and the random baseline with the reference method, the pooled violation ratios
    /// of alpha-avg and the reference, the AOPC comprehensiveness of alpha-avg, the reference and random, and the
    /// medians of Theorem 4.1's relative L2 to the input gradient and of Theorem 5.1's Spearman with LIME.</summary>
    public static readonly string[] HeadlineHeader =
    [
        "model", "layers", "test_accuracy", "reference", "rho_alpha_avg", "rho_rollout", "rho_grad_rollout", "rho_random",
        "violation_alpha_avg", "violation_reference", "aopc_comp_alpha_avg", "aopc_comp_reference", "aopc_comp_random", "thm41_rel_l2_input", "thm51_spearman",
    ];

    private static CsvTable Headline(DepthSettings s, List<string> methods, CsvTable models, CsvTable agreement, CsvTable violations, CsvTable erasure, CsvTable theory)
    {
        string reference = Reference(methods);
        var t = new CsvTable(HeadlineHeader);
        foreach (var m in s.Models)
        {
            var row = models.Rows.First(r => r[0] == m.Name);
            double Rho(string a) => methods.Contains(a) && a != reference ? Agreement(agreement, m.Name, a, reference, "spearman") : double.NaN;
            double Viol(string a) => methods.Contains(a) ? ViolationRatio(violations, m.Name, a) : double.NaN;
            double Comp(string a) => methods.Contains(a) ? Aopc(erasure, m.Name, a, "comprehensiveness") : double.NaN;
            t.Add(m.Name, row[2], row[4], reference, Csv.Num(Rho("alpha-avg")), Csv.Num(Rho("rollout")), Csv.Num(Rho("grad-rollout")), Csv.Num(Rho(RandomExplainer.MethodName)),
                Csv.Num(Viol("alpha-avg")), Csv.Num(Viol(reference)), Csv.Num(Comp("alpha-avg")), Csv.Num(Comp(reference)), Csv.Num(Comp(RandomExplainer.MethodName)),
                Csv.Num(TheoryMedian(theory, m.Name, "thm41_rel_l2_input")), Csv.Num(TheoryMedian(theory, m.Name, "thm51_spearman")));
        }
        return t;
    }

    /// <summary>The methods in the order of the settings (as explanations name them).</summary>
    private static List<string> Methods(List<string[]> erasureRows, DepthSettings s)
    {
        var seen = erasureRows.Select(r => r[2]).Distinct().ToList();
        var order = DocumentMeasures.Explainers(s, 0).Select(e => e.Name).ToList();
        return [.. order.Where(seen.Contains), .. seen.Where(m => !order.Contains(m))];
    }

    // ---- summaries -------------------------------------------------------------------------------------------

    private static CsvTable ModelsTable(DepthSettings s, IReadOnlyList<DepthStage> stages)
    {
        var t = new CsvTable("model", "architecture", "layers", "parameters", "test_accuracy", "test_count", "source", "training_seconds");
        foreach (var m in s.Models)
        {
            var v = stages.FirstOrDefault(x => x.Name == "model-" + m.Name)?.Values ?? [];
            t.Add(m.Name, v.GetValueOrDefault("architecture", ""), v.GetValueOrDefault("layers", ""), v.GetValueOrDefault("parameters", ""),
                v.GetValueOrDefault("test_accuracy", ""), v.GetValueOrDefault("test_count", ""), v.GetValueOrDefault("source", ""), v.GetValueOrDefault("training_seconds", ""));
        }
        return t;
    }

    private static CsvTable AgreementSummary(List<string[]> rows)
    {
        var t = new CsvTable("model", "method_a", "method_b", "measure", "n", "nan", "q1", "median", "q3", "mean");
        foreach (var g in rows.GroupBy(r => (r[0], r[2], r[3])))
            foreach (var (measure, col) in new[] { ("spearman", 6), ("topk", 7) })
            {
                var v = g.Select(r => D(r[col])).ToArray();
                if (v.All(double.IsNaN)) { t.Add(g.Key.Item1, g.Key.Item2, g.Key.Item3, measure, 0, v.Length, "", "", "", ""); continue; }
                var st = SummaryStatistics.Of(v, 0);
                t.Add(g.Key.Item1, g.Key.Item2, g.Key.Item3, measure, st.Count, st.NaNCount, Csv.Num(st.Q1), Csv.Num(st.Median), Csv.Num(st.Q3), Csv.Num(st.Mean));
            }
        return t;
    }

    private static CsvTable ViolationSummary(List<string[]> rows, List<string> models)
    {
        var t = new CsvTable("model", "method", "signed", "removal", "n", "violations", "undecided", "ratio", "wilson_low", "wilson_high");
        foreach (var m in models)
            foreach (var g in rows.Where(r => r[0] == m).GroupBy(r => r[2]))
            {
                var removals = g.Select(r => r[4]).Distinct().ToList();
                foreach (var removal in removals.Append(ViolationTest.MeanRemoval))
                {
                    var xs = g.Where(r => removal == ViolationTest.MeanRemoval || r[4] == removal).ToArray();
                    int n = xs.Length, v = xs.Count(r => r[8] == "violation"), u = xs.Count(r => r[8] == "undecided");
                    var (lo, hi) = Wilson.Interval(v, n);
                    t.Add(m, g.Key, g.First()[3], removal, n, v, u, Csv.Num(n == 0 ? double.NaN : (double)v / n), Csv.Num(lo), Csv.Num(hi));
                }
            }
        return t;
    }

    /// <summary>The curves rebuilt from the rows and summarised by <see cref="Erasure.Summarise"/>, per model.</summary>
    private static CsvTable ErasureSummary(List<string[]> rows, List<string> models)
    {
        var t = new CsvTable("model", "method", "signed", "measure", "fraction", "n", "mean", "standard_error", "median");
        foreach (var m in models)
        {
            var curves = rows.Where(r => r[0] == m).GroupBy(r => (r[1], r[2])).Select(g =>
            {
                var f = g.First();
                var points = g.Select(r => new ErasurePoint(D(r[4]), int.Parse(r[5], CultureInfo.InvariantCulture), D(r[7]), D(r[8]), D(r[9]), D(r[10]))).ToArray();
                return new ErasureCurve(f[1], null, 0, f[2], f[3] == "yes", 0, D(f[6]), points, points.Average(p => p.Comprehensiveness), points.Average(p => p.Sufficiency));
            }).ToList();
            foreach (var r in Erasure.Summarise(curves))
                t.Add(m, r.Method, r.Signed ? "yes" : "no", r.Measure, r.Fraction, r.N, Csv.Num(r.Mean), Csv.Num(r.StandardError), Csv.Num(r.Median));
        }
        return t;
    }

    private static readonly string[] TheoryMeasures = ["thm41_rel_l2_input", "thm41_rel_l2_layer", "thm51_rel_l2", "thm51_spearman"];

    private static CsvTable TheorySummary(List<string[]> rows, List<string> models)
    {
        var t = new CsvTable("model", "measure", "n", "nan", "q1", "median", "q3", "mean", "max");
        foreach (var m in models)
        {
            var mine = rows.Where(r => r[0] == m).ToList();
            if (mine.Count == 0) continue;
            for (int i = 0; i < TheoryMeasures.Length; i++)
            {
                var v = mine.Select(r => D(r[4 + i])).ToArray();
                if (v.All(double.IsNaN)) { t.Add(m, TheoryMeasures[i], 0, v.Length, "", "", "", "", ""); continue; }
                var st = SummaryStatistics.Of(v, 0);
                t.Add(m, TheoryMeasures[i], st.Count, st.NaNCount, Csv.Num(st.Q1), Csv.Num(st.Median), Csv.Num(st.Q3), Csv.Num(st.Mean), Csv.Num(st.Max));
            }
        }
        return t;
    }

    private static CsvTable TimingTable(string dir, List<string> models)
    {
        var t = new CsvTable("model", "what", "seconds", "seconds_per_document");
        foreach (var m in models)
        {
            var sec = DepthStudy.ChunkSeconds(Path.Combine(dir, DepthStudy.PartsFolder, m));
            double docs = Math.Max(1, sec.GetValueOrDefault("documents"));
            foreach (var (k, v) in sec.Where(kv => kv.Key != "documents").OrderBy(kv => kv.Key == "total").ThenBy(kv => kv.Key, StringComparer.Ordinal))
                t.Add(m, k, v.ToString("F3", CultureInfo.InvariantCulture), (v / docs).ToString("F4", CultureInfo.InvariantCulture));
        }
        return t;
    }

    // ---- reading the summaries ---------------------------------------------------------------------------------

    /// <summary>The pooled ("mean") violation ratio of a method on a model (NaN when absent).</summary>
    private static double ViolationRatio(CsvTable t, string model, string method) =>
        Value(t, r => r[0] == model && r[1] == method && r[3] == ViolationTest.MeanRemoval, "ratio");

    /// <summary>The mean AOPC of a measure (comprehensiveness or sufficiency) of a method on a model.</summary>
    private static double Aopc(CsvTable t, string model, string method, string measure) =>
        Value(t, r => r[0] == model && r[1] == method && r[3] == measure && r[4] == "aopc", "mean");

    private static double Value(CsvTable t, Func<string[], bool> row, string column)
    {
        int col = Array.IndexOf(t.Header, column);
        var r = t.Rows.FirstOrDefault(row);
        return r is null || r[col].Length == 0 ? double.NaN : D(r[col]);
    }

    private static double Agreement(CsvTable t, string model, string a, string b, string measure)
    {
        double v = Median(t, model, a, b, measure);
        return double.IsNaN(v) ? Median(t, model, b, a, measure) : v;
    }

    private static double Median(CsvTable t, string model, string a, string b, string measure)
    {
        var row = t.Rows.FirstOrDefault(r => r[0] == model && r[1] == a && r[2] == b && r[3] == measure);
        return row is null || row[7].Length == 0 ? double.NaN : D(row[7]);
    }

    private static double MeanAgreement(CsvTable t, string model, string method, List<string> methods)
    {
        var others = methods.Where(m => m != method && m != RandomExplainer.MethodName).Select(m => Agreement(t, model, method, m, "spearman")).Where(double.IsFinite).ToList();
        return others.Count == 0 ? double.NaN : others.Average();
    }

    private static double TheoryMedian(CsvTable t, string model, string measure)
    {
        var row = t.Rows.FirstOrDefault(r => r[0] == model && r[1] == measure);
        return row is null || row[5].Length == 0 ? double.NaN : D(row[5]);
    }

    // ---- figures ---------------------------------------------------------------------------------------------

    private static string AgreementGrid(CsvTable t, List<string> models, List<string> methods, string measure)
    {
        var panels = models.Select(m =>
        {
            var v = new double[methods.Count, methods.Count];
            for (int i = 0; i < methods.Count; i++)
                for (int j = 0; j < methods.Count; j++) v[i, j] = i == j ? 1 : Agreement(t, m, methods[i], methods[j], measure);
            return new HeatmapPanel(v, methods, methods, m);
        }).ToList();
        int columns = Math.Min(3, panels.Count), rows = (panels.Count + columns - 1) / columns;
        double side = 90 + 26 * methods.Count;
        return Heatmap.RenderGrid(panels, new HeatmapOptions
        {
            Title = measure == "spearman" ? "Median Spearman between methods (|scores|)" : "Median top-k overlap between methods",
            ColorMode = measure == "spearman" ? HeatmapColorMode.Diverging : HeatmapColorMode.Sequential,
            ColorMax = 1, ColorMin = measure == "spearman" ? null : 0, ShowValues = methods.Count <= 14, Digits = 2, GridColumns = columns,
            Width = columns * side + 120, Height = rows * side + 60,
        });
    }

    /// <summary>One line per series over the Transformers' depths (NaN points left out).</summary>
    private static string Lines(List<DepthModel> depth, IReadOnlyList<string> names, Func<string, string, double> value, string title, string yLabel,
        params (string Name, Func<string, string, double> Value)[] extra)
    {
        var series = new List<ScatterSeries>();
        foreach (var (name, f) in names.Select(n => (n, value)).Concat(extra.Select(e => (e.Name, e.Value))))
        {
            var pts = depth.Select(m => (X: (double)m.Layers!.Value, Y: f(m.Name, name))).Where(p => double.IsFinite(p.Y)).ToList();
            if (pts.Count > 0) series.Add(new ScatterSeries(name, pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray()));
        }
        if (series.Count == 0) series.Add(new ScatterSeries("no finite value", [depth[0].Layers!.Value], [0.0]));
        return Scatter.Render(series, new ScatterOptions
        {
            Title = title, XLabel = "Transformer layers", YLabel = yLabel, ConnectPoints = true, AlwaysShowLegend = true, Width = 760, Height = 480,
        });
    }

    // ---- the report --------------------------------------------------------------------------------------------

    private static string Report(DepthSettings s, IReadOnlyList<DepthStage> stages, int documents, List<string> methods, CsvTable models, CsvTable agreement,
        CsvTable violations, CsvTable erasure, CsvTable theory, CsvTable headline, List<(string File, string Caption)> figures,
        Dictionary<(string Model, string Method), string> zero)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsFinite(v) ? v.ToString("F3", inv) : "n/a";
        string G(double v) => double.IsFinite(v) ? v.ToString("G3", inv) : "n/a";
        var names = s.Models.Select(m => m.Name).ToList();
        string Series(Func<string, double> f, Func<double, string> fmt) => string.Join(", ", s.Models.Select(m => $"{fmt(f(m.Name))} ({m.Name})"));
        // The trends run along the models trained here or reused at their depth (the paper's, then the Transformers);
        // pretrained models are reported next to them, not placed on that axis.
        var depthNames = s.Models.Where(m => !m.Pretrained).Select(m => m.Name).ToList();
        bool pretrained = depthNames.Count < names.Count;
        var r = new HtmlReport(pretrained
            ? "Depth study: do the paper's findings carry over to deeper and to pretrained Transformers?"
            : "Depth study: do the paper's findings carry over to deeper Transformers?");
        r.Paragraph($"{documents} IMDB test documents, {s.Models.Count} models ({string.Join(", ", names)}), {methods.Count} methods ({string.Join(", ", methods)})." +
            (s.Target is { } target ? $" Every method explains the logit of the class given by --target {target}; the theorems, written for a model's own class, are left out where that class is another." : ""));

        foreach (var g in zero.GroupBy(z => (z.Key.Method, z.Value)))
            r.Paragraph($"{g.Key.Method} is zero by construction on {string.Join(", ", g.Select(z => z.Key.Model))} ({g.Key.Value}): what it computes there is " +
                $"rounding noise, so it is left out of that model's agreement, violation and erasure tables ({ZeroFile}).");

        r.Heading("Headline");
        r.Table(headline.Header, headline.Rows.Select(x => (IReadOnlyList<object?>)x.Select(Num).ToArray()), $"{HeadlineFile}: rho = median Spearman with {Reference(methods)}, violation = pooled ratio, aopc_comp = AOPC comprehensiveness");
        r.Heading("Answers");
        string reference = Reference(methods);
        foreach (var a in new[] { "alpha-avg", "rollout", "grad-rollout", "G-l2", "GxI" }.Where(m => methods.Contains(m) && m != reference))
        {
            string along = "";
            if (depthNames.Count >= 2)
            {
                double first = Agreement(agreement, depthNames[0], a, reference, "spearman"), lastV = Agreement(agreement, depthNames[^1], a, reference, "spearman");
                string trend = !double.IsFinite(first) || !double.IsFinite(lastV) ? "cannot be compared" : lastV < first - 0.05 ? "falls" : lastV > first + 0.05 ? "rises" : "stays within 0.05";
                along = $" {trend} from {depthNames[0]} to {depthNames[^1]}";
            }
            double rnd = Agreement(agreement, names[^1], a, RandomExplainer.MethodName, "spearman");
            r.Paragraph($"Agreement of {a} with {reference} (median Spearman of |scores|){along}: {Series(m => Agreement(agreement, m, a, reference, "spearman"), F)}; " +
                $"with the random baseline it is {F(rnd)} on {names[^1]}.");
        }
        foreach (var a in new[] { "alpha-avg", "rollout", "grad-rollout", reference, RandomExplainer.MethodName }.Distinct().Where(methods.Contains))
            r.Paragraph($"Violation ratio of {a} (three removals pooled): {Series(m => ViolationRatio(violations, m, a), F)}.");
        foreach (var m in names)
        {
            var ranked = methods.Select(x => (Method: x, Aopc: Aopc(erasure, m, x, "comprehensiveness"))).Where(x => double.IsFinite(x.Aopc)).OrderByDescending(x => x.Aopc).ToList();
            if (ranked.Count == 0) continue;
            int randomRank = ranked.FindIndex(x => x.Method == RandomExplainer.MethodName) + 1;
            int alphaRank = ranked.FindIndex(x => x.Method == "alpha-avg") + 1;
            r.Paragraph($"On {m} the most comprehensive method is {ranked[0].Method} (AOPC {F(ranked[0].Aopc)}), the least {ranked[^1].Method} ({F(ranked[^1].Aopc)})" +
                (alphaRank > 0 ? $"; alpha-avg ranks {alphaRank} of {ranked.Count}" : "") + (randomRank > 0 ? $", the random baseline {randomRank}" : "") + ".");
        }
        if (theory.Rows.Count > 0)
        {
            double layerMax = theory.Rows.Where(x => x[1] == "thm41_rel_l2_layer" && x[8].Length > 0).Select(x => D(x[8])).DefaultIfEmpty(double.NaN).Max();
            r.Paragraph($"Theorem 4.1 applied to the last layer, against autograd's gradient with respect to the input embeddings (median relative L2 over the word rows): {Series(m => TheoryMedian(theory, m, "thm41_rel_l2_input"), G)}. " +
                (layerMax < 1e-6
                    ? $"Against the gradient with respect to the last layer's own inputs it is rounding error on every model (largest relative L2 {G(layerMax)}): the closed form describes the last layer exactly, and the distance to the input gradient is what the layers below (and the layer norm before the attention) add."
                    : $"Against the gradient with respect to the last layer's own inputs the largest relative L2 is {G(layerMax)}: more than rounding error, so the closed form does not describe the last layer exactly here (a defect to report)."));
            r.Paragraph($"Theorem 5.1 applied to the last layer against LIME with UNK in place: median relative L2 {Series(m => TheoryMedian(theory, m, "thm51_rel_l2"), G)}; median Spearman {Series(m => TheoryMedian(theory, m, "thm51_spearman"), F)}.");
        }

        r.Heading("Models");
        r.Table(models.Header, models.Rows.Select(x => (IReadOnlyList<object?>)x), "models.csv");
        foreach (var (file, caption) in figures)
            r.Figure(File.ReadAllText(Path.Combine(s.OutputDirectory, file)), $"{file}: {caption}");

        r.Heading("Tables");
        // A method zero by construction for a model says so in that model's column, in place of a number.
        object? Cell(string model, string method, Func<double> value) => zero.ContainsKey((model, method)) ? ZeroCell : value();
        var listed = methods.Concat(zero.Keys.Select(z => z.Method)).Distinct().ToList();
        r.Table(["method", .. names], listed.Select(a => (IReadOnlyList<object?>)[a, .. names.Select(m => Cell(m, a, () => Agreement(agreement, m, a, reference, "spearman")))]),
            $"Median Spearman with {reference}");
        r.Table(["method", .. names], listed.Select(a => (IReadOnlyList<object?>)[a, .. names.Select(m => Cell(m, a, () => ViolationRatio(violations, m, a)))]),
            "Violation ratio (removals pooled)");
        foreach (var measure in new[] { "comprehensiveness", "sufficiency" })
            r.Table(["method", .. names], listed.Select(a => (IReadOnlyList<object?>)[a, .. names.Select(m => Cell(m, a, () => Aopc(erasure, m, a, measure)))]),
                $"AOPC {measure}");
        if (theory.Rows.Count > 0) r.Table(theory.Header, theory.Rows.Select(x => (IReadOnlyList<object?>)x.Select(Num).ToArray()), "theory_summary.csv");

        r.Heading("How to read it");
        foreach (var n in Notes) r.Paragraph(n);
        r.Heading("Stage times");
        r.Table(["stage", "seconds"], stages.Select(x => (IReadOnlyList<object?>)[x.Name, x.Seconds]));
        r.Heading("Settings");
        var settings = new Dictionary<string, object?>
        {
            ["output folder"] = Path.GetFullPath(s.OutputDirectory), ["documents"] = s.Docs, ["seed"] = s.Seed, ["methods"] = string.Join(", ", s.Methods),
            ["LIME"] = $"{s.LimeRuns} run(s) of {s.LimeSamples} samples", ["IG steps"] = s.IgSteps, ["top-k fraction"] = s.TopFraction,
            ["erasure removal"] = s.ErasureRemoval.Name(), ["models"] = string.Join("; ", s.Models.Select(m => $"{m.Name}: {(m.Directory is null ? s.Recipe.Describe(m) : "reused " + m.Directory)}")),
        };
        if (s.Target is { } explained) settings["explained class (--target)"] = explained;
        r.Settings(settings, "settings");
        r.Settings(new Dictionary<string, object?>
        {
            [".NET"] = RuntimeInformation.FrameworkDescription, ["OS"] = RuntimeInformation.OSDescription, ["cores"] = Environment.ProcessorCount,
            ["threads"] = TorchSharp.torch.get_num_threads(), ["generated (UTC)"] = DateTime.UtcNow.ToString("u", inv),
        }, "environment");
        return r.Build();
    }

    /// <summary>The cell of a method zero by construction for a model, in the report's tables.</summary>
    public const string ZeroCell = "zero by construction";

    /// <summary>A number cell; empty (how <see cref="Csv.Num"/> writes NaN) is NaN.</summary>
    private static double D(string cell) => cell.Length == 0 ? double.NaN : Csv.D(cell);

    private static object? Num(string c) => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : c;
}
