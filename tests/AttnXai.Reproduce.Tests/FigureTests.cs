using AttnXai.Common.IO;
using System.Xml.Linq;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Reproduce.Tests;

public class FigureTests
{
    static List<string[]> Rows(string path) => Csv.Parse(File.ReadAllText(path)).Rows;

    static XDocument Svg(string path)
    {
        var x = XDocument.Parse(File.ReadAllText(path));
        Assert.Equal("svg", x.Root!.Name.LocalName);
        return x;
    }

    static int Count(XDocument x, string element) => x.Descendants().Count(e => e.Name.LocalName == element);

    [Fact]
    public void Figure1_csv_holds_attention_gradients_and_lime_computed_directly()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        var fo = Figures.Figure1(ctx, dir);
        var rows = Rows(Path.Combine(dir, "figure1.csv"));
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence);
        Assert.Equal(7, doc.TokenCount);
        Assert.Equal(7 * 7, rows.Count);
        double V(string name, int pos) => Csv.D(rows.Single(r => r[2] == name && r[0] == pos.ToString())[3]);

        // Direct: the model's [CLS]-row attention and autograd on a float64 copy.
        using var scope = torch.NewDisposeScope();
        var m64 = Analysis.Float64Copy(ctx.Model);
        var ids = torch.tensor(doc.Ids, [1, doc.Length]);
        var e = m64.Embed(ids).detach();
        e.requires_grad = true;
        var res = m64.ForwardEmbedded(e);
        res.PositiveLogit.sum().backward();
        var att = res.Attention.detach().ToArray<double>();   // [1, K, L]
        var g = e.grad!.ToArray<double>();
        var ev = e.detach().ToArray<double>();
        int K = ctx.Model.Config.Heads, L = doc.Length, De = ctx.Model.Config.EmbedDim;
        var lime = Lime.ExplainRepeated(ctx.Target.Perturbation(doc, RemovalMode.Delete), ctx.Settings.LimeRuns, ctx.Settings.Lime(ctx.Settings.Seed));
        for (int t = 1; t <= 7; t++)
        {
            var a = Enumerable.Range(0, K).Select(i => att[i * L + t]).ToArray();
            Assert.Equal(a.Average(), V("alpha-avg", t), 10);
            Assert.Equal(a.Max(), V("alpha-max", t), 10);
            var row = g.AsSpan(t * De, De).ToArray();
            Assert.Equal(row.Average(), V("G-avg", t), 10);
            Assert.Equal(row.Sum(Math.Abs), V("G-l1", t), 10);
            Assert.Equal(Math.Sqrt(row.Sum(x => x * x)), V("G-l2", t), 10);
            Assert.Equal(row.Select((x, d) => x * ev[t * De + d]).Sum(), V("GxI", t), 10);
            Assert.Equal(lime.MeanCoefficients[doc.WordOfToken[t - 1]], V("LIME", t), 12);
        }
        Assert.Single(fo.Findings);
        Assert.Contains("alpha-avg", fo.Findings[0]);
        var svg = Svg(Path.Combine(dir, "figure1.svg"));
        Assert.True(Count(svg, "rect") >= 49, "one highlight box per token and explainer");
        Assert.Contains(svg.Descendants(), x => x.Name.LocalName == "text" && x.Value.Contains("questionable"));
    }

    [Fact]
    public void Figure3_blocks_equal_softmax_of_QK_over_all_positions()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        Figures.Figure3(ctx, dir);
        var rows = Rows(Path.Combine(dir, "figure3.csv"));
        Assert.Equal(6 * 8 * 8, rows.Count);
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence);
        using var scope = torch.NewDisposeScope();
        var m64 = Analysis.Float64Copy(ctx.Model);
        var e = m64.Embed(torch.tensor(doc.Ids, [1, doc.Length]));
        var q = torch.einsum("bld,kad->bkla", e, m64.W_q);
        var k = m64.Keys(e);
        var a = q.matmul(k.transpose(2, 3)).div(Math.Sqrt(m64.Config.AttDim)).softmax(-1).ToArray<double>(); // [1, K, L, L]
        int L = doc.Length;
        foreach (var r in rows)
        {
            int h = int.Parse(r[0]) - 1, i = int.Parse(r[1]), j = int.Parse(r[3]);
            Assert.Equal(a[(h * L + i) * L + j], Csv.D(r[5]), 12);
        }
        // Row 0 is the model's own [CLS] attention.
        var cls = ctx.Model.Forward(torch.tensor(doc.Ids, [1, L])).Attention.ToArray<float>();
        Assert.Equal(cls[2 * L + 3], Csv.D(rows.Single(r => r[0] == "3" && r[1] == "0" && r[3] == "3")[5]), 5);
        var svg = Svg(Path.Combine(dir, "figure3.svg"));
        Assert.True(Count(svg, "rect") >= 6 * 64);
        Assert.Contains(svg.Descendants(), x => x.Name.LocalName == "text" && x.Value.Contains("head 6"));
    }

    [Fact]
    public void Figure4_theory_equals_the_direct_formula_and_csv_holds_the_lime_runs()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        var fo = Figures.Figure4(ctx, dir);
        var rows = Rows(Path.Combine(dir, "figure4.csv"));
        var doc = ctx.Target.Prepare(ctx.Test.Single(r => r.Id == 9657).Text);
        // Direct Theorem 5.1 with torch on a float64 copy: per head W_l[1] (alpha_t v_t - alpha^u_t v^u_t).
        using var scope = torch.NewDisposeScope();
        var m64 = Analysis.Float64Copy(ctx.Model);
        int L = doc.Length, K = 6;
        var unk = Enumerable.Repeat(1L, L).ToArray(); unk[0] = 0;
        var e = m64.Embed(torch.tensor(doc.Ids, [1, L]));
        var eu = m64.Embed(torch.tensor(unk, [1, L]));
        var alpha = m64.ForwardEmbedded(e).Attention.ToArray<double>();
        var alphaU = m64.ForwardEmbedded(eu).Attention.ToArray<double>();
        var wv = torch.einsum("kco,bklo->bklc", m64.W_l, m64.Values(e)).ToArray<double>();   // [1, K, L, C]
        var wvu = torch.einsum("kco,bklo->bklc", m64.W_l, m64.Values(eu)).ToArray<double>();
        var beta = new double[doc.WordCount];
        for (int i = 0; i < K; i++)
            for (int t = 1; t <= doc.TokenCount; t++)
                beta[doc.WordOfToken[t - 1]] += 1.5 / K * (alpha[i * L + t] * wv[(i * L + t) * 2 + 1] - alphaU[i * L + t] * wvu[(i * L + t) * 2 + 1]);
        var theoryRows = rows.Where(r => r[2] == "theorem5.1").ToList();
        Assert.Equal(2 * Math.Min(10, doc.WordCount), theoryRows.Count);
        foreach (var r in theoryRows) Assert.Equal(beta[Array.IndexOf(doc.Words, r[1])], Csv.D(r[4]), 10);
        // LIME runs: the same seeded runs, in both modes.
        foreach (var (mode, name) in new[] { (RemovalMode.Delete, "delete"), (RemovalMode.ReplaceWithUnk, "unk") })
        {
            var set = Lime.ExplainRepeated(ctx.Target.Perturbation(doc, mode), ctx.Settings.LimeRuns, ctx.Settings.Lime(ctx.Settings.Seed));
            var limeRows = rows.Where(r => r[0] == name && r[2] == "lime").ToList();
            Assert.Equal(Math.Min(10, doc.WordCount) * ctx.Settings.LimeRuns, limeRows.Count);
            foreach (var r in limeRows) Assert.Equal(set.Runs[int.Parse(r[3]) - 1].Coefficients[Array.IndexOf(doc.Words, r[1])], Csv.D(r[4]), 12);
            // The 10 words are those with the largest |beta| in the first run.
            var first = set.Runs[0].Coefficients;
            double cut = limeRows.Select(r => Math.Abs(first[Array.IndexOf(doc.Words, r[1])])).Min();
            Assert.True(Enumerable.Range(0, doc.WordCount).Count(j => Math.Abs(first[j]) > cut) < 10);
            var svg = Svg(Path.Combine(dir, $"figure4_{name}.svg"));
            Assert.True(Count(svg, "rect") + Count(svg, "line") > 10);
        }
        Assert.Equal(3, fo.Findings.Count);
    }

    [Fact]
    public void Figure5_csv_holds_autograd_and_theory_which_differ_only_on_cls()
    {
        var ctx = Fixtures.Context();
        var dir = Fixtures.TempDir();
        var fo = Figures.Figure5(ctx, dir);
        var rows = Rows(Path.Combine(dir, "figure5.csv"));
        Assert.Equal(2 * 10 * 8, rows.Count);
        var doc = ctx.Target.Prepare(ctx.Settings.Sentence);
        using var scope = torch.NewDisposeScope();
        var m64 = Analysis.Float64Copy(ctx.Model);
        var e = m64.Embed(torch.tensor(doc.Ids, [1, doc.Length])).detach();
        e.requires_grad = true;
        m64.ForwardEmbedded(e).PositiveLogit.sum().backward();
        var g = e.grad!.ToArray<double>();
        int De = 8;
        double clsDiff = 0;
        foreach (var r in rows)
        {
            int t = int.Parse(r[1]), c = int.Parse(r[3]);
            double v = Csv.D(r[4]);
            if (r[0] == "autograd") Assert.Equal(g[t * De + c], v, 12);
            else if (t > 0) Assert.Equal(g[t * De + c], v, 9);
            else clsDiff = Math.Max(clsDiff, Math.Abs(g[c] - v));
        }
        Assert.True(clsDiff > 1e-6, "the authors' form misses the [CLS] term");
        Assert.StartsWith("CLAIM HOLDS", fo.Findings[0]);
        var labels = rows.Where(r => r[0] == "autograd" && r[3] == "0").Select(r => r[2]).ToArray();
        Assert.Equal(["[CLS]", "attention", "based", "explanations", "are", "popular", "but", "questionable", "pad 1", "pad 2"], labels);
        var svg = Svg(Path.Combine(dir, "figure5.svg"));
        Assert.True(Count(svg, "rect") >= 2 * 80);
    }
}

public class StudyTests
{
    [Fact]
    public void Lime_study_row_holds_agreement_with_theorem_5_1_computed_directly()
    {
        var ctx = Fixtures.Context();
        var review = ctx.Test[3];
        var row = Studies.LimeRow(ctx, ctx.Target.Weights, review, 3, RemovalMode.ReplaceWithUnk);
        var h = Studies.LimeHeader;
        var doc = ctx.Target.Prepare(review.Text);
        var s = ctx.Settings;
        var seed = AttnXai.Common.Random.SplitMix64.Derive(s.Seed, 3UL);
        var lime = Lime.ExplainRepeated(ctx.Target.Perturbation(doc, RemovalMode.ReplaceWithUnk), s.LimeRuns, s.Lime(seed));
        var theory = AttnXai.Explain.Theory.Theorem51.Approximate(ctx.Target.Weights, doc).Words;
        var a = Agreement.Compare(lime.MeanCoefficients, theory, s.TopK);
        double V(string c) => Csv.D(row[Array.IndexOf(h, c)]);
        Assert.Equal(a.L2Distance, V("lime_theory_l2"), 8);
        Assert.Equal(a.Spearman, V("lime_theory_spearman"), 8);
        Assert.Equal(a.SignAgreement, V("lime_theory_sign"), 12);
        Assert.Equal(lime.CoefficientStdDev.Average(), V("lime_run_spread"), 8);
        // The limit: LIME with LimitSamples samples of the derived seed.
        var limit = Lime.Explain(ctx.Target.Perturbation(doc, RemovalMode.ReplaceWithUnk),
            s.Lime(AttnXai.Common.Random.SplitMix64.Derive(seed, 1000)) with { SampleCount = (int)s.LimitSamples }).Coefficients;
        Assert.Equal(Agreement.Compare(limit, theory, s.TopK).L2Distance, V("limit_theory_l2"), 8);
        Assert.Equal(doc.TokenCount, (int)V("tokens"));
        Assert.Equal(doc.WordCount, (int)V("words"));
        // Confidence: softmax of the model's own logits.
        using var scope = TorchSharp.torch.NewDisposeScope();
        var logits = ctx.Model.Forward(TorchSharp.torch.tensor(doc.Ids, [1, doc.Length])).Logits.ToArray<float>();
        double p1 = 1 / (1 + Math.Exp(logits[0] - logits[1]));
        Assert.Equal(Math.Max(p1, 1 - p1), V("confidence"), 5);
        Assert.Equal(logits[1], V("logit"), 5);
    }
}

public class LimeOnDocumentTests
{
    [Theory]
    [InlineData(RemovalMode.Delete, 5000)]
    [InlineData(RemovalMode.ReplaceWithUnk, 2048)]
    [InlineData(RemovalMode.ReplaceWithUnk, 37)]
    public void Streamed_lime_equals_stored_lime_on_the_same_samples(RemovalMode mode, int n)
    {
        var ctx = Fixtures.Context();
        var doc = ctx.Target.Prepare(ctx.Test.Single(r => r.Id == 9657).Text);
        var pm = ctx.Target.Perturbation(doc, mode);
        var expected = Lime.Explain(pm, new LimeOptions { SampleCount = n, Seed = 99 }).Coefficients;
        foreach (int chunk in new[] { 2000, 333, n })
        {
            var got = Lime.ExplainLargeSample(pm, n, new LimeOptions { Seed = 99, BatchSize = chunk }).Coefficients;
            Assert.Equal(expected.Length, got.Length);
            for (int j = 0; j < got.Length; j++) Assert.Equal(expected[j], got[j], 8);
        }
    }
}
