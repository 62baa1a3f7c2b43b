using AttnXai.Common.IO;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Plot;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Reproduce;

/// <summary>A written figure: its SVG and tidy CSV, and the facts the report states about it.</summary>
public sealed record FigureOutput(string Name, IReadOnlyList<string> SvgFiles, string CsvFile, IReadOnlyList<string> Findings);

/// <summary>The paper's figures 1, 3, 4 and 5: each computes its numbers, writes NAME.svg and NAME.csv (tidy) into outDir.</summary>
public static class Figures
{
    // ---- Figure 1 -------------------------------------------------------------------------------------------

    public static TokenExplanations Figure1Data(ReproduceContext ctx)
    {
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence, "figure 1");
        return Analysis.Explain(ctx, doc, ctx.Settings.LimeRuns, ctx.Settings.Lime(ctx.Settings.Seed));
    }

    public static FigureOutput Figure1(ReproduceContext ctx, string outDir)
    {
        var data = Figure1Data(ctx);
        var csv = new CsvTable("position", "token", "explainer", "value");
        foreach (var (name, values) in data.Rows)
            for (int t = 0; t < values.Length; t++) csv.Add(t + 1, data.Tokens[t], name, values[t]);
        var svg = HighlightedText.RenderSvg(data.Tokens, data.Rows.Select(r => new HighlightRow(r.Name, r.Values)).ToArray(),
            new HighlightOptions { Title = "Figure 1: seven explanations of the same sentence (green positive, red negative)" });
        Write(outDir, "figure1", svg, csv);
        return new FigureOutput("figure1", ["figure1.svg"], "figure1.csv", [Figure1Claim(data)]);
    }

    /// <summary>The claim: LIME gives a negative weight to at least one of alpha-avg's top three words (stated either way).</summary>
    public static string Figure1Claim(TokenExplanations data)
    {
        var alpha = data["alpha-avg"];
        var lime = data["LIME"];
        var top = Enumerable.Range(0, alpha.Length).OrderByDescending(t => alpha[t]).Take(3).ToArray();
        var detail = string.Join("; ", top.Select(t => $"'{data.Tokens[t]}' alpha-avg {alpha[t]:G4}, LIME {lime[t]:G4}"));
        bool holds = top.Any(t => lime[t] < 0);
        return holds
            ? $"CLAIM HOLDS: LIME gives a negative weight to a word attention ranks in its top three ({detail})."
            : $"CLAIM DOES NOT HOLD for this model: LIME gives no negative weight to alpha-avg's top three words ({detail}).";
    }

    // ---- Figure 3 -------------------------------------------------------------------------------------------

    public static (string[] Labels, double[][,] Blocks) Figure3Data(ReproduceContext ctx)
    {
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence, "figure 3");
        int n = Math.Min(doc.RealLength, 8);
        var labels = new[] { "[CLS]" }.Concat(doc.Tokens).Take(n).ToArray();
        // The full softmax(Q K^T / sqrt(d_att)) of each head over all L positions, as the authors' model computes it.
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var full = ctx.Model64.ForwardFullAttention(torch.tensor(doc.Ids, [1, doc.Length])).FullAttention!;
        var blocks = new double[ctx.Model.Config.Heads][,];
        for (int h = 0; h < blocks.Length; h++)
        {
            var a = full.select(0, 0).select(0, h).narrow(0, 0, n).narrow(1, 0, n).contiguous().ToArray<double>();
            blocks[h] = new double[n, n];
            for (int r = 0; r < n; r++) for (int c = 0; c < n; c++) blocks[h][r, c] = a[r * n + c];
        }
        return (labels, blocks);
    }

    public static FigureOutput Figure3(ReproduceContext ctx, string outDir)
    {
        var (labels, blocks) = Figure3Data(ctx);
        var csv = new CsvTable("head", "row", "row_token", "column", "column_token", "attention");
        var panels = new List<HeatmapPanel>();
        for (int h = 0; h < blocks.Length; h++)
        {
            for (int r = 0; r < labels.Length; r++)
                for (int c = 0; c < labels.Length; c++) csv.Add(h + 1, r, labels[r], c, labels[c], blocks[h][r, c]);
            panels.Add(new HeatmapPanel(blocks[h], labels, labels, $"head {h + 1}"));
        }
        var svg = Heatmap.RenderGrid(panels, new HeatmapOptions
        {
            Title = "Figure 3: attention matrices of the heads (top-left block: [CLS] and the words)",
            ColorMode = HeatmapColorMode.Sequential, GridColumns = 3, ColorBarLabel = "attention",
        });
        Write(outDir, "figure3", svg, csv);
        return new FigureOutput("figure3", ["figure3.svg"], "figure3.csv", []);
    }

    // ---- Figure 4 -------------------------------------------------------------------------------------------

    public sealed record Figure4Mode(RemovalMode Mode, string[] Words, double[][] LimeRuns, double[] Theory, AgreementReport MeanVsTheory);

    public static (ExplainDocument Doc, IReadOnlyList<Figure4Mode> Modes) Figure4Data(ReproduceContext ctx, string? text = null)
    {
        text ??= ctx.Test.FirstOrDefault(r => r.RelativePath == ctx.Settings.Figure4Review)?.Text
            ?? throw new InvalidOperationException($"the test reviews hold no {ctx.Settings.Figure4Review}");
        var doc = ctx.Target.Prepare(text, ctx.Settings.Figure4Review);
        var theory = Theorem51.Approximate(ctx.Target.Weights, doc).Words;
        var modes = new List<Figure4Mode>();
        foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
        {
            var set = Lime.ExplainRepeated(ctx.Target.Perturbation(doc, mode), ctx.Settings.LimeRuns, ctx.Settings.Lime(ctx.Settings.Seed));
            var first = set.Runs[0].Coefficients;
            var top = Enumerable.Range(0, doc.WordCount).OrderByDescending(j => Math.Abs(first[j])).ThenBy(j => j).Take(10).ToArray();
            modes.Add(new Figure4Mode(mode, top.Select(j => doc.Words[j]).ToArray(),
                top.Select(j => set.Runs.Select(r => r.Coefficients[j]).ToArray()).ToArray(),
                top.Select(j => theory[j]).ToArray(),
                Agreement.Compare(set.MeanCoefficients, theory, ctx.Settings.TopK)));
        }
        return (doc, modes);
    }

    public static FigureOutput Figure4(ReproduceContext ctx, string outDir, string? text = null)
    {
        var (doc, modes) = Figure4Data(ctx, text);
        var csv = new CsvTable("mode", "word", "source", "run", "value");
        var svgs = new List<string>();
        var findings = new List<string> { $"{ctx.Settings.Figure4Review}: T = {doc.TokenCount}, d = {doc.WordCount} (paper: T = 99, d = 71)." };
        foreach (var m in modes)
        {
            string mode = m.Mode.Name();
            for (int g = 0; g < m.Words.Length; g++)
            {
                for (int r = 0; r < m.LimeRuns[g].Length; r++) csv.Add(mode, m.Words[g], "lime", r + 1, m.LimeRuns[g][r]);
                csv.Add(mode, m.Words[g], "theorem5.1", "", m.Theory[g]);
            }
            var svg = Boxplot.Render(m.Words,
                [new BoxSeries($"LIME ({ctx.Settings.LimeRuns} runs, n = {ctx.Settings.LimeSamples})", m.LimeRuns.Select(x => (IReadOnlyList<double>)x).ToArray())],
                [new MarkerSeries("Theorem 5.1", m.Theory.Select(x => (double?)x).ToArray())],
                new BoxplotOptions { Title = $"Figure 4 ({mode}): LIME vs Theorem 5.1, 10 largest |beta|", YLabel = "coefficient", Width = 760 });
            var file = $"figure4_{mode}.svg";
            AtomicFile.WriteAllText(Path.Combine(outDir, file), svg);
            svgs.Add(file);
            var a = m.MeanVsTheory;
            findings.Add($"{mode}: mean of LIME runs vs Theorem 5.1 over all d words: relative L2 {a.RelativeL2:G4}, Pearson {a.Pearson:G4}, Spearman {a.Spearman:G4}, sign agreement {a.SignAgreement:G4}.");
        }
        csv.Write(Path.Combine(outDir, "figure4.csv"));
        return new FigureOutput("figure4", svgs, "figure4.csv", findings);
    }


    // ---- Figure 5 -------------------------------------------------------------------------------------------

    /// <summary>Rows ([CLS], the words, 2 padding rows) of the authors' Theorem 4.1, the exact form and autograd, [rows][d_e].</summary>
    public sealed record Figure5Result(string[] RowLabels, double[][] Theory, double[][] Exact, double[][] Autograd);

    public static Figure5Result Figure5Data(ReproduceContext ctx)
    {
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence, "figure 5");
        var th = Theorem41.Gradient(ctx.Target.Weights, doc.Ids, doc.RealLength);
        var ag = ModelPasses.Run(ctx.Model64, [doc], gradients: true)[0].Gradient!;
        int rows = Math.Min(doc.RealLength + 2, doc.Length), De = th.EmbedDim;
        var labels = Enumerable.Range(0, rows).Select(t => t == 0 ? "[CLS]" : t <= doc.TokenCount ? doc.Tokens[t - 1] : $"pad {t - doc.TokenCount}").ToArray();
        double[][] Rows(double[] g) => Enumerable.Range(0, rows).Select(t => g.AsSpan(t * De, De).ToArray()).ToArray();
        return new Figure5Result(labels, Rows(th.Authors), Rows(th.Exact), Rows(ag));
    }

    public static FigureOutput Figure5(ReproduceContext ctx, string outDir)
    {
        var data = Figure5Data(ctx);
        int cols = Math.Min(ctx.Settings.Figure5Columns, data.Theory[0].Length);
        var csv = new CsvTable("source", "row", "row_label", "coordinate", "value");
        foreach (var (name, m) in new[] { ("theorem4.1", data.Theory), ("autograd", data.Autograd) })
            for (int r = 0; r < m.Length; r++)
                for (int c = 0; c < cols; c++) csv.Add(name, r, data.RowLabels[r], c, m[r][c]);
        double[,] Block(double[][] m)
        {
            var b = new double[m.Length, cols];
            for (int r = 0; r < m.Length; r++) for (int c = 0; c < cols; c++) b[r, c] = m[r][c];
            return b;
        }
        var colLabels = Enumerable.Range(0, cols).Select(c => c % 10 == 0 ? c.ToString() : "").ToArray();
        var svg = Heatmap.RenderGrid(
            [new HeatmapPanel(Block(data.Theory), data.RowLabels, colLabels, "Theorem 4.1 (authors' form)"),
             new HeatmapPanel(Block(data.Autograd), data.RowLabels, colLabels, "autograd")],
            new HeatmapOptions { Title = "Figure 5: gradient of f w.r.t. the embeddings", ColorMode = HeatmapColorMode.Diverging, GridColumns = 1, Width = 900, ColorBarLabel = "gradient" });
        Write(outDir, "figure5", svg, csv);
        return new FigureOutput("figure5", ["figure5.svg"], "figure5.csv", [Figure5Claim(data)]);
    }

    /// <summary>The claim: theory and autograd coincide on every row but the authors' [CLS] row (checked numerically).</summary>
    public static string Figure5Claim(Figure5Result d)
    {
        double scale = d.Autograd.SelectMany(r => r).Max(Math.Abs);
        double Err(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        double cls = Err(d.Theory[0], d.Autograd[0]) / scale;
        double others = Enumerable.Range(1, d.Theory.Length - 1).Max(r => Err(d.Theory[r], d.Autograd[r])) / scale;
        double exactCls = Err(d.Exact[0], d.Autograd[0]) / scale;
        const double tol = 1e-8;
        bool holds = others < tol && cls > 1e3 * Math.Max(others, 1e-16) && exactCls < tol;
        return (holds ? "CLAIM HOLDS" : "CLAIM DOES NOT HOLD") +
            $": max |theory - autograd| / max |autograd|: [CLS] row (authors' form) {cls:G3}, other rows {others:G3}, [CLS] row (exact form) {exactCls:G3}.";
    }

    private static void Write(string outDir, string name, string svg, CsvTable csv)
    {
        AtomicFile.WriteAllText(Path.Combine(outDir, name + ".svg"), svg);
        csv.Write(Path.Combine(outDir, name + ".csv"));
    }
}
