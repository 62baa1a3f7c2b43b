using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

/// <summary>
/// The explainers for depth: attention rollout and the gradient-weighted rollout against hand-computed values on a
/// two-layer model whose maps and logits the test sets, against plain float64 loops on a two-layer Transformer, and
/// their reductions on one layer (the paper's model and the tests' one-head model); alpha-avg and alpha-max read the
/// last layer's [CLS] row.
/// </summary>
public class RolloutTests
{
    /// <summary>
    /// Two layers of one head over L = 3 positions ([CLS] and two words) whose maps are given, A_l = softmax(log M_l) =
    /// M_l, and whose explained logit is f = sum_qk C1_qk A1_qk + sum_qk C2_qk A2_qk, so that df/dA_l = C_l exactly.
    /// The embeddings take no part.
    /// </summary>
    private sealed class ControlledMaps : nn.Module, IAttentionModel
    {
        public static readonly double[,] M1 = { { 0.5, 0.25, 0.25 }, { 0.125, 0.75, 0.125 }, { 0.25, 0.5, 0.25 } };
        public static readonly double[,] M2 = { { 0.25, 0.5, 0.25 }, { 0.5, 0.25, 0.25 }, { 0.25, 0.25, 0.5 } };
        public static readonly double[,] C1 = { { 4, -8, 4 }, { 8, 4, -8 }, { -8, 4, 4 } };
        public static readonly double[,] C2 = { { 2, -4, 8 }, { 1, 1, 1 }, { 1, 1, 1 } };

        public ControlledMaps(bool copyMaps = false) : base("ControlledMaps")
        {
            _copy = copyMaps;
            S1 = new Parameter(tensor(M1, ScalarType.Float64).log().view(1, 1, 3, 3), requires_grad: true);
            S2 = new Parameter(tensor(M2, ScalarType.Float64).log().view(1, 1, 3, 3), requires_grad: true);
            W_e = new Parameter(zeros(SmallModels.V, 2, ScalarType.Float64), requires_grad: true);
            RegisterComponents();
        }

        private readonly bool _copy;
        public Parameter S1 { get; private set; }
        public Parameter S2 { get; private set; }
        public Parameter W_e { get; private set; }

        public nn.Module Module => this;
        public TextInputs Inputs { get; } = new(3, SmallModels.V);
        public int Classes => 2;
        public int Layers => 2;
        public int Heads => 1;
        public ScalarType DType => ScalarType.Float64;
        public Device Device => CPU;
        public Tensor WordEmbed(Tensor ids) => Functional.embedding(ids, W_e);
        public Tensor? PositionEncoding => null;
        public Tensor Logits(Tensor embedded, Tensor? mask) => LogitsAndAttention(embedded, mask).Logits;

        public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
        {
            long b = embedded.size(0);
            var a1 = S1.expand(b, 1, 3, 3).softmax(-1);
            var a2 = S2.expand(b, 1, 3, 3).softmax(-1);
            var f = a1.mul(tensor(C1, ScalarType.Float64)).sum([1, 2, 3]).add(a2.mul(tensor(C2, ScalarType.Float64)).sum([1, 2, 3]));
            var logits = stack([zeros_like(f), f], 1);
            return (logits, _copy ? [a1, a2.clone()] : [a1, a2]);
        }
    }

    private static ExplainDocument Doc(IAttentionModel model) => ExplainDocument.Prepare("w2 w3", SmallModels.Vocabulary, model.Inputs);

    [Fact]
    public void Rollout_on_two_given_layers_is_the_hand_computed_cls_row_of_A2_times_A1()
    {
        using var scope = NewDisposeScope();
        var model = new ControlledMaps();
        var x = new AttentionRolloutExplainer().Explain(new ExplainTarget(model), [Doc(model)])[0];
        // (A~2)_0 = ((1/4 + 1) / 2, 1/2 / 2, 1/4 / 2) = (5/8, 1/4, 1/8); the rows of A~1 = (M1 + I) / 2 are
        // (3/4, 1/8, 1/8), (1/16, 7/8, 1/16), (1/8, 1/4, 5/8); (A~2 A~1)_0 = 5/8 row_0 + 1/4 row_1 + 1/8 row_2
        // = (1/2, 21/64, 11/64). The other order, (A~1 A~2)_0, would give 18/64 for the first word.
        Assert.Equal(21.0 / 64, x.TokenScores[0], 1e-14);
        Assert.Equal(11.0 / 64, x.TokenScores[1], 1e-14);
        Assert.False(ExplainerRegistry.IsSigned("rollout"));
    }

    [Fact]
    public void Gradient_rollout_on_two_given_layers_is_the_hand_computed_cls_row()
    {
        using var scope = NewDisposeScope();
        var model = new ControlledMaps();
        var x = new GradientRolloutExplainer().Explain(new ExplainTarget(model), [Doc(model)])[0];
        // A_bar_l = (C_l . M_l)^+: row 0 of A_bar_2 = (1/2, -2, 2)^+ = (1/2, 0, 2); A_bar_1 = [(2, -2, 1), (1, 3, -1),
        // (-2, 2, 1)]^+ = [(2, 0, 1), (1, 3, 0), (0, 2, 1)]. R = (I + A_bar_2)(I + A_bar_1): r = e_0 + e_0 A_bar_2 =
        // (3/2, 0, 2), then r + r A_bar_1 = (3/2, 0, 2) + 3/2 (2, 0, 1) + 2 (0, 2, 1) = (9/2, 4, 11/2).
        // The other order gives (4.75, 0.25, 7.5).
        Assert.Equal(4.0, x.TokenScores[0], 1e-12);
        Assert.Equal(5.5, x.TokenScores[1], 1e-12);
        Assert.Equal(0.0, x.Diagnostics["output"] - Output(), 12);
        Assert.False(ExplainerRegistry.IsSigned("grad-rollout"));

        static double Output()
        {
            double f = 0;
            for (int q = 0; q < 3; q++)
                for (int k = 0; k < 3; k++) f += ControlledMaps.C1[q, k] * ControlledMaps.M1[q, k] + ControlledMaps.C2[q, k] * ControlledMaps.M2[q, k];
            return f;
        }
    }

    /// <summary>
    /// One layer of two heads over L = 3 positions whose maps are given (A^(h) = softmax(log M^(h)) = M^(h)) and whose
    /// explained logit is f = sum_h sum_qk C^(h)_qk A^(h)_qk, so that df/dA^(h) = C^(h); the heads' terms disagree in
    /// sign on the [CLS] row, where clamping each head before the mean and clamping the mean differ.
    /// </summary>
    private sealed class ControlledHeads : nn.Module, IAttentionModel
    {
        public static readonly double[,,] M = { { { 0.5, 0.25, 0.25 }, { 0.25, 0.5, 0.25 }, { 0.25, 0.25, 0.5 } }, { { 0.25, 0.5, 0.25 }, { 0.5, 0.25, 0.25 }, { 0.25, 0.25, 0.5 } } };
        public static readonly double[,,] C = { { { 0, 8, -4 }, { 1, 1, 1 }, { 1, 1, 1 } }, { { 0, -2, 4 }, { 1, 1, 1 }, { 1, 1, 1 } } };

        public ControlledHeads() : base("ControlledHeads")
        {
            S = new Parameter(tensor(M, ScalarType.Float64).log().view(1, 2, 3, 3), requires_grad: true);
            W_e = new Parameter(zeros(SmallModels.V, 2, ScalarType.Float64), requires_grad: true);
            RegisterComponents();
        }

        public Parameter S { get; private set; }
        public Parameter W_e { get; private set; }
        public nn.Module Module => this;
        public TextInputs Inputs { get; } = new(3, SmallModels.V);
        public int Classes => 2;
        public int Layers => 1;
        public int Heads => 2;
        public ScalarType DType => ScalarType.Float64;
        public Device Device => CPU;
        public Tensor WordEmbed(Tensor ids) => Functional.embedding(ids, W_e);
        public Tensor? PositionEncoding => null;
        public Tensor Logits(Tensor embedded, Tensor? mask) => LogitsAndAttention(embedded, mask).Logits;

        public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
        {
            long b = embedded.size(0);
            var a = S.expand(b, 2, 3, 3).softmax(-1);
            var f = a.mul(tensor(C, ScalarType.Float64)).sum([1, 2, 3]);
            return (stack([zeros_like(f), f], 1), [a]);
        }
    }

    [Fact]
    public void Gradient_rollout_clamps_each_head_before_the_head_mean()
    {
        using var scope = NewDisposeScope();
        var model = new ControlledHeads();
        var x = new GradientRolloutExplainer().Explain(new ExplainTarget(model), [Doc(model)])[0];
        // The [CLS] row of the heads' df/dA^(h) * A^(h): head 1 (0, 2, -1), head 2 (0, -1, 1). One layer: R = I + A_bar,
        // scores A_bar[0, 1..2]. Clamp, then mean: ((2 + 0) / 2, (0 + 1) / 2) = (1, 1/2), what the code computes (and
        // Chefer et al.'s Eq. 5). Mean, then clamp, would give ((2 - 1) / 2, (-1 + 1) / 2)^+ = (1/2, 0).
        Assert.Equal(1.0, x.TokenScores[0], 1e-14);
        Assert.Equal(0.5, x.TokenScores[1], 1e-14);
    }

    [Fact]
    public void Gradient_rollout_refuses_a_map_outside_the_graph()
    {
        using var scope = NewDisposeScope();
        var model = new ControlledMaps(copyMaps: true);
        var e = Assert.Throws<ArgumentException>(() => new GradientRolloutExplainer().Explain(new ExplainTarget(model), [Doc(model)]));
        Assert.StartsWith("grad-rollout: the attention map of layer 2 of 2 of ControlledMaps is not part of the graph of its logits", e.Message);
        var bag = new ExplainTarget(new BagOfEmbeddings(3), SmallModels.Vocabulary);
        var refused = Assert.Throws<ArgumentException>(() => new AttentionRolloutExplainer().Explain(bag, [bag.Prepare("w2")]));
        Assert.StartsWith("rollout needs attention maps", refused.Message);
    }

    // ---- a two-layer Transformer against float64 loops ------------------------------------------------------

    private static TransformerClassifier Transformer(long seed, bool mask, int layers = 2) =>
        new(new TransformerConfig(SmallModels.V, ModelDim: 8, Heads: 2, HeadDim: 4, Layers: layers, FeedForwardDim: 16, Dropout: 0, Length: 12, PaddingMask: mask),
            seed, dtype: ScalarType.Float64);

    /// <summary>Every layer's maps [H, L, L] (double[l][h, q, k]) and their gradients df/dA of one document, from the
    /// model's own forward pass.</summary>
    private static (double[][,,] Maps, double[][,,] Grads) MapsOf(TransformerClassifier model, ExplainDocument doc)
    {
        using var scope = NewDisposeScope();
        int L = doc.Length, H = model.Config.Heads;
        var ids = tensor(doc.Ids, [1, L]);
        Tensor? mask = model.Config.PaddingMask ? tensor(Enumerable.Range(0, L).Select(t => t < doc.RealLength).ToArray(), [1, L]) : null;
        var e = ((ITextClassifier)model).Embed(ids).detach().requires_grad_(true);
        var (logits, maps) = model.LogitsAndAttention(e, mask);
        var grads = torch.autograd.grad([logits.select(1, 1).sum()], [.. maps]);
        double[,,] Cube(Tensor t)
        {
            var v = t.detach().ToArray<double>();
            var c = new double[H, L, L];
            for (int h = 0; h < H; h++) for (int q = 0; q < L; q++) for (int k = 0; k < L; k++) c[h, q, k] = v[(h * L + q) * L + k];
            return c;
        }
        return ([.. maps.Select(Cube)], [.. grads.Select(Cube)]);
    }

    /// <summary>Row 0 of the full matrix product M_N ... M_1 in plain loops (the whole matrix, not the row trick).</summary>
    private static double[] ProductRow0(IReadOnlyList<double[,]> m)
    {
        int L = m[0].GetLength(0);
        var r = m[^1];
        for (int l = m.Count - 2; l >= 0; l--)
        {
            var next = new double[L, L];
            for (int q = 0; q < L; q++) for (int k = 0; k < L; k++) { double s = 0; for (int j = 0; j < L; j++) s += r[q, j] * m[l][j, k]; next[q, k] = s; }
            r = next;
        }
        return Enumerable.Range(0, L).Select(k => r[0, k]).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_a_two_layer_transformer_both_rollouts_equal_loops_over_its_maps(bool mask)
    {
        using var scope = NewDisposeScope();
        using var model = Transformer(21, mask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w9 w3"), target.Prepare("w6 w7 zzz w8") };
        var rollout = new AttentionRolloutExplainer().Explain(target, docs);
        var grad = new GradientRolloutExplainer().Explain(target, docs);
        for (int b = 0; b < docs.Length; b++)
        {
            var (maps, grads) = MapsOf(model, docs[b]);
            int L = docs[b].Length, H = model.Config.Heads;
            var mixed = new List<double[,]>();
            var weighted = new List<double[,]>();
            for (int l = 0; l < maps.Length; l++)
            {
                var m = new double[L, L];
                var w = new double[L, L];
                for (int q = 0; q < L; q++)
                {
                    double rowSum = 0;
                    for (int k = 0; k < L; k++)
                    {
                        double mean = 0, pos = 0;
                        for (int h = 0; h < H; h++) { mean += maps[l][h, q, k] / H; pos += Math.Max(0, grads[l][h, q, k] * maps[l][h, q, k]) / H; }
                        m[q, k] = mean + (q == k ? 1 : 0);
                        rowSum += m[q, k];
                        w[q, k] = pos + (q == k ? 1 : 0);
                    }
                    for (int k = 0; k < L; k++) m[q, k] /= rowSum;
                }
                mixed.Add(m);
                weighted.Add(w);
            }
            var r = ProductRow0(mixed);
            var g = ProductRow0(weighted);
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                Assert.Equal(r[t + 1], rollout[b].TokenScores[t], 1e-13);
                Assert.Equal(g[t + 1], grad[b].TokenScores[t], 1e-12);
            }
        }
    }

    [Fact]
    public void Alpha_avg_and_alpha_max_read_the_last_layers_cls_row_of_a_two_layer_transformer()
    {
        using var scope = NewDisposeScope();
        using var model = Transformer(22, mask: false);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5 w9 w3");
        var avg = new AttentionExplainer(max: false).Explain(target, [doc])[0].TokenScores;
        var max = new AttentionExplainer(max: true).Explain(target, [doc])[0].TokenScores;
        var (maps, _) = MapsOf(model, doc);
        double firstLayerGap = 0;
        for (int t = 0; t < doc.TokenCount; t++)
        {
            double a0 = maps[1][0, 0, t + 1], a1 = maps[1][1, 0, t + 1];
            Assert.Equal((a0 + a1) / 2, avg[t], 1e-14);
            Assert.Equal(Math.Max(a0, a1), max[t], 1e-14);
            firstLayerGap = Math.Max(firstLayerGap, Math.Abs((maps[0][0, 0, t + 1] + maps[0][1, 0, t + 1]) / 2 - avg[t]));
        }
        Assert.True(firstLayerGap > 1e-3, $"the layers' [CLS] rows should differ, largest gap {firstLayerGap}");
    }

    // ---- one layer: the reductions -------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_the_paper_model_rollout_is_half_of_alpha_avg(bool paddingMask)
    {
        // One layer: R = (A + I) / 2, so R[0, t] = alpha-avg_t / 2 for t >= 1 (and (alpha-avg_0 + 1) / 2 at [CLS]).
        using var model = SmallModels.Create(31, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w9"), target.Prepare("w6 w7 zzz") };
        var rollout = new AttentionRolloutExplainer().Explain(target, docs);
        var alpha = new AttentionExplainer(max: false).Explain(target, docs);
        for (int b = 0; b < docs.Length; b++)
            for (int t = 0; t < docs[b].TokenCount; t++) Assert.Equal(alpha[b].TokenScores[t] / 2, rollout[b].TokenScores[t], 1e-14);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_the_paper_model_gradient_rollout_is_the_mean_of_the_positive_parts_of_AttGrads_head_terms(bool paddingMask)
    {
        // One layer: R = I + A_bar, so R[0, t] = (1/K) sum_i (alpha_t^(i) df/dalpha_t^(i))^+ with the paper's
        // df/dalpha_t^(i) = W_l^(i) v_t^(i) / K; AttGrad_t is the plain sum of the same head terms.
        using var model = SmallModels.Create(32, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w9 w6 w7"), target.Prepare("w6 w7 zzz") };
        var grad = new GradientRolloutExplainer().Explain(target, docs);
        var attGrad = new AttentionGradientExplainer().Explain(target, docs);
        var w = PaperWeights.From(model);
        var c = model.Config;
        int mixedSigns = 0;
        for (int b = 0; b < docs.Length; b++)
        {
            var pass = PaperForwardPass.Run(w, docs[b].Ids, docs[b].RealLength);
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                double expected = 0, sum = 0;
                var signs = new HashSet<int>();
                for (int i = 0; i < c.Heads; i++)
                {
                    double lv = Dot(w.ValueDirection.AsSpan(i * c.EmbedDim, c.EmbedDim), pass.E.AsSpan((t + 1) * c.EmbedDim, c.EmbedDim));
                    double term = pass.Attention[i * c.Length + t + 1] * lv / c.Heads;
                    expected += Math.Max(term, 0) / c.Heads;
                    sum += term;
                    signs.Add(Math.Sign(term));
                }
                Assert.Equal(expected, grad[b].TokenScores[t], 1e-14);
                Assert.Equal(sum, attGrad[b].TokenScores[t], 1e-13);
                // The exact relation: K R[0, t] >= max(AttGrad_t, 0), with equality when the heads' terms share a sign.
                Assert.True(c.Heads * grad[b].TokenScores[t] >= Math.Max(attGrad[b].TokenScores[t], 0) - 1e-14);
                if (signs.Count == 1) Assert.Equal(Math.Max(attGrad[b].TokenScores[t], 0), c.Heads * grad[b].TokenScores[t], 1e-13);
                else mixedSigns++;
            }
        }
        Assert.True(mixedSigns > 0, "the documents should have a token whose heads disagree in sign (where clamping per head matters)");
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }

    [Fact]
    public void On_a_one_head_model_gradient_rollout_is_the_positive_part_of_AttGrad()
    {
        using var scope = NewDisposeScope();
        var model = new TinyAttention(33);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w6 w7 w8"), target.Prepare("w9 w10 w11") };
        var grad = new GradientRolloutExplainer().Explain(target, docs);
        var attGrad = new AttentionGradientExplainer().Explain(target, docs);
        int negative = 0;
        for (int b = 0; b < docs.Length; b++)
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                Assert.Equal(Math.Max(attGrad[b].TokenScores[t], 0), grad[b].TokenScores[t], 1e-14);
                if (attGrad[b].TokenScores[t] < 0) negative++;
            }
        Assert.True(negative > 0, "some AttGrad score should be negative, so that the clamp is seen");
    }
}
