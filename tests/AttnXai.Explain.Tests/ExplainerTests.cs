using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

public class ExplainerTests
{
    [Fact]
    public void WordAggregation_Options_OnRepeatedWords()
    {
        // tokens: a b a c b a -> words a, b, c
        int[] wordOf = [0, 1, 0, 2, 1, 0];
        double[] s = [1, -2, 3, 4, 5, -6];
        Assert.Equal(new double[] { -6, 5, 4 }, WordScores.Aggregate(s, wordOf, 3));
        Assert.Equal(new double[] { -2, 3, 4 }, WordScores.Aggregate(s, wordOf, 3, WordAggregation.Sum));
        Assert.Equal(new double[] { -2.0 / 3, 1.5, 4 }, WordScores.Aggregate(s, wordOf, 3, WordAggregation.Mean));
        Assert.Equal(new double[] { 3, 5, 4 }, WordScores.Aggregate(s, wordOf, 3, WordAggregation.Max));
        Assert.Equal(new double[] { 7, 8, 7, 9, 8, 7 }, WordScores.Spread([7, 8, 9], wordOf));
        Assert.Throws<ArgumentException>(() => WordScores.Parse("median"));
    }

    [Fact]
    public void Documents_WordsInOrderOfFirstOccurrence_AfterCleaning()
    {
        var doc = SmallModels.Document(SmallModels.Config(), "W3, w2!! w3 -- W4?");
        Assert.Equal(new[] { "w3", "w2", "w3", "w4" }, doc.Tokens);
        Assert.Equal(new[] { "w3", "w2", "w4" }, doc.Words);
        Assert.Equal(new[] { 0, 1, 0, 2 }, doc.WordOfToken);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttentionExplainers_ReadTheForwardAttention(bool paddingMask)
    {
        using var model = SmallModels.Create(2, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5"), target.Prepare("w6 w7 zzz") };
        var avg = new AttentionExplainer(false).Explain(target, docs);
        var max = new AttentionExplainer(true).Explain(target, docs);
        int L = model.Config.Length, K = model.Config.Heads;
        for (int b = 0; b < docs.Length; b++)
        {
            using var scope = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            Tensor? mask = null;
            if (paddingMask)
            {
                var m = new bool[L];
                m.AsSpan(0, docs[b].RealLength).Fill(true);
                mask = torch.tensor(m, [1, L]);
            }
            var a = model.Forward(torch.tensor(docs[b].Ids, [1, L]), mask).Attention.ToArray<double>();
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                var heads = Enumerable.Range(0, K).Select(i => a[i * L + t + 1]).ToArray();
                Assert.Equal(heads.Average(), avg[b].TokenScores[t], 1e-14);
                Assert.Equal(heads.Max(), max[b].TokenScores[t], 1e-14);
            }
            // w2 occurs at tokens 0 and 3: the word score is the last occurrence's.
            if (b == 0) Assert.Equal(avg[b].TokenScores[3], avg[b].WordScores[0]);
        }
    }

    [Fact]
    public void GradientExplainers_EqualAutogradDoneHere()
    {
        using var model = SmallModels.Create(4);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w9"), target.Prepare("w6 w7") };
        var results = ExplainerRegistry.Create(["G-avg", "G-l1", "G-l2", "GxI"]).ToDictionary(e => e.Name, e => e.Explain(target, docs));
        int De = model.Config.EmbedDim;
        for (int b = 0; b < docs.Length; b++)
        {
            var (g, e, _) = TheoryTests.Autograd(model, docs[b]);
            var pass = PaperForwardPass.Run(PaperWeights.From(model), docs[b].Ids, docs[b].RealLength);
            var gxiClosed = Theorem41.GradientTimesInput(pass);
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                var row = g.AsSpan((t + 1) * De, De).ToArray();
                var er = e.AsSpan((t + 1) * De, De).ToArray();
                Assert.Equal(row.Average(), results["G-avg"][b].TokenScores[t], 1e-13);
                Assert.Equal(row.Sum(Math.Abs), results["G-l1"][b].TokenScores[t], 1e-13);
                Assert.Equal(Math.Sqrt(row.Sum(v => v * v)), results["G-l2"][b].TokenScores[t], 1e-13);
                double gxi = row.Zip(er, (x, y) => x * y).Sum();
                Assert.Equal(gxi, results["GxI"][b].TokenScores[t], 1e-13);
                Assert.Equal(gxiClosed[t + 1], results["GxI"][b].TokenScores[t], 1e-12);
            }
        }
    }

    [Theory]
    [InlineData(IgBaseline.Unk, false)]
    [InlineData(IgBaseline.Zero, false)]
    [InlineData(IgBaseline.Unk, true)]
    public void IntegratedGradients_Completeness(IgBaseline baseline, bool paddingMask)
    {
        using var model = SmallModels.Create(5, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w9 w11");
        var x = new IntegratedGradientsExplainer(128, baseline).Explain(target, [doc])[0];
        double delta = x.Diagnostics["output"] - x.Diagnostics["baseline_output"];
        Assert.True(Math.Abs(delta) > 1e-3, "the baseline should change the output");
        Assert.True(Math.Abs(x.Diagnostics["completeness_gap"]) < 1e-3 * Math.Abs(delta), $"gap {x.Diagnostics["completeness_gap"]:E2} for delta {delta:E2}");
        if (baseline == IgBaseline.Unk)
        {
            // Baseline [CLS] UNK ... UNK: only the words differ, so the token attributions alone add up.
            Assert.Equal(0.0, x.Diagnostics["cls_attribution"]);
            Assert.Equal(delta, x.TokenScores.Sum(), 1e-3 * Math.Abs(delta));
        }
        // Fewer steps, bigger gap: the check can fail.
        var coarse = new IntegratedGradientsExplainer(1, baseline).Explain(target, [doc])[0];
        Assert.True(Math.Abs(coarse.Diagnostics["completeness_gap"]) > Math.Abs(x.Diagnostics["completeness_gap"]));
    }

    [Fact]
    public void PerturbationExplainers_UseTheFastPath_AndGiveEveryOccurrenceItsWordScore()
    {
        using var model = SmallModels.Create(6);
        var fast = new ExplainTarget(model, SmallModels.Vocabulary, preferFast: true);
        var slow = new ExplainTarget(model, SmallModels.Vocabulary, preferFast: false);
        var doc = fast.Prepare("w2 w3 w4 w2 w5 w9 w3");
        var settings = new ExplainerSettings { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk], LimeSamples = 500, LimeRuns = 2 };
        foreach (var ex in ExplainerRegistry.Create(["lime", "occlusion", "shap"], settings))
        {
            var a = ex.Explain(fast, [doc])[0];
            var b = ex.Explain(slow, [doc])[0];
            Assert.True(ex.PerWord);
            Assert.Equal(doc.WordCount, a.WordScores.Length);
            for (int j = 0; j < doc.WordCount; j++) Assert.Equal(b.WordScores[j], a.WordScores[j], 1e-9);
            Assert.Equal(a.TokenScores[0], a.TokenScores[3]);
        }
        Assert.Equal(6, ExplainerRegistry.Create(["lime", "occlusion", "shap"], settings).Count);
        Assert.Equal(["lime-unk"], ExplainerRegistry.Create(["LIME-unk"]).Select(e => e.Name));
        Assert.Throws<ArgumentException>(() => ExplainerRegistry.Create(["attention-rollout"]));
    }

    [Fact]
    public void DocumentStudy_ReportsTinyGradientErrors_AndLimeAgreement()
    {
        using var model = SmallModels.Create(7);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w9 w3 w10");
        var r = DocumentStudy.Run(target, doc, new StudyOptions { Explainers = new() { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk], LimeRuns = 3, LimeSamples = 2000 }, LimitSamples = 100_000 });
        Assert.True(r.GradientAgreement.ClsMaxRelError < 1e-10);
        Assert.True(r.GradientAgreement.WordsMaxRelError < 1e-10);
        Assert.True(r.GradientAgreement.PaddingMaxRelError < 1e-10);
        Assert.True(r.GradientAgreement.AuthorsClsMaxRelError > 1e-3);
        Assert.Equal(2, r.Lime.Count);
        foreach (var l in r.Lime)
        {
            Assert.NotNull(l.Limit);
            // The mean of 3 runs of 2000 samples is close to the limit (LIME's noise only).
            Assert.True(l.MeanVsLimit!.RelativeL2 < 0.3, $"{l.Removal}: rel L2 {l.MeanVsLimit.RelativeL2}");
        }
        var rows = r.CsvRows(0).ToList();
        Assert.Equal(2, rows.Count);
        int cols = DocumentStudyResult.CsvHeader.Split(',').Length;
        Assert.All(rows, row => Assert.Equal(cols, row.Split(',').Length));
        Assert.DoesNotContain("NaN", string.Join("\n", rows));
    }
}
