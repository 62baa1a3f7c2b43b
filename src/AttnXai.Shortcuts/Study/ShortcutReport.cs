using System.Globalization;
using AttnXai.Common.IO;
using AttnXai.Plot;
using AttnXai.Shortcuts.Probe;
using AttnXai.Explain.Metrics;

namespace AttnXai.Shortcuts.Study;

/// <summary>report.html (tables, two heatmap figures, a short reading generated from the numbers) and its SVGs.</summary>
public static class ShortcutReport
{
    private static string P(double v) => double.IsFinite(v) ? (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %" : "n/a";
    private static string HeadLabel(string head) => head == ProbeStatistics.AllHeads ? "mean of heads" : "head " + head;
    private static string G(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "n/a";
    private static string F(double v, string f = "F3") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "n/a";

    /// <summary>Sentences that read the numbers (also in summary.json).</summary>
    public static IReadOnlyList<string> Reading(IReadOnlyList<AccuracyRow> accuracy, IReadOnlyList<MassRow> mass,
        IReadOnlyList<ShortcutVerdict> verdicts, IReadOnlyList<ExplainerRow> explainers)
    {
        var lines = new List<string>();
        foreach (var v in verdicts)
        {
            var acc = accuracy.Where(a => a.Model == v.Model).ToDictionary(a => a.Condition);
            var all = mass.FirstOrDefault(r => r.Model == v.Model && r.Head == ProbeStatistics.AllHeads && r.Token == ProbeStatistics.AllTokens && r.Group == "all");
            string line = $"{v.Model} model: test accuracy {P(acc[Conditions.Inserted].Accuracy)} with the inserted tokens, " +
                          $"{P(acc[Conditions.Masked].Accuracy)} with them masked out of attention ({P(v.MaskedFlips)} of the predictions change), " +
                          $"{P(acc[Conditions.Deleted].Accuracy)} with them deleted ({P(v.DeletedFlips)} change)";
            if (acc.TryGetValue(Conditions.Original, out var o)) line += $", {P(o.Accuracy)} on the documents without any insertion";
            line += all is null ? "." : $". The inserted tokens take {P(all.Mean)} of the attention (mean over heads, sum over tokens).";
            lines.Add(line);
            if (v.DeletedFlips >= 2 * v.MaskedFlips + 0.01)
                lines.Add($"{v.Model} model: deleting the tokens changes {P(v.DeletedFlips)} of the predictions but masking them only {P(v.MaskedFlips)}: " +
                          "the difference comes from moving every later word by k positions (another positional encoding), not from the tokens.");
            if (v.Strongest is { } s)
                lines.Add($"{v.Model} model: the attention that best separates the predicted classes is head {s.Head} on {s.Token}: AUROC {F(s.Auroc)} " +
                          $"(mean mass {G(s.Mean0)} for predicted negative, {G(s.Mean1)} for predicted positive). " +
                          (v.EncodesClass ? "Attention on label-free tokens encodes the class. " : "Attention on the inserted tokens does not encode the class by the probe's thresholds. ") +
                          (v.ReliesOnTokens ? "Masking them out of attention changes the predictions: the model relies on them (a shortcut)." : "Masking them out of attention barely changes the predictions."));
        }
        foreach (var model in explainers.Select(e => e.Model).Distinct())
        {
            var rows = explainers.Where(e => e.Model == model).ToList();
            var random = rows.FirstOrDefault(r => r.Method == ExplainerProbe.Random);
            var parts = rows.Where(r => r.Method != ExplainerProbe.Random).Select(r => $"{r.Method} {P(r.Top1)} top-1 / {P(r.AbsShare)} of |score|");
            lines.Add($"{model} model, explainers on {rows[0].Documents} test reviews (share of documents whose top word is an inserted token / mean share of |score| on them): " +
                      string.Join("; ", parts) + (random is null ? "." : $"; random reference {P(random.Top1)} / {P(random.AbsShare)}."));
            foreach (var family in new[] { "occlusion", "lime" })
                if (rows.FirstOrDefault(r => r.Method == family + "-delete") is { } del && rows.FirstOrDefault(r => r.Method == family + "-unk") is { } unk)
                    lines.Add($"{model} model, {family}: {P(del.AbsShare)} of |score| on the inserted tokens when words are deleted, {P(unk.AbsShare)} when they are " +
                              "replaced by UNK in place (no word moves): what deletion gives them beyond that is the position shift of the words after them.");
        }
        return lines;
    }

    public static void Write(string outDir, ShortcutSettings settings, ShortcutResult r)
    {
        var report = new HtmlReport("Combinatorial shortcuts: label-free tokens inserted into IMDB");
        report.Paragraph($"After Bai et al. (KDD 2021): {settings.Insertion.Count} fixed tokens ({string.Join(" ", settings.Insertion.TokenNames)}) " +
                         $"are inserted at position '{settings.Insertion.PositionName}' into every train, validation and test review (the text is truncated to fit). " +
                         "They carry no information about the label. The shortcut model is the paper's model trained on these documents; the control is the same " +
                         "model, vocabulary, recipe and seed trained without them, and evaluated with them.");
        report.Paragraph("Masked: the tokens are left out of every head's softmax, the other weights renormalised; nothing moves. Deleted: the tokens are " +
                         "removed and later words move back by k positions (other positional encodings), so deletion also measures a position shift; " +
                         "the control shows how much of it comes from the shift alone. In this model the [CLS] query is the same for every document, so " +
                         "the attention ratio between two inserted tokens at fixed positions is the same in every document: only the amount of attention " +
                         "the block receives, not which of its tokens, can vary with the document.");
        report.Heading("Reading");
        foreach (var line in r.Reading) report.Paragraph(line);

        report.Heading("Models");
        report.Table(["model", "folder", "reused", "training s", "best epoch", "validation accuracy"],
            r.Models.Select(m => (IReadOnlyList<object?>)[m.Role, m.Folder, m.Reused ? "yes" : "no", m.TrainingSeconds, m.BestEpoch, m.ValidationAccuracy]));

        report.Heading("Accuracy on the test reviews");
        report.Table(["model", "condition", "documents", "correct", "accuracy", "agreement with inserted"],
            r.Accuracy.Select(a => (IReadOnlyList<object?>)[a.Model, a.Condition, a.Documents, a.Correct, a.Accuracy, a.Agreement]),
            "inserted: with the tokens; masked: tokens left out of every head's softmax; deleted: tokens removed; original: encoded without insertion");

        report.Heading("Attention on the inserted tokens");
        var heads = r.Mass.Where(m => m.Group != "all").Select(m => m.Head).Distinct().ToList();
        var tokens = r.Mass.Select(m => m.Token).Distinct().ToList();
        var panels = new List<HeatmapPanel>();
        foreach (var model in r.Models.Select(m => m.Role))
            for (int c = 0; c <= 1; c++)
            {
                var values = new double[heads.Count, tokens.Count];
                for (int h = 0; h < heads.Count; h++)
                    for (int j = 0; j < tokens.Count; j++)
                        values[h, j] = r.Mass.FirstOrDefault(m => m.Model == model && m.Head == heads[h] && m.Token == tokens[j] && m.Group == "predicted" && m.Class == c.ToString(CultureInfo.InvariantCulture))?.Mean ?? double.NaN;
                panels.Add(new HeatmapPanel(values, heads.Select(HeadLabel).ToList(), tokens, $"{model}, predicted {(c == 1 ? "positive" : "negative")}"));
            }
        var massSvg = Heatmap.RenderGrid(panels, new HeatmapOptions { GridColumns = 2, Width = 900, Height = 620, ShowValues = true, ColorBarLabel = "mean attention", Title = "Mean attention on each inserted token, by predicted class" });
        AtomicFile.WriteAllText(Path.Combine(outDir, ShortcutStudy.MassSvg), massSvg);
        report.Figure(massSvg, "Mean [CLS]-row attention per head (rows; 'mean' = mean over heads) on each inserted token (columns; 'all' = their sum), in the documents predicted negative and positive.");

        var aurocPanels = r.Models.Select(m =>
        {
            var values = new double[heads.Count, tokens.Count];
            for (int h = 0; h < heads.Count; h++)
                for (int j = 0; j < tokens.Count; j++)
                    values[h, j] = (r.Separation.FirstOrDefault(s => s.Model == m.Role && s.Head == heads[h] && s.Token == tokens[j] && s.Group == "predicted")?.Auroc ?? double.NaN) - 0.5;
            return new HeatmapPanel(values, heads.Select(HeadLabel).ToList(), tokens, m.Role);
        }).ToList();
        var aurocSvg = Heatmap.RenderGrid(aurocPanels, new HeatmapOptions { GridColumns = 2, Width = 900, Height = 340, ShowValues = true, ColorMode = HeatmapColorMode.Diverging, ColorMax = 0.5, ColorBarLabel = "AUROC - 0.5", Title = "Does the attention on an inserted token separate the predicted classes?" });
        AtomicFile.WriteAllText(Path.Combine(outDir, ShortcutStudy.AurocSvg), aurocSvg);
        report.Figure(aurocSvg, "AUROC of the attention mass as a score for 'predicted positive', minus 0.5: 0 = no separation, ±0.5 = perfect separation.");

        report.Table(["model", "head", "token", "group", "n class 0", "n class 1", "mean class 0", "mean class 1", "difference", "AUROC"],
            r.Separation.Where(s => s.Head == ProbeStatistics.AllHeads || s.Token == ProbeStatistics.AllTokens)
                .Select(s => (IReadOnlyList<object?>)[s.Model, s.Head, s.Token, s.Group, s.Documents0, s.Documents1, s.Mean0, s.Mean1, s.Difference, s.Auroc]),
            $"Separation of the classes by attention mass (mean over heads per token, and every head on all tokens; the full table is {ShortcutStudy.SeparationCsv})");
        report.Table(["model", "token", "group", "class", "documents", "mean mass", "sd"],
            r.Mass.Where(m => m.Head == ProbeStatistics.AllHeads)
                .Select(m => (IReadOnlyList<object?>)[m.Model, m.Token, m.Group, m.Class, m.Documents, m.Mean, m.Sd]),
            $"Attention mass, mean over heads (per head in {ShortcutStudy.MassCsv})");

        if (r.Explainers.Count > 0)
        {
            report.Heading("What the explainers see");
            report.Table(["model", "method", "documents", "top-1 is inserted", "inserted in top-5", "share of |score| on inserted", "all-zero documents", "seconds"],
                r.Explainers.Select(e => (IReadOnlyList<object?>)[e.Model, e.Method, e.Documents, e.Top1, e.Top5, e.AbsShare, e.ZeroDocuments, e.Seconds]),
                "Word scores ranked by |score| (ties in document order); 'random' draws uniform scores per word");
        }
        report.Settings(new Dictionary<string, object?>
        {
            ["tokens"] = string.Join(" ", settings.Insertion.TokenNames),
            ["position"] = settings.Insertion.PositionName,
            ["recipe"] = settings.RecipeName,
            ["recipe details"] = settings.Recipe.ToString(),
            ["explained documents"] = settings.Docs,
            ["methods"] = string.Join(", ", settings.Methods),
            ["LIME"] = $"{settings.Explainers.LimeRuns} run(s) of {settings.Explainers.LimeSamples} samples, deletion",
            ["wall time (s)"] = r.Seconds,
        }, "Settings");
        AtomicFile.WriteAllText(Path.Combine(outDir, ShortcutStudy.ReportHtml), report.Build());
    }
}
