using AttnXai.Common.IO;
using System.Runtime.InteropServices;
using AttnXai.Plot;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce;

/// <summary>report.html: figures inline, summary tables, model accuracy, settings, versions, machine, stage times, claims.</summary>
public static class Report
{
    public static string Build(PipelineOptions o, IReadOnlyList<StageRecord> records, ReproduceContext ctx)
    {
        var r = new HtmlReport("AttnXai: reproduction of \"Attention Meets Post-hoc Interpretability\" (Lopardo et al., ICML 2024)");
        var model = records.FirstOrDefault(x => x.Name == "model");
        r.Heading("Claims checked by computation");
        var claims = records.SelectMany(x => x.Findings).Where(f => f.StartsWith("CLAIM")).ToList();
        if (claims.Count == 0) r.Paragraph("No claim was checked in this run.");
        foreach (var c in claims) r.Paragraph(c);

        r.Heading("Model");
        var acc = model?.Values.GetValueOrDefault("test_accuracy");
        r.Paragraph(string.IsNullOrEmpty(acc) ? "Test accuracy: not recorded." :
            $"Test accuracy: {double.Parse(acc, System.Globalization.CultureInfo.InvariantCulture):P2} (paper: 80.19 %).");
        if (model is not null) r.Settings(model.Values.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)), "model");
        foreach (var f in model?.Findings ?? []) r.Paragraph(f);

        foreach (var rec in records.Where(x => x.Name != "model" && x.Name != "report"))
        {
            r.Heading(rec.Name);
            foreach (var f in rec.Findings.Where(f => !f.StartsWith("CLAIM"))) r.Paragraph(f);
            foreach (var file in rec.Files)
            {
                var path = Path.Combine(o.OutDir, file);
                if (!File.Exists(path)) continue;
                if (file.EndsWith(".svg")) r.Figure(File.ReadAllText(path), file);
                else if (file.EndsWith("_summary.csv") || file.EndsWith("_binned.csv")) AddCsvTable(r, path, file);
                else r.Paragraph($"Data: {file}");
            }
            var binned = Path.Combine(o.OutDir, rec.Name.Replace("study-", "").Replace('-', '_') + "_binned.csv");
            if (File.Exists(binned)) AddCsvTable(r, binned, Path.GetFileName(binned));
        }

        r.Heading("Stage times");
        r.Table(["stage", "seconds", "note"], records.Select(x => (IReadOnlyList<object?>)[x.Name, x.Seconds, x.Skipped ? "completed in an earlier run" : ""]));

        var s = ctx.Settings;
        r.Heading("Settings");
        r.Settings(new Dictionary<string, object?>
        {
            ["output folder"] = Path.GetFullPath(o.OutDir), ["model folder"] = o.ModelDir ?? "(trained in this run)",
            ["training recipe"] = o.Recipe.ToString(), ["sentence"] = s.Sentence, ["figure 4 review"] = s.Figure4Review,
            ["LIME runs"] = s.LimeRuns, ["LIME samples"] = s.LimeSamples, ["large-sample limit"] = Studies.LimitText(s),
            ["seed"] = s.Seed, ["study documents"] = s.Docs?.ToString() ?? "all test reviews", ["threads"] = s.Threads, ["top-k"] = s.TopK,
        }, "settings");
        r.Heading("Versions and machine");
        r.Settings(new Dictionary<string, object?>
        {
            ["libtorch (torch.__version__)"] = SafeTorchVersion(), [".NET"] = RuntimeInformation.FrameworkDescription,
            ["OS"] = RuntimeInformation.OSDescription, ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
            ["cores"] = Environment.ProcessorCount, ["memory"] = MemoryText(), ["generated (UTC)"] = DateTime.UtcNow.ToString("u"),
        }, "environment");
        return r.Build();
    }

    private static void AddCsvTable(HtmlReport r, string path, string caption)
    {
        var (h, rows) = Csv.Parse(File.ReadAllText(path));
        r.Table(h, rows.Select(row => (IReadOnlyList<object?>)row.Select(c =>
            double.TryParse(c, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? (object?)d : c).ToArray()), caption);
    }

    public static string SafeTorchVersion()
    {
        try { return torch.__version__; } catch (Exception e) { return "unknown (" + e.GetType().Name + ")"; }
    }

    public static string MemoryText()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:"));
            if (line is not null) return $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024.0:F1} GiB";
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024:F1} GiB available to .NET";
    }
}
