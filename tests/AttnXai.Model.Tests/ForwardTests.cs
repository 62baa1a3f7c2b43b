using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

public class ForwardTests
{
    internal static readonly ModelConfig Tiny = new(VocabSize: 13, EmbedDim: 6, AttDim: 4, OutDim: 3, Heads: 3, Length: 9, Classes: 2, InitRange: 0.5);

    /// <summary>B documents: [cls], some words, UNK padding; the mask is true at [cls] and the words.</summary>
    internal static (long[] Ids, bool[] Mask) Documents(ModelConfig c, int b, int seed)
    {
        var rng = new System.Random(seed);
        var ids = new long[b * c.Length];
        var mask = new bool[b * c.Length];
        for (int i = 0; i < b; i++)
        {
            int words = i == 0 ? c.Length - 1 : rng.Next(0, c.Length);
            for (int t = 0; t < c.Length; t++)
            {
                ids[i * c.Length + t] = t == 0 ? c.ClsId : t <= words ? rng.Next(0, c.VocabSize) : c.UnkId;
                mask[i * c.Length + t] = t <= words;
            }
        }
        return (ids, mask);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardEqualsReferenceLoops(bool useMask)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { PaddingMask = useMask };
        using var model = new AttentionClassifier(cfg, seed: 3, dtype: ScalarType.Float64);
        // Spread the embedding so that attention is far from uniform (a stronger test).
        using (torch.no_grad()) model.EmbeddingWeight.mul_(2.0);
        var reference = new Reference(model);
        const int B = 5;
        var (ids, mask) = Documents(cfg, B, 7);
        var idsT = torch.tensor(ids, [B, cfg.Length]);
        var maskT = useMask ? torch.tensor(mask, [B, cfg.Length]) : null;
        var fast = model.Forward(idsT, maskT);
        var full = model.ForwardFullAttention(idsT, maskT);
        foreach (var r in new[] { fast, full })
        {
            var logits = r.Logits.ToArray<double>();
            var heads = r.HeadLogits.ToArray<double>();
            var alpha = r.Attention.ToArray<double>();
            var pos = r.PositiveLogit.ToArray<double>();
            Assert.Equal(new long[] { B, cfg.Classes }, r.Logits.shape);
            Assert.Equal(new long[] { B, cfg.Heads, cfg.Length }, r.Attention.shape);
            Assert.Equal(new long[] { B, cfg.Heads, cfg.AttDim }, r.Query.shape);
            for (int i = 0; i < B; i++)
            {
                var docMask = useMask ? mask[(i * cfg.Length)..((i + 1) * cfg.Length)] : null;
                var (l, h, a) = reference.Forward(ids[(i * cfg.Length)..((i + 1) * cfg.Length)], docMask);
                for (int c = 0; c < cfg.Classes; c++) Assert.Equal(l[c], logits[i * cfg.Classes + c], 1e-12);
                Assert.Equal(l[1], pos[i], 1e-12);
                for (int k = 0; k < cfg.Heads; k++)
                {
                    for (int c = 0; c < cfg.Classes; c++) Assert.Equal(h[k][c], heads[(i * cfg.Heads + k) * cfg.Classes + c], 1e-12);
                    for (int t = 0; t < cfg.Length; t++)
                    {
                        double got = alpha[(i * cfg.Heads + k) * cfg.Length + t];
                        Assert.Equal(a[k][t], got, 1e-12);
                        if (docMask is not null && !docMask[t]) Assert.Equal(0.0, got);
                    }
                }
            }
        }
        // Without the mask, padding positions take part in the softmax.
        var fa = fast.Attention.ToArray<double>();
        double onPadding = 0;
        for (int i = 0; i < B; i++)
            for (int k = 0; k < cfg.Heads; k++)
                for (int t = 0; t < cfg.Length; t++)
                    if (!mask[i * cfg.Length + t]) onPadding += fa[(i * cfg.Heads + k) * cfg.Length + t];
        Assert.True(useMask ? onPadding == 0 : onPadding > 0.1);
    }

    [Fact]
    public void MaskChangesTheOutputOnlyWhenThereIsPadding()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new AttentionClassifier(Tiny, seed: 1, dtype: ScalarType.Float64);
        var (ids, mask) = Documents(Tiny, 3, 2);
        var idsT = torch.tensor(ids, [3, Tiny.Length]);
        var plain = model.Forward(idsT).Logits.ToArray<double>();
        var masked = model.Forward(idsT, torch.tensor(mask, [3, Tiny.Length])).Logits.ToArray<double>();
        Assert.Equal(plain[0], masked[0], 1e-12); // document 0 has no padding
        Assert.NotEqual(plain[2], masked[2]);
    }

    [Fact]
    public void FullAttentionEqualsForwardInFloat32AtPaperSize()
    {
        using var scope = torch.NewDisposeScope();
        var cfg = new ModelConfig(VocabSize: 500);
        using var model = new AttentionClassifier(cfg, seed: 42);
        var (ids, _) = Documents(cfg, 4, 9);
        var idsT = torch.tensor(ids, [4, cfg.Length]);
        var a = model.Forward(idsT);
        var b = model.ForwardFullAttention(idsT);
        var la = a.Logits.ToArray<float>();
        var lb = b.Logits.ToArray<float>();
        for (int i = 0; i < la.Length; i++) Assert.Equal(la[i], lb[i], 1e-4);
        var aa = a.Attention.ToArray<float>();
        var ab = b.Attention.ToArray<float>();
        for (int i = 0; i < aa.Length; i++) Assert.Equal(aa[i], ab[i], 1e-5);
    }

    [Fact]
    public void SameSeedSameWeights_InitialisationRanges()
    {
        using var scope = torch.NewDisposeScope();
        var cfg = new ModelConfig(VocabSize: 300);
        using var a = new AttentionClassifier(cfg, 5);
        using var b = new AttentionClassifier(cfg, 5);
        using var c = new AttentionClassifier(cfg, 6);
        Assert.Equal(a.W_v.ToArray<float>(), b.W_v.ToArray<float>());
        Assert.Equal(a.EmbeddingWeight.ToArray<float>(), b.EmbeddingWeight.ToArray<float>());
        Assert.NotEqual(a.W_v.ToArray<float>(), c.W_v.ToArray<float>());
        foreach (var w in new[] { a.W_q, a.W_k, a.W_v, a.W_l })
            Assert.All(w.ToArray<float>(), x => Assert.InRange(x, -0.1f, 0.1f));
        var emb = a.EmbeddingWeight.ToArray<float>();
        double mean = emb.Average(x => (double)x), sd = Math.Sqrt(emb.Average(x => (double)x * x) - mean * mean);
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(sd, 0.97, 1.03);
        var names = a.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(new long[] { 300, 128 }, names["embedding.weight"]);
        Assert.Equal(new long[] { 6, 64, 128 }, names["W_q"]);
        Assert.Equal(new long[] { 6, 64, 128 }, names["W_k"]);
        Assert.Equal(new long[] { 6, 64, 128 }, names["W_v"]);
        Assert.Equal(new long[] { 6, 2, 64 }, names["W_l"]);
        Assert.Equal(new long[] { 256, 128 }, names["position_encoding"]);
        Assert.Equal(5, a.named_parameters().Count());
        var pe = a.PositionEncoding.ToArray<float>();
        Assert.Equal(Math.Sin(3 / Math.Pow(10000, 4.0 / 128)), pe[3 * 128 + 4], 1e-6);
        Assert.Equal(Math.Cos(3 / Math.Pow(10000, 4.0 / 128)), pe[3 * 128 + 5], 1e-6);
    }

    [Fact]
    public void KeysAndValuesMatchTheReference()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new AttentionClassifier(Tiny, seed: 4, dtype: ScalarType.Float64);
        var r = new Reference(model);
        var (ids, _) = Documents(Tiny, 2, 5);
        var e = model.Embed(torch.tensor(ids, [2, Tiny.Length]));
        var keys = model.Keys(e).ToArray<double>();
        var values = model.Values(e).ToArray<double>();
        var ea = e.ToArray<double>();
        Assert.Equal(new long[] { 2, Tiny.Heads, Tiny.Length, Tiny.AttDim }, model.Keys(e).shape);
        int b = 1, h = 2, t = 4;
        for (int a = 0; a < Tiny.AttDim; a++)
        {
            double s = 0;
            for (int j = 0; j < Tiny.EmbedDim; j++) s += r.Wk[(h * Tiny.AttDim + a) * Tiny.EmbedDim + j] * ea[(b * Tiny.Length + t) * Tiny.EmbedDim + j];
            Assert.Equal(s, keys[((b * Tiny.Heads + h) * Tiny.Length + t) * Tiny.AttDim + a], 1e-12);
        }
        for (int o = 0; o < Tiny.OutDim; o++)
        {
            double s = 0;
            for (int j = 0; j < Tiny.EmbedDim; j++) s += r.Wv[(h * Tiny.OutDim + o) * Tiny.EmbedDim + j] * ea[(b * Tiny.Length + t) * Tiny.EmbedDim + j];
            Assert.Equal(s, values[((b * Tiny.Heads + h) * Tiny.Length + t) * Tiny.OutDim + o], 1e-12);
        }
        for (int j = 0; j < Tiny.EmbedDim; j++)
            Assert.Equal(r.We[ids[Tiny.Length + t] * Tiny.EmbedDim + j] + r.PE(t, j), ea[(Tiny.Length + t) * Tiny.EmbedDim + j], 1e-12);
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new AttentionClassifier(Tiny, seed: 1);
        var e1 = Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([2, 5], ScalarType.Int64)));
        Assert.Contains("[B, 9]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => model.Forward(torch.full([1, 9], 13, ScalarType.Int64)));
        Assert.Contains("[0, 13)", e2.Message);
        Assert.Throws<ArgumentException>(() => model.Forward(torch.full([1, 9], -1, ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([1, 9], ScalarType.Float32)));
        Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([1, 9], ScalarType.Int64), torch.ones([1, 9])));
        Assert.Throws<ArgumentException>(() => model.ForwardEmbedded(torch.zeros([1, 9, 5])));
        // Sizes are named by their symbol and option, not by the code's property names.
        Assert.Equal("K (--heads) must be at least 1, got 0", Assert.Throws<ArgumentException>(() => new ModelConfig(10, Heads: 0).Validate()).Message);
        Assert.Contains("the vocabulary must hold", Assert.Throws<ArgumentException>(() => new ModelConfig(1).Validate()).Message);
        Assert.Contains("the UNK id 10", Assert.Throws<ArgumentException>(() => new ModelConfig(10, UnkId: 10).Validate()).Message);
        using var masked = new AttentionClassifier(Tiny with { PaddingMask = true }, seed: 1);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => masked.Forward(torch.zeros([1, 9], ScalarType.Int64))).Message);
    }
}
