using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

/// <summary>
/// The model contract on models the tests define (<see cref="BagOfEmbeddings"/>, <see cref="TinyAttention"/>): every
/// explainer that applies runs on them and follows its definition, recomputed here from the model's own forward pass;
/// an explainer that needs attention refuses a model without it, by message.
/// </summary>
public class ContractTests
{
    private static ITextClassifier Own(string kind, long seed, bool paddingMask = false) =>
        kind == "bag" ? new BagOfEmbeddings(seed, paddingMask) : new TinyAttention(seed, paddingMask);

    /// <summary>f of each row of ids (row-major, L each), straight through the model's Embed and Logits, unmasked
    /// except for the padding when the model uses a padding mask (real lengths given).</summary>
    private static double[] F(ITextClassifier model, long[] ids, int[] realLengths)
    {
        int L = model.Inputs.Length, n = realLengths.Length;
        using var scope = NewDisposeScope();
        using var ng = no_grad();
        Tensor? mask = null;
        if (model.Inputs.PaddingMask)
        {
            var m = new bool[n * L];
            for (int r = 0; r < n; r++) m.AsSpan(r * L, realLengths[r]).Fill(true);
            mask = tensor(m, [n, L]);
        }
        var logits = model.Logits(model.Embed(tensor(ids, [n, L])), mask);
        return logits.select(1, model.ExplainedClass).ToArray<double>();
    }

    /// <summary>The document's ids with every occurrence of the removed words replaced by UNK (written here, not with
    /// ExplainDocument.PerturbedIds).</summary>
    private static long[] WithUnk(ExplainDocument doc, ReadOnlySpan<bool> keep)
    {
        var ids = (long[])doc.Ids.Clone();
        for (int t = 0; t < doc.TokenCount; t++)
            if (!keep[doc.WordOfToken[t]]) ids[t + 1] = doc.UnkId;
        return ids;
    }

    [Theory]
    [InlineData("bag", false)]
    [InlineData("bag", true)]
    [InlineData("attention", false)]
    [InlineData("attention", true)]
    public void Gradient_methods_equal_central_finite_differences(string kind, bool paddingMask)
    {
        using var scope = NewDisposeScope();
        var model = Own(kind, 3, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5");
        var x = ExplainerRegistry.Create(["G-avg", "G-l1", "G-l2", "GxI"]).ToDictionary(e => e.Name, e => e.Explain(target, [doc])[0]);
        int L = model.Inputs.Length;
        var e0 = model.Embed(tensor(doc.Ids, [1, L])).detach();
        int d = (int)e0.shape[2];
        var mask = paddingMask ? tensor(Enumerable.Range(0, L).Select(t => t < doc.RealLength).ToArray(), [1, L]) : null;
        double Fe(Tensor e)
        {
            using var ng = no_grad();
            return model.Logits(e, mask).select(1, 1).ToDouble();
        }
        var flat = e0.ToArray<double>();
        const double h = 1e-6;
        for (int t = 0; t < doc.TokenCount; t++)
        {
            var g = new double[d];
            for (int k = 0; k < d; k++)
            {
                int at = (t + 1) * d + k;
                var plus = (double[])flat.Clone(); plus[at] += h;
                var minus = (double[])flat.Clone(); minus[at] -= h;
                g[k] = (Fe(tensor(plus, [1, L, d])) - Fe(tensor(minus, [1, L, d]))) / (2 * h);
            }
            var et = flat.AsSpan((t + 1) * d, d).ToArray();
            Assert.Equal(g.Average(), x["G-avg"].TokenScores[t], 1e-8);
            Assert.Equal(g.Sum(Math.Abs), x["G-l1"].TokenScores[t], 1e-8);
            Assert.Equal(Math.Sqrt(g.Sum(v => v * v)), x["G-l2"].TokenScores[t], 1e-8);
            Assert.Equal(g.Zip(et, (a, b) => a * b).Sum(), x["GxI"].TokenScores[t], 1e-8);
        }
        Assert.True(x["G-l2"].TokenScores.Max() > 1e-3, "the gradients are not all zero");
    }

    [Theory]
    [InlineData("bag")]
    [InlineData("attention")]
    public void Integrated_gradients_is_complete(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Own(kind, 4);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w9 w11");
        var x = new IntegratedGradientsExplainer(128).Explain(target, [doc])[0];
        double delta = x.Diagnostics["output"] - x.Diagnostics["baseline_output"];
        Assert.True(Math.Abs(delta) > 1e-3, "the baseline should change the output");
        Assert.True(Math.Abs(x.Diagnostics["completeness_gap"]) < 1e-3 * Math.Abs(delta), $"gap {x.Diagnostics["completeness_gap"]:E2} for delta {delta:E2}");
        var ids = doc.Ids;
        Assert.Equal(F(model, ids, [doc.RealLength])[0], x.Diagnostics["output"], 1e-12);
    }

    [Theory]
    [InlineData("bag")]
    [InlineData("attention")]
    public void Lime_is_the_weighted_ridge_of_the_models_outputs(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Own(kind, 5);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        Assert.False(target.UsesFastPath);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w9 w3 w7");
        int d = doc.WordCount, n = 400;
        var masks = SmallModels.RandomMasks(new Random(11), n, d);
        masks.AsSpan(0, d).Fill(true);
        var lime = new LimeExplainer(RemovalMode.ReplaceWithUnk, new LimeOptions { SampleCount = n }, runs: 1);
        var r = lime.ExplainWithMasks(target, doc, masks);

        // The outputs, LIME's kernel (100 x cosine distance to the all-ones row, sqrt(exp(-D^2 / 25^2))) and the fit, here.
        var ids = new long[n * doc.Length];
        for (int i = 0; i < n; i++) WithUnk(doc, masks.AsSpan(i * d, d)).CopyTo(ids, i * doc.Length);
        var y = F(model, ids, Enumerable.Repeat(doc.RealLength, n).ToArray());
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            int k = masks.AsSpan(i * d, d).Count(true);
            double dist = k == 0 ? 100 : 100 * (1 - k / (Math.Sqrt(k) * Math.Sqrt(d)));
            w[i] = Math.Sqrt(Math.Exp(-dist * dist / (25.0 * 25.0)));
        }
        var (c, beta) = LimeRidgeTests.ReferenceFit(masks, y, w, d, 1.0);
        Assert.Equal(c, r.Intercept, 1e-9);
        for (int j = 0; j < d; j++) Assert.Equal(beta[j], r.Coefficients[j], 1e-9);
        Assert.True(beta.Max(Math.Abs) > 1e-3, "the coefficients are not all zero");
    }

    [Theory]
    [InlineData("bag")]
    [InlineData("attention")]
    public void Occlusion_and_exact_shap_follow_their_definitions(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Own(kind, 6);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w6");
        int d = doc.WordCount, L = doc.Length;
        double full = F(model, doc.Ids, [doc.RealLength])[0];
        var occ = new OcclusionExplainer(RemovalMode.ReplaceWithUnk).Explain(target, [doc])[0];
        for (int j = 0; j < d; j++)
        {
            var keep = Enumerable.Repeat(true, d).ToArray();
            keep[j] = false;
            Assert.Equal(full - F(model, WithUnk(doc, keep), [doc.RealLength])[0], occ.WordScores[j], 1e-12);
        }
        // Exact Shapley values (d = 5 is below the exact limit): they add up to f(x) - f(every word UNK) ...
        var shap = new KernelShapExplainer(RemovalMode.ReplaceWithUnk).Explain(target, [doc])[0];
        Assert.Equal(1.0, shap.Diagnostics["exact"]);
        double empty = F(model, WithUnk(doc, new bool[d]), [doc.RealLength])[0];
        Assert.Equal(full - empty, shap.WordScores.Sum(), 1e-9);
        // ... and the first word's equals the average of its marginal contributions over all coalitions, computed here.
        double phi0 = 0;
        for (int s = 0; s < 1 << (d - 1); s++)
        {
            var keep = new bool[d];
            int size = 0;
            for (int j = 1; j < d; j++) if ((s >> (j - 1) & 1) == 1) { keep[j] = true; size++; }
            double without = F(model, WithUnk(doc, keep), [doc.RealLength])[0];
            keep[0] = true;
            double with = F(model, WithUnk(doc, keep), [doc.RealLength])[0];
            phi0 += Factorial(size) * Factorial(d - size - 1) / Factorial(d) * (with - without);
        }
        Assert.Equal(phi0, shap.WordScores[0], 1e-9);
        _ = L;
    }

    private static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_methods_read_the_cls_row_of_a_model_that_reports_full_maps(bool paddingMask)
    {
        using var scope = NewDisposeScope();
        var model = new TinyAttention(7, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5");
        var avg = new AttentionExplainer(false).Explain(target, [doc])[0];
        int L = doc.Length;
        var mask = paddingMask ? tensor(Enumerable.Range(0, L).Select(t => t < doc.RealLength).ToArray(), [1, L]) : null;
        using var ng = no_grad();
        var a = model.LogitsAndAttention(((ITextClassifier)model).Embed(tensor(doc.Ids, [1, L])), mask).Attention[0].ToArray<double>();  // [1, 1, L, L]
        for (int t = 0; t < doc.TokenCount; t++) Assert.Equal(a[t + 1], avg.TokenScores[t], 1e-14);
        if (paddingMask) Assert.Equal(0.0, a[doc.RealLength]);
    }

    [Fact]
    public void Methods_that_need_attention_refuse_a_model_without_it_by_message()
    {
        using var scope = NewDisposeScope();
        var model = new BagOfEmbeddings(8);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3");
        foreach (var name in new[] { "alpha-avg", "alpha-max" })
        {
            var e = Assert.Throws<ArgumentException>(() => ExplainerRegistry.Create([name])[0].Explain(target, [doc]));
            Assert.Equal($"{name} needs attention maps (a model implementing IAttentionModel); the model (BagOfEmbeddings) offers logits, embedding gradients", e.Message);
        }
        // The paper's closed forms need the paper's model.
        var closed = Assert.Throws<ArgumentException>(() => target.Weights);
        Assert.Contains("needs the paper's attention classifier", closed.Message);
        // Every method that needs nothing special runs.
        var settings = new ExplainerSettings { Removals = RemovalNames.All, LimeSamples = 200, LimeRuns = 1, IgSteps = 8 };
        var usable = ExplainerRegistry.Catalogue.Where(i => i.Supports(model)).SelectMany(i => i.Names).ToList();
        Assert.DoesNotContain("alpha-avg", usable);
        foreach (var ex in ExplainerRegistry.Create(usable, settings))
            Assert.Equal(doc.WordCount, ex.Explain(target, [doc])[0].WordScores.Length);
    }
}
