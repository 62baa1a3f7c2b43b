using AttnXai.Explain.Adapters;
using AttnXai.Explain.FastPath;
using AttnXai.Explain.Theory;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

public class FastPathTests
{
    [Theory]
    [InlineData(RemovalMode.Delete, false, false)]
    [InlineData(RemovalMode.Delete, true, false)]
    [InlineData(RemovalMode.ReplaceWithUnk, false, false)]
    [InlineData(RemovalMode.ReplaceWithUnk, true, false)]
    [InlineData(RemovalMode.Delete, false, true)]
    [InlineData(RemovalMode.ReplaceWithUnk, true, true)]
    public void FastPath_EqualsTheFullForward_Float64(RemovalMode mode, bool paddingMask, bool forceExponentials)
    {
        var rng = new Random(100 + (int)mode * 10 + (paddingMask ? 1 : 0));
        int total = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            using var model = SmallModels.Create(seed, paddingMask);
            var target = new ExplainTarget(model, SmallModels.Vocabulary);
            var doc = target.Prepare(SmallModels.RandomText(rng, 3 + rng.Next(target.Inputs.Length - 3)));
            var fast = target.FastPath.For(doc, mode, forceExponentials);
            Assert.Equal(!forceExponentials, fast.UsesProducts);
            var generic = new ScorerPerturbationModel(target.Scorer, doc, mode);
            int n = 1000;
            var masks = SmallModels.RandomMasks(rng, n, doc.WordCount);
            var a = fast.Evaluate(masks, n);
            var b = generic.Evaluate(masks, n);
            for (int r = 0; r < n; r++)
                Assert.True(Math.Abs(a[r] - b[r]) <= 1e-10 * Math.Max(Math.Abs(b[r]), 1e-3),
                    $"seed {seed}, row {r}: fast {a[r]:R} vs forward {b[r]:R}");
            total += n;
        }
        Assert.Equal(4000, total);
    }

    [Theory]
    [InlineData(RemovalMode.Delete, false)]
    [InlineData(RemovalMode.ReplaceWithUnk, true)]
    public void FastPath_OfAFloat32Model_MatchesItsForward(RemovalMode mode, bool paddingMask)
    {
        var rng = new Random(5);
        using var model = SmallModels.Create(9, paddingMask, ScalarType.Float32);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare(SmallModels.RandomText(rng, 10));
        var masks = SmallModels.RandomMasks(rng, 2000, doc.WordCount);
        var a = target.FastPath.For(doc, mode).Evaluate(masks, 2000);
        var b = new ScorerPerturbationModel(target.Scorer, doc, mode).Evaluate(masks, 2000);
        Assert.True(SmallModels.ScaledError(a, b) < 1e-5, $"error {SmallModels.ScaledError(a, b):E2}");
    }

    [Fact]
    public void FastPath_StaysExact_WhenScoresAreHuge()
    {
        // InitRange 40 gives scores in the thousands: the product form would underflow, so rows use exponentials.
        var rng = new Random(3);
        using var model = SmallModels.Create(2, initRange: 40);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare(SmallModels.RandomText(rng, 10));
        var fast = target.FastPath.For(doc, RemovalMode.Delete);
        Assert.False(fast.UsesProducts);
        var masks = SmallModels.RandomMasks(rng, 500, doc.WordCount);
        var a = fast.Evaluate(masks, 500);
        var b = new ScorerPerturbationModel(target.Scorer, doc, RemovalMode.Delete).Evaluate(masks, 500);
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
        Assert.True(SmallModels.ScaledError(a, b) < 1e-9, $"error {SmallModels.ScaledError(a, b):E2}");
    }

    [Fact]
    public void FastPath_ParallelRows_EqualSequentialRows()
    {
        var rng = new Random(8);
        using var model = SmallModels.Create(4);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare(SmallModels.RandomText(rng, 11));
        var fast = target.FastPath.For(doc, RemovalMode.Delete);
        int n = fast.ParallelThreshold + 4000;  // split across threads
        var masks = SmallModels.RandomMasks(rng, n, doc.WordCount);
        var par = fast.Evaluate(masks, n);
        var seq = target.FastPath.For(doc, RemovalMode.Delete);
        for (int r = 0; r < n; r += 97)
            Assert.Equal(par[r], seq.EvaluateRow(masks.AsSpan(r * doc.WordCount, doc.WordCount)));
    }

    [Theory]
    [InlineData(RemovalMode.Delete)]
    [InlineData(RemovalMode.ReplaceWithUnk)]
    public void Lime_WithSuppliedMasks_GivesTheSameCoefficients_OnBothPaths(RemovalMode mode)
    {
        var rng = new Random(21);
        using var model = SmallModels.Create(6);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w6 zzz w7 w3 w8");
        int d = doc.WordCount, n = 3000;
        var masks = LimeSampler.Sample(d, n, 77);
        var fastY = PerturbationModels.For(target, doc, mode, preferFast: true).Evaluate(masks, n);
        var slowY = PerturbationModels.For(target, doc, mode, preferFast: false).Evaluate(masks, n);
        var a = Lime.Fit(masks, fastY, d).Coefficients;
        var b = Lime.Fit(masks, slowY, d).Coefficients;
        Assert.True(a.Max(Math.Abs) > 1e-4, "coefficients should not vanish");
        for (int j = 0; j < d; j++) Assert.True(Math.Abs(a[j] - b[j]) < 1e-9, $"word {j}: {a[j]:R} vs {b[j]:R}");
        // And through Lime.Explain on the adapters directly.
        var viaExplainFast = Lime.Explain(PerturbationModels.For(target, doc, mode, true), masks).Coefficients;
        var viaExplainSlow = Lime.Explain(PerturbationModels.For(target, doc, mode, false), masks).Coefficients;
        for (int j = 0; j < d; j++) Assert.True(Math.Abs(viaExplainFast[j] - viaExplainSlow[j]) < 1e-9);
    }

    [Fact]
    public void PerturbedIds_DeleteShiftsLeft_UnkReplacesInPlace()
    {
        var cfg = SmallModels.Config();
        var doc = SmallModels.Document(cfg, "w2 w3 w2 w4");
        Assert.Equal(new[] { "w2", "w3", "w4" }, doc.Words);
        var ids = new long[cfg.Length];
        int real = doc.PerturbedIds([false, true, true], RemovalMode.Delete, ids);
        Assert.Equal(3, real);
        Assert.Equal(new long[] { 0, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, ids);
        real = doc.PerturbedIds([false, true, true], RemovalMode.ReplaceWithUnk, ids);
        Assert.Equal(5, real);
        Assert.Equal(new long[] { 0, 1, 3, 1, 4, 1, 1, 1, 1, 1, 1, 1 }, ids);
    }

    [Fact]
    public void Theorem51_ReferenceIsTheAllUnkDocument_ZeroForAnAllUnknownText()
    {
        using var model = SmallModels.Create(5);
        var w = PaperWeights.From(model);
        var doc = SmallModels.Document(model.Config, "qqq rrr");
        var th = Theorem51.Approximate(w, doc);
        Assert.All(th.Words, v => Assert.Equal(0.0, v, 1e-15));
    }
}
