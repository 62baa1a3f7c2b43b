using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

/// <summary>
/// Scores that are zero by construction: G-avg (the mean of df/de_t's coordinates) on a model whose logits ignore a
/// constant added to all coordinates of a token's embedding. Measured in float64 on random models: on a pre-norm
/// Transformer the sums of the gradient's coordinates are rounding error (below 1e-15 of the largest entry), and the
/// catalogue declares G-avg zero there with the reason; on the paper's model and on a post-norm Transformer they are
/// not, and the catalogue declares nothing. No other method of the catalogue declares a degeneracy.
/// </summary>
public class ZeroByConstructionTests
{
    private static TransformerClassifier Transformer(NormPlacement norm, long seed, bool mask = false) =>
        new(new TransformerConfig(SmallModels.V, ModelDim: 8, Heads: 2, HeadDim: 4, Layers: 2, FeedForwardDim: 16, Dropout: 0, Length: 12, PaddingMask: mask, Norm: norm),
            seed, dtype: ScalarType.Float64);

    /// <summary>max over tokens t of |sum_k g_t,k| / max over t, k of |g_t,k|, float64 autograd, the words' rows.</summary>
    private static double RelativeCoordinateSum(ITextClassifier model, string text)
    {
        model.Module.eval();
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare(text);
        var pass = ModelPasses.Run(model, [doc], gradients: true, batchSize: 1)[0];
        var g = pass.Gradient!;
        int d = g.Length / model.Inputs.Length;
        double worstSum = 0, largest = 0;
        for (int t = 0; t <= doc.TokenCount; t++)   // [CLS] and the words
        {
            double sum = 0;
            for (int k = 0; k < d; k++) { sum += g[t * d + k]; largest = Math.Max(largest, Math.Abs(g[t * d + k])); }
            worstSum = Math.Max(worstSum, Math.Abs(sum));
        }
        Assert.True(largest > 1e-6, "the gradient is not trivially zero");
        return worstSum / largest;
    }

    [Theory]
    [InlineData(1L, false)]
    [InlineData(2L, true)]
    [InlineData(3L, false)]
    public void G_avg_is_zero_on_a_pre_norm_Transformer_and_declared_so(long seed, bool mask)
    {
        using var scope = NewDisposeScope();
        using var model = Transformer(NormPlacement.Pre, seed, mask);
        var rng = new Random((int)seed);
        for (int i = 0; i < 3; i++)
            Assert.True(RelativeCoordinateSum(model, SmallModels.RandomText(rng, 4 + 2 * i)) < 1e-15);
        Assert.True(model.InputIsLayerNormalized);
        var reason = ExplainerRegistry.InfoOf("G-avg").ZeroReason(model);
        Assert.NotNull(reason);
        Assert.Contains("LayerNorm", reason);
        Assert.Contains("sum to zero", reason);
    }

    [Fact]
    public void G_avg_is_not_zero_on_the_paper_model_nor_post_norm()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(5);
        using var paper = SmallModels.Create(7);
        using var post = Transformer(NormPlacement.Post, 7);
        foreach (var model in new ITextClassifier[] { paper, post })
        {
            Assert.True(RelativeCoordinateSum(model, SmallModels.RandomText(rng, 6)) > 1e-3, model.Describe());
            Assert.False(model.InputIsLayerNormalized);
            Assert.Null(ExplainerRegistry.InfoOf("G-avg").ZeroReason(model));
        }
    }

    /// <summary>The identity itself, without gradients: f(e + c 1 at one token) = f(e) on the pre-norm model, not on
    /// the post-norm one.</summary>
    [Fact]
    public void A_constant_added_to_a_token_embedding_leaves_a_pre_norm_model_unchanged()
    {
        using var scope = NewDisposeScope();
        foreach (var (norm, invariant) in new[] { (NormPlacement.Pre, true), (NormPlacement.Post, false) })
        {
            using var model = Transformer(norm, 11);
            model.eval();
            using var _ = no_grad();
            var ids = tensor(new long[] { 0, 3, 7, 5, 9, 1, 1, 1, 1, 1, 1, 1 }).view(1, 12);
            var e = model.Embed(ids);
            double f0 = model.Logits(e, null)[0, 1].item<double>();
            foreach (int t in new[] { 0, 2, 4 })
            {
                var shifted = e.clone();
                shifted[0, t] = shifted[0, t] + 0.75;
                double f1 = model.Logits(shifted, null)[0, 1].item<double>();
                if (invariant) Assert.True(Math.Abs(f1 - f0) < 1e-13 * Math.Max(1, Math.Abs(f0)), $"{norm} t={t}: {f0} vs {f1}");
                else Assert.True(Math.Abs(f1 - f0) > 1e-6, $"{norm} t={t}: {f0} vs {f1}");
            }
        }
    }

    [Fact]
    public void No_other_method_of_the_catalogue_declares_zero_scores_on_these_models()
    {
        using var scope = NewDisposeScope();
        using var pre = Transformer(NormPlacement.Pre, 1);
        using var post = Transformer(NormPlacement.Post, 1);
        using var paper = SmallModels.Create(1);
        foreach (var info in ExplainerRegistry.Catalogue.Where(i => i.Family != "G-avg"))
            foreach (var model in new ITextClassifier[] { pre, post, paper })
                Assert.Null(info.ZeroReason(model));
    }
}
