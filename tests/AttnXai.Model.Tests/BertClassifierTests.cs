using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

public class BertClassifierTests
{
    /// <summary>A tiny BERT: vocabulary 20 ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4), d 8, H 2, d_ff 6, 2 layers,
    /// 12 positions, length 9.</summary>
    internal static BertArchitecture Tiny(string type = "bert", BertHead head = BertHead.Pooler, int classes = 2) =>
        new(new BertSizes(type, 20, 8, 2, 2, 6, 12, type == "bert" ? 2 : 0, 1e-12, "gelu"), head, classes, 9, new SpecialTokens(2, 1, 0, 3, 4));

    /// <summary>A float64 model in evaluation mode with every parameter drawn (N(0, 0.5), gains around 1).</summary>
    internal static BertClassifier Model(BertArchitecture a, long seed)
    {
        var model = new BertClassifier(a, dtype: ScalarType.Float64);
        model.eval();
        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.add_(torch.randn(p.shape, ScalarType.Float64).mul(0.5));
        return model;
    }

    /// <summary>Documents [CLS] tokens [SEP] [PAD]... of real lengths 9, 6 and 4.</summary>
    private static (long[] Ids, bool[] Mask, int[] Real) Documents(int L)
    {
        int[] real = [L, 6, 4];
        var ids = new long[3 * L];
        var mask = new bool[3 * L];
        var rng = new System.Random(3);
        for (int b = 0; b < 3; b++)
        {
            var tokens = Enumerable.Range(0, real[b] - 2).Select(_ => (long)rng.Next(5, 20)).ToArray();
            new SpecialTokens(2, 1, 0, 3, 4).Write(tokens, ids.AsSpan(b * L, L));
            for (int t = 0; t < real[b]; t++) mask[b * L + t] = true;
        }
        return (ids, mask, real);
    }

    [Fact]
    public void ParametersCarryTheHuggingFaceNames()
    {
        using var bert = new BertClassifier(Tiny());
        var names = bert.state_dict().Keys.ToHashSet();
        foreach (var n in new[]
                 {
                     "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight", "bert.embeddings.token_type_embeddings.weight",
                     "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias",
                     "bert.encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.1.attention.self.key.bias", "bert.encoder.layer.0.attention.self.value.weight",
                     "bert.encoder.layer.0.attention.output.dense.weight", "bert.encoder.layer.0.attention.output.LayerNorm.bias",
                     "bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.0.output.dense.bias", "bert.encoder.layer.1.output.LayerNorm.weight",
                     "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias",
                 })
            Assert.Contains(n, names);
        Assert.True(5 + 16 * 2 + 2 + 2 == names.Count, string.Join(" ", names.Order()));
        Assert.Equal([6, 8], bert.state_dict()["bert.encoder.layer.0.intermediate.dense.weight"].shape);

        using var distil = new BertClassifier(Tiny("distilbert"));
        var dn = distil.state_dict().Keys.ToHashSet();
        foreach (var n in new[]
                 {
                     "distilbert.embeddings.word_embeddings.weight", "distilbert.embeddings.LayerNorm.bias", "distilbert.transformer.layer.0.attention.q_lin.weight",
                     "distilbert.transformer.layer.1.attention.out_lin.bias", "distilbert.transformer.layer.0.sa_layer_norm.weight", "distilbert.transformer.layer.0.ffn.lin1.weight",
                     "distilbert.transformer.layer.1.ffn.lin2.bias", "distilbert.transformer.layer.1.output_layer_norm.bias", "pre_classifier.weight", "classifier.bias",
                 })
            Assert.Contains(n, dn);
        Assert.DoesNotContain(dn, n => n.Contains("token_type"));
    }

    [Theory]
    [InlineData("bert", BertHead.Pooler)]
    [InlineData("bert", BertHead.Mean)]
    [InlineData("distilbert", BertHead.Pooler)]
    [InlineData("bert", BertHead.Cls)]
    public void GradientWithRespectToEmbeddingsPassesFiniteDifferences(string type, BertHead head)
    {
        using var scope = torch.NewDisposeScope();
        var a = Tiny(type, head);
        using var model = Model(a, 5);
        int L = a.Length, d = a.Config.Hidden;
        var (ids, mask, _) = Documents(L);
        var maskT = torch.tensor(mask, [3, L]);
        var e = ((ITextClassifier)model).Embed(torch.tensor(ids, [3, L])).detach().requires_grad_();
        var f = model.Logits(e, maskT).select(1, 1).sum();
        var g = torch.autograd.grad([f], [e])[0]!.ToArray<double>();
        var ea = e.ToArray<double>();
        double F(int j, double delta)
        {
            var v = (double[])ea.Clone();
            v[j] += delta;
            using var s = torch.NewDisposeScope();
            return model.Logits(torch.tensor(v, e.shape), maskT).select(1, 1).sum().ToDouble();
        }
        var rng = new System.Random(11);
        for (int n = 0; n < 24; n++)
        {
            int j = n < 4 ? n : rng.Next(ea.Length);
            double fd = (F(j, 1e-6) - F(j, -1e-6)) / 2e-6;
            Assert.True(Math.Abs(fd - g[j]) <= 1e-8 + 1e-6 * Math.Abs(fd), $"d f / d e[{j}]: autograd {g[j]:R}, finite difference {fd:R}");
            if (!mask[j / d]) Assert.Equal(0.0, g[j]);
        }
        // LN_emb reads e first: the gradient's coordinates sum to zero at every position (to rounding).
        for (int p = 0; p < 3 * L; p++)
            Assert.True(Math.Abs(g.AsSpan(p * d, d).ToArray().Sum()) < 1e-12 * (1 + g.AsSpan(p * d, d).ToArray().Max(Math.Abs)));
    }

    [Fact]
    public void PaddingNeitherItsIdsNorItsLengthChangesTheLogits()
    {
        using var scope = torch.NewDisposeScope();
        var a = Tiny();
        using var model = Model(a, 7);
        int L = a.Length;
        var (ids, mask, real) = Documents(L);
        var full = model.LogitsOfIds(torch.tensor(ids, [3, L]), torch.tensor(mask, [3, L])).ToArray<double>();
        // Other ids at the padding.
        var other = (long[])ids.Clone();
        for (int i = 0; i < other.Length; i++) if (!mask[i]) other[i] = 13;
        var changed = model.LogitsOfIds(torch.tensor(other, [3, L]), torch.tensor(mask, [3, L])).ToArray<double>();
        for (int i = 0; i < full.Length; i++) Assert.Equal(full[i], changed[i], 12);
        // Each document alone, cut to its real length.
        for (int b = 0; b < 3; b++)
        {
            var own = model.LogitsOfIds(torch.tensor(ids.AsSpan(b * L, real[b]).ToArray(), [1, real[b]]), torch.ones([1, real[b]], ScalarType.Bool)).ToArray<double>();
            Assert.Equal(full[2 * b], own[0], 12);
            Assert.Equal(full[2 * b + 1], own[1], 12);
        }
        // The batched pass cuts batches to their longest row: the same logits as the full-length pass.
        var trimmed = BatchedPass.Logits(model, 2, 2, BatchedPass.FromIds(ids.AsMemory(L), real.AsMemory(1), L));
        Assert.Equal(full[2], trimmed[0], 12);
        Assert.Equal(full[5], trimmed[3], 12);
    }

    [Fact]
    public void AttentionMapsAreTheOnesTheLogitsUse()
    {
        using var scope = torch.NewDisposeScope();
        var a = Tiny();
        using var model = Model(a, 9);
        int L = a.Length;
        var (ids, mask, real) = Documents(L);
        var maskT = torch.tensor(mask, [3, L]);
        var e = ((ITextClassifier)model).Embed(torch.tensor(ids, [3, L]));
        var (logits, maps) = model.LogitsAndAttention(e, maskT);
        Assert.Equal(2, maps.Count);
        Assert.Equal([3, 2, L, L], maps[0].shape);
        var plain = model.Logits(e, maskT);
        Assert.True(torch.allclose(logits, plain, 1e-12, 1e-12));
        var m = maps[1].ToArray<double>();
        for (int b = 0; b < 3; b++)
            for (int s = real[b]; s < L; s++) Assert.Equal(0.0, m[((b * 2 + 1) * L + 0) * L + s]);  // padding keys get nothing
        var rows = maps[0].sum(-1);
        Assert.True(torch.allclose(rows, torch.ones_like(rows), 1e-12, 1e-12));
    }

    [Fact]
    public void TheNewHeadIsSeededAndTheEncoderStartsEmpty()
    {
        using var m1 = new BertClassifier(Tiny(head: BertHead.Mean), seed: 4);
        using var m2 = new BertClassifier(Tiny(head: BertHead.Mean), seed: 4);
        using var m3 = new BertClassifier(Tiny(head: BertHead.Mean), seed: 5);
        var w1 = m1.state_dict()["classifier.weight"];
        Assert.True(torch.allclose(w1, m2.state_dict()["classifier.weight"], 0, 0));
        Assert.False(torch.allclose(w1, m3.state_dict()["classifier.weight"], 0, 0));
        double sd = w1.std().ToDouble();
        Assert.InRange(sd, 0.005, 0.05);
        Assert.Equal(0.0, m1.state_dict()["bert.encoder.layer.0.attention.self.query.weight"].abs().sum().ToDouble());
    }
}
