using AttnXai.Explain.Explainers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Plot;
using AttnXai.Sets.Scoring;

namespace AttnXai.Sets.Benchmark;

/// <summary>
/// Writes a benchmark's files, each atomically (temporary name, then rename): results.csv (task x model x method x
/// variant, the ensemble as model "ensemble"), ensemble.csv, models.csv, bags.csv (per-bag AUROC/AUPRC), summary.json
/// (every setting and the headline numbers) and report.html (written last).
/// </summary>
public static class SetOutputs
{
    public static readonly string[] Files = ["results.csv", "ensemble.csv", "models.csv", "kinds.csv", "bags.csv", "summary.json", "report.html"];

    public static void Write(string directory, SetBenchmarkResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        Directory.CreateDirectory(directory);
        Results(r).Write(Path.Combine(directory, "results.csv"));
        Ensembles(r).Write(Path.Combine(directory, "ensemble.csv"));
        Models(r).Write(Path.Combine(directory, "models.csv"));
        Kinds(r).Write(Path.Combine(directory, "kinds.csv"));
        Bags(r).Write(Path.Combine(directory, "bags.csv"));
        AtomicFile.WriteAllText(Path.Combine(directory, "summary.json"), Summary(r).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(directory, "report.html"), SetReport.Build(r));
    }

    private static string V(ScoreVariant v) => v == ScoreVariant.Abs ? "abs" : "raw";

    public static CsvTable Results(SetBenchmarkResult r)
    {
        var t = new CsvTable("task", "model", "model_seed", "method", "variant", "signed", "accuracy", "auroc", "auroc_sd", "auprc", "auprc_sd",
            "auroc_pooled", "auprc_pooled", "key_sign_agreement", "bags_scored", "silent_failure");
        foreach (var x in r.Rows)
            t.Add(x.Task, x.Model, x.ModelSeed, x.Method, V(x.Variant), ExplanationQuality.IsSigned(x.Method), x.Accuracy, x.Quality.Auroc, x.Quality.AurocSd,
                x.Quality.Auprc, x.Quality.AuprcSd, x.Quality.PooledAuroc, x.Quality.PooledAuprc, x.Quality.SignAgreement, x.Quality.BagsScored, x.SilentFailure);
        return t;
    }

    public static CsvTable Ensembles(SetBenchmarkResult r)
    {
        var t = new CsvTable("task", "method", "variant", "models", "single_accuracy_mean", "ensemble_accuracy",
            "single_auroc_mean", "single_auroc_sd", "single_auroc_min", "single_auroc_max", "ensemble_auroc", "auroc_gain",
            "single_auprc_mean", "single_auprc_sd", "ensemble_auprc", "auprc_gain", "single_silent_failures", "ensemble_silent_failure", "single_key_sign_agreement_mean");
        foreach (var e in r.Ensembles)
            t.Add(e.Task, e.Method, V(e.Variant), e.Models, e.SingleAccuracyMean, e.EnsembleAccuracy, e.SingleAurocMean, e.SingleAurocSd,
                e.SingleAurocMin, e.SingleAurocMax, e.EnsembleAuroc, e.AurocGain, e.SingleAuprcMean, e.SingleAuprcSd, e.EnsembleAuprc,
                e.AuprcGain, e.SingleSilentFailures, e.EnsembleSilentFailure, e.SingleSignAgreementMean);
        return t;
    }

    public static CsvTable Models(SetBenchmarkResult r)
    {
        var t = new CsvTable("task", "model", "model_seed", "validation_accuracy", "test_accuracy", "best_epoch", "train_seconds", "explain_seconds");
        foreach (var m in r.Models)
            t.Add(m.Task, m.Model, m.ModelSeed, m.ValidationAccuracy, m.TestAccuracy, m.BestEpoch, m.TrainSeconds, m.ExplainSeconds);
        return t;
    }

    public static CsvTable Kinds(SetBenchmarkResult r)
    {
        var t = new CsvTable("task", "model", "kind", "label", "bags", "accuracy");
        foreach (var k in r.Kinds) t.Add(k.Task, k.Model, k.Kind, k.Label, k.Bags, k.Accuracy);
        return t;
    }

    public static CsvTable Bags(SetBenchmarkResult r)
    {
        var t = new CsvTable("task", "model", "method", "variant", "bag", "label", "tokens", "keys", "auroc", "auprc");
        foreach (var x in r.Rows)
        {
            var bags = r.ExplainedBags[x.Task];
            for (int i = 0; i < bags.Count; i++)
                if (bags[i].Scorable)
                    t.Add(x.Task, x.Model, x.Method, V(x.Variant), i, bags[i].Label, bags[i].Count, bags[i].KeyCount,
                        x.Quality.PerBagAuroc[i], x.Quality.PerBagAuprc[i]);
        }
        return t;
    }

    public static JsonObject Summary(SetBenchmarkResult r)
    {
        var tasks = new JsonObject();
        foreach (var task in r.Settings.Tasks)
        {
            var ms = r.Models.Where(m => m.Task == task.Name).ToList();
            // The random baseline is a reference, not an explainer: it is left out of the failure counts.
            var rows = r.Rows.Where(x => x.Task == task.Name && x.ModelSeed is not null && !ExplainerRegistry.InfoOf(x.Method).Baseline).ToList();
            var best = r.Ensembles.Where(e => e.Task == task.Name && !ExplainerRegistry.InfoOf(e.Method).Baseline)
                .OrderByDescending(e => e.SingleAurocMean).FirstOrDefault();
            tasks[task.Name] = new JsonObject
            {
                ["rule"] = task.Rule,
                ["keys"] = task.Keys,
                ["test_accuracy"] = new JsonArray(ms.Select(m => (JsonNode)m.TestAccuracy).ToArray()),
                ["ensemble_accuracy"] = r.Ensembles.FirstOrDefault(e => e.Task == task.Name)?.EnsembleAccuracy,
                ["silent_failures"] = rows.Count(x => x.SilentFailure),
                ["method_model_pairs"] = rows.Count,
                ["best_method"] = best is null ? null : SetBenchmark.Label(best.Method, best.Variant),
                ["best_single_auroc_mean"] = best is null ? null : Num(best.SingleAurocMean),
                ["best_ensemble_auroc"] = best is null ? null : Num(best.EnsembleAuroc),
                ["train_seconds"] = ms.Sum(m => m.TrainSeconds),
                ["explain_seconds"] = ms.Sum(m => m.ExplainSeconds),
            };
        }
        return new JsonObject
        {
            ["command"] = "attnxai sets",
            ["settings"] = r.Settings.ToJson(),
            ["tasks"] = tasks,
            ["method_seconds"] = new JsonObject(r.MethodSeconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["seconds"] = r.Seconds,
            ["files"] = new JsonArray(Files.Select(f => (JsonNode)f).ToArray()),
        };
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? v : null;

    /// <summary>The per-task tables as plain text (the command's stdout).</summary>
    public static string TextSummary(SetBenchmarkResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        foreach (var t in r.Settings.Tasks)
        {
            var ms = r.Models.Where(x => x.Task == t.Name).ToList();
            var es = r.Ensembles.Where(e => e.Task == t.Name).ToList();
            sb.Append(string.Create(inv,
                $"\n{t.Name} ({t.Rule}): test accuracy {F(ms.Average(x => x.TestAccuracy))} (min {F(ms.Min(x => x.TestAccuracy))}), ensemble {F(es.FirstOrDefault()?.EnsembleAccuracy ?? double.NaN)}\n"));
            sb.Append($"  {"method",-18} {"AUROC",6} {"sd",6} {"min",6} {"ens.",6} {"gain",7} {"AUPRC",6} {"ens.",6} {"sign",5} silent\n");
            foreach (var e in es)
                sb.Append(string.Create(inv,
                    $"  {SetBenchmark.Label(e.Method, e.Variant),-18} {F(e.SingleAurocMean),6} {F(e.SingleAurocSd),6} {F(e.SingleAurocMin),6} {F(e.EnsembleAuroc),6} {F(e.AurocGain, "+0.000;-0.000"),7} {F(e.SingleAuprcMean),6} {F(e.EnsembleAuprc),6} {(e.Variant == ScoreVariant.Raw ? F(e.SingleSignAgreementMean, "F2") : ""),5} {e.SingleSilentFailures}/{e.Models}{(e.EnsembleSilentFailure ? " +ens" : "")}\n"));
        }
        return sb.ToString();
    }

    public static string F(double v, string format = "F3") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>The HTML report: settings, the task table, silent failures, ensemble gains, boxplots and highlighted bags.</summary>
public static class SetReport
{
    public static string Build(SetBenchmarkResult r)
    {
        var s = r.Settings;
        var report = new HtmlReport("AttnXai: ground-truth set benchmarks");
        report.Paragraph("Synthetic multiple-instance tasks with known key instances (after Haab et al., 2022). The paper's attention classifier " +
            $"(position encoding {(s.Model.PositionEncoding ? "on" : "off")}, padding mask {(s.Model.PaddingMask ? "on" : "off")}) is trained " +
            $"{s.Seeds} times per task; each explainer's token scores are scored as a classification of key vs non-key tokens (AUROC: Mann-Whitney, " +
            "ties 1/2; AUPRC: average precision), averaged over explained bags with key and non-key tokens. Signed methods are also read as |score| (prefix |...|). " +
            $"A silent failure is a model with test accuracy >= {s.AccuracyThreshold} whose method has AUROC < {s.AurocThreshold}. " +
            "The ensemble averages each model's per-bag max-|score|-normalised scores. Key sign agreement: the fraction of key tokens whose " +
            "score has the sign of their evidence (N of the negative task points to the negative class).");
        report.Heading("Tasks", 2);
        report.Table(["task", "rule", "key instances", "test accuracy (mean)", "ensemble accuracy", "silent failures"],
            s.Tasks.Select(t =>
            {
                var ms = r.Models.Where(m => m.Task == t.Name).ToList();
                var ens = r.Ensembles.FirstOrDefault(e => e.Task == t.Name);
                var rows = r.Rows.Where(x => x.Task == t.Name && x.ModelSeed is not null && !ExplainerRegistry.InfoOf(x.Method).Baseline).ToList();
                return (IReadOnlyList<object?>)[t.Name, t.Rule, t.Keys, ms.Average(m => m.TestAccuracy), ens?.EnsembleAccuracy, $"{rows.Count(x => x.SilentFailure)} / {rows.Count}"];
            }));

        foreach (var t in s.Tasks)
        {
            var es = r.Ensembles.Where(e => e.Task == t.Name).ToList();
            report.Heading($"Task {t.Name}: {t.Rule}", 2);
            report.Table(["method", "AUROC (mean over models)", "sd", "min", "ensemble AUROC", "gain", "AUPRC (mean)", "ensemble AUPRC", "key sign agreement", "silent failures"],
                es.Select(e => (IReadOnlyList<object?>)[SetBenchmark.Label(e.Method, e.Variant), e.SingleAurocMean, e.SingleAurocSd, e.SingleAurocMin,
                    e.EnsembleAuroc, e.AurocGain, e.SingleAuprcMean, e.EnsembleAuprc, e.Variant == ScoreVariant.Raw ? e.SingleSignAgreementMean : null,
                    $"{e.SingleSilentFailures} / {e.Models}"]),
                caption: $"{t.Name}: instance-level AUROC/AUPRC per method over {s.Seeds} models and their ensemble", digits: 3);
            var kindRows = r.Kinds.Where(k => k.Task == t.Name).ToList();
            var kindModels = kindRows.Select(k => k.Model).Distinct().ToList();
            report.Table(new[] { "kind of test bag", "label", "bags" }.Concat(kindModels.Select(m => m == "ensemble" ? "ensemble" : $"model {m}")).ToList(),
                kindRows.Where(k => k.Model == kindModels[0]).Select(k => (IReadOnlyList<object?>)new object?[] { k.Kind, k.Label, k.Bags }
                    .Concat(kindModels.Select(m => (object?)kindRows.First(x => x.Model == m && x.Kind == k.Kind && x.Label == k.Label).Accuracy)).ToList()),
                caption: $"{t.Name}: test accuracy per kind of bag", digits: 3);
            var groups = es.Select(e => SetBenchmark.Label(e.Method, e.Variant)).ToList();
            var boxes = es.Select(e => (IReadOnlyList<double>)r.Rows
                .Where(x => x.Task == t.Name && x.ModelSeed is not null && x.Method == e.Method && x.Variant == e.Variant)
                .Select(x => x.Quality.Auroc).Where(double.IsFinite).DefaultIfEmpty(0.5).ToList()).ToList();
            var markers = new MarkerSeries("ensemble", es.Select(e => double.IsFinite(e.EnsembleAuroc) ? (double?)e.EnsembleAuroc : null).ToList());
            report.Figure(Boxplot.Render(groups, [new BoxSeries("single models", boxes)], [markers],
                    new BoxplotOptions { Title = $"{t.Name}: per-model AUROC (boxes) and the ensemble (crosses)", YLabel = "AUROC", YMin = 0, YMax = 1, ZeroLine = false, Width = 900 }),
                $"Each box: the {s.Seeds} models' mean per-bag AUROC; cross: the ensemble. 0.5 is chance.");
            if (r.Examples.FirstOrDefault(x => x.Task == t.Name) is { } ex)
            {
                var hl = new List<HighlightRow> { new("key (+/-)", ex.Bag.Polarity.Select(p => (double)p).ToList()) };
                hl.AddRange(r.Methods.Where(ex.Scores.ContainsKey).Select(m => new HighlightRow(m, ex.Scores[m])));
                report.Paragraph($"Test bag {ex.Index} (label {ex.Bag.Label}, {ex.Bag.Count} tokens, {ex.Bag.KeyCount} keys) explained by model 0 " +
                    "(first row: keys, green = evidence for the positive class, red = for the negative class).");
                report.Fragment(HighlightedText.RenderHtml(ex.Tokens, hl));
            }
        }

        var silent = r.Rows.Where(x => x.SilentFailure && !ExplainerRegistry.InfoOf(x.Method).Baseline).ToList();
        report.Heading("Silent failures", 2);
        report.Paragraph("Accurate models whose explanation misses the keys (the random baseline, always below the threshold, is not listed).");
        if (silent.Count == 0) report.Paragraph("None: no accurate model had a method with AUROC below the threshold.");
        else
            report.Table(["task", "model", "method", "accuracy", "AUROC"],
                silent.Select(x => (IReadOnlyList<object?>)[x.Task, x.Model, SetBenchmark.Label(x.Method, x.Variant), x.Accuracy, x.Quality.Auroc]), digits: 3);

        report.Heading("Cost", 2);
        report.Table(["method", "seconds (all tasks and models)"], r.MethodSeconds.Select(kv => (IReadOnlyList<object?>)[kv.Key, kv.Value]), digits: 3);
        report.Settings(FlatSettings(s.ToJson()), "Settings");
        report.Paragraph(string.Create(CultureInfo.InvariantCulture, $"Wall time {r.Seconds:F1} s."));
        return report.Build();
    }

    private static IEnumerable<KeyValuePair<string, object?>> FlatSettings(JsonObject o, string prefix = "")
    {
        foreach (var (k, v) in o)
        {
            if (v is JsonObject child) foreach (var kv in FlatSettings(child, prefix + k + ".")) yield return kv;
            else yield return KeyValuePair.Create(prefix + k, (object?)(v?.ToJsonString().Trim('"') ?? ""));
        }
    }
}
