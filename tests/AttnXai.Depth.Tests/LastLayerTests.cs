using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using AttnXai.Explain.Metrics;

namespace AttnXai.Depth.Tests;

/// <summary>
/// The theorems on the last layer (<see cref="LastLayerView"/>) against independent references: autograd through the
/// models' own forward passes (float64), a layer norm's backward pass written here from its equation, and the paper's
/// Theorem 5.1 as AttnXai.Explain computes it.
/// </summary>
public sealed class LastLayerTests
{
    private const int V = 30, Length = 12;

    private static readonly Vocabulary Vocab =
        Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken }.Concat(Enumerable.Range(2, V - 2).Select(i => $"w{i}")));

    private const string Text = "w3 w7 w3 zzz w12 w5 w9 w7";

    private static AttentionClassifier Paper(long seed, bool mask) =>
        new(new ModelConfig(V, EmbedDim: 8, AttDim: 4, OutDim: 4, Heads: 2, Length: Length, PaddingMask: mask, InitRange: 0.7), seed, null, ScalarType.Float64);

    private static TransformerClassifier Transformer(long seed, int layers, NormPlacement norm, bool mask) =>
        new(new TransformerConfig(V, ModelDim: 8, Heads: 2, HeadDim: 4, Layers: layers, FeedForwardDim: 16, Dropout: 0, Length: Length, PaddingMask: mask, Norm: norm),
            seed, dtype: ScalarType.Float64);

    private static Tensor? Mask(ITextClassifier model, ExplainDocument doc) => model.Inputs.PaddingMask
        ? tensor(Enumerable.Range(0, Length).Select(t => t < doc.RealLength).ToArray(), [1, Length])
        : null;

    /// <summary>Autograd's df/dx [L, d] with respect to the model's input embeddings x (word + position), float64.</summary>
    private static double[] InputGradient(ITextClassifier model, ExplainDocument doc)
    {
        using var scope = NewDisposeScope();
        var x = model.Embed(tensor(doc.Ids, [1, Length])).detach().requires_grad_(true);
        var f = model.Explained(model.Logits(x, Mask(model, doc))).sum();
        return torch.autograd.grad([f], [x])[0].ToArray<double>();
    }

    private static double[] Rows(double[] g, int from, int count, int d) => g.AsSpan(from * d, count * d).ToArray();

    private static double MaxScaledError(double[] a, double[] b)
    {
        Assert.Equal(b.Length, a.Length);
        double err = 0, scale = 0;
        for (int i = 0; i < a.Length; i++) { err = Math.Max(err, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(b[i])); }
        Assert.True(scale > 1e-6, "a vanishing reference");
        return err / scale;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theorem41_on_the_one_layer_paper_model_is_autograds_input_gradient(bool mask)
    {
        using var model = Paper(5, mask);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config);
        var view = LastLayerView.OfPaper(PaperWeights.From(model), doc.Ids, doc.RealLength);
        // Every row, [CLS] included (its row carries the query term of the exact form).
        Assert.True(MaxScaledError(view.Gradient(), InputGradient(model, doc)) < 1e-10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theorem41_on_a_one_layer_post_norm_Transformer_is_the_input_gradient_on_the_word_rows(bool mask)
    {
        // Post-norm: the layer's e is its input x itself; a word row reaches f only through its key and value.
        using var model = Transformer(7, 1, NormPlacement.Post, mask);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config.Inputs);
        var view = LastLayerView.OfTransformer(model, doc.Ids, doc.RealLength);
        int T = doc.TokenCount, d = 8;
        Assert.True(MaxScaledError(Rows(view.Gradient(), 1, T, d), Rows(InputGradient(model, doc), 1, T, d)) < 1e-10);
    }

    [Fact]
    public void Theorem41_on_a_one_layer_pre_norm_Transformer_times_the_layer_norms_Jacobian_is_the_input_gradient()
    {
        using var model = Transformer(8, 1, NormPlacement.Pre, mask: false);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config.Inputs);
        var view = LastLayerView.OfTransformer(model, doc.Ids, doc.RealLength);
        int T = doc.TokenCount, d = 8;
        double[] x, gamma;
        using (var scope = NewDisposeScope())
        {
            x = model.Embed(tensor(doc.Ids, [1, Length])).ToArray<double>();
            gamma = model.Layers[0].gamma_1.ToArray<double>();
        }
        // e = gamma * xhat + beta, xhat = (x - mean) / s, s = sqrt(var + 1e-5):
        // df/dx = (1/s) (g' - mean(g') - xhat mean(g' xhat)) with g' = gamma * df/de, row by row.
        var theorem = view.Gradient();
        var pulled = new double[T * d];
        for (int t = 1; t <= T; t++)
        {
            var row = x.AsSpan(t * d, d);
            double mean = 0, var = 0;
            foreach (var v in row) mean += v;
            mean /= d;
            foreach (var v in row) var += (v - mean) * (v - mean);
            double s = Math.Sqrt(var / d + 1e-5);
            var xhat = new double[d];
            var gp = new double[d];
            for (int k = 0; k < d; k++) { xhat[k] = (row[k] - mean) / s; gp[k] = gamma[k] * theorem[t * d + k]; }
            double mg = gp.Average(), mgx = gp.Zip(xhat, (a, b) => a * b).Average();
            for (int k = 0; k < d; k++) pulled[(t - 1) * d + k] = (gp[k] - mg - xhat[k] * mgx) / s;
        }
        var input = Rows(InputGradient(model, doc), 1, T, d);
        Assert.True(MaxScaledError(pulled, input) < 1e-9);
        // ... and without the layer norm's Jacobian the closed form is not the input gradient.
        Assert.True(MaxScaledError(Rows(theorem, 1, T, d), input) > 1e-3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theorem41_on_the_last_of_two_layers_is_autograd_through_that_layer_and_not_the_input_gradient(bool mask)
    {
        // Post-norm, two layers: e of the last layer is x1, the first layer's output; f(x1) = W_c LastLayer(x1)[CLS] + b_c,
        // computed here with the model's own layer, differentiated by autograd.
        using var model = Transformer(9, 2, NormPlacement.Post, mask);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config.Inputs);
        var view = LastLayerView.OfTransformer(model, doc.Ids, doc.RealLength);
        int T = doc.TokenCount, d = 8;
        double[] reference;
        using (var scope = NewDisposeScope())
        {
            var m = Mask(model, doc);
            var padding = m?.logical_not().view(1, 1, 1, Length);
            using var ng = no_grad();
            var x1 = model.Layers[0].Forward(model.Embed(tensor(doc.Ids, [1, Length])), padding).Output.detach();
            using var eg = enable_grad();
            x1.requires_grad_(true);
            var y = model.Layers[1].Forward(x1, padding).Output;
            var f = F.linear(y.select(1, 0), model.W_c, model.b_c).select(1, 1).sum();
            reference = torch.autograd.grad([f], [x1])[0].ToArray<double>();
        }
        var theorem = Rows(view.Gradient(), 1, T, d);
        Assert.True(MaxScaledError(theorem, Rows(reference, 1, T, d)) < 1e-10);
        Assert.True(MaxScaledError(Rows(view.LayerGradient!, 1, T, d), Rows(reference, 1, T, d)) < 1e-10);
        // The question of the study: how far this is from the input gradient (here far: the first layer lies between).
        var input = Rows(InputGradient(model, doc), 1, T, d);
        Assert.True(AttnXai.Explain.Metrics.Agreement.RelativeL2(theorem, input) > 0.05);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theorem51_on_the_paper_model_is_the_papers_approximation(bool mask)
    {
        using var model = Paper(11, mask);
        var w = PaperWeights.From(model);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config);
        var view = LastLayerView.OfPaper(w, doc.Ids, doc.RealLength);
        var refIds = Enumerable.Repeat(w.UnkId, w.L).ToArray();
        refIds[0] = w.ClsId;
        var mine = view.LimeApproximation(LastLayerView.PaperEmbeddings(w, refIds), doc.WordOfToken, doc.WordCount);
        var paper = Theorem51.Approximate(w, doc).Words;
        Assert.True(MaxScaledError(mine, paper) < 1e-10);
    }

    [Fact]
    public void The_views_recomputed_logit_is_checked_against_the_model()
    {
        using var model = Transformer(12, 2, NormPlacement.Pre, mask: false);
        var doc = ExplainDocument.Prepare(Text, Vocab, model.Config.Inputs);
        // A float32 model is refused (the view is a float64 statement).
        using var single = new TransformerClassifier(model.Config, 12);
        Assert.Throws<ArgumentException>(() => LastLayerView.OfTransformer(single, doc.Ids, doc.RealLength));
        // The float64 one passes its own consistency check.
        var view = LastLayerView.OfTransformer(model, doc.Ids, doc.RealLength);
        Assert.Equal(2 * Length, view.Attention.Length);
        for (int i = 0; i < 2; i++) Assert.Equal(1.0, view.Attention.AsSpan(i * Length, Length).ToArray().Sum(), 12);
    }
}
