using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

public class TransformerTests
{
    /// <summary>Small enough for loops, with every size distinct (d 6, H 2, d_h 4 so H d_h != d, d_ff 5, L 7).</summary>
    internal static readonly TransformerConfig Tiny = new(VocabSize: 13, ModelDim: 6, Heads: 2, HeadDim: 4, Layers: 2, FeedForwardDim: 5, Dropout: 0.1, Length: 7);

    /// <summary>A float64 model in evaluation mode whose every parameter (biases and layer-norm gains included) is
    /// moved off its initial value, so that the tests see each one act.</summary>
    internal static TransformerClassifier Model(TransformerConfig config, long seed)
    {
        var model = new TransformerClassifier(config, seed, dtype: ScalarType.Float64);
        model.eval();
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.add_(torch.randn(p.shape, ScalarType.Float64).mul(0.3));
        return model;
    }

    public static TheoryData<int, bool, NormPlacement> Cases()
    {
        var data = new TheoryData<int, bool, NormPlacement>();
        foreach (int layers in new[] { 1, 2 })
            foreach (bool mask in new[] { false, true })
                foreach (var norm in new[] { NormPlacement.Pre, NormPlacement.Post })
                    data.Add(layers, mask, norm);
        return data;
    }

    [Fact]
    public void ReferenceErfMatchesKnownValues()
    {
        // erf values to 17 digits (Abramowitz and Stegun's tables, extended).
        var known = new (double X, double Erf)[]
        {
            (0.1, 0.11246291601828489), (0.5, 0.52049987781304654), (1.0, 0.84270079294971487), (2.0, 0.99532226501895273),
            (2.5, 0.99959304798255504), (3.0, 0.99997790950300141), (4.0, 0.99999998458274210),
        };
        foreach (var (x, erf) in known)
        {
            Assert.Equal(erf, TransformerReference.Erf(x), 1e-15);
            Assert.Equal(-erf, TransformerReference.Erf(-x), 1e-15);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardEqualsReferenceLoops(int layers, bool useMask, NormPlacement norm)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { Layers = layers, PaddingMask = useMask, Norm = norm };
        using var model = Model(cfg, seed: 3);
        // Spread the embedding so that attention is far from uniform (a stronger test).
        using (torch.no_grad()) model.EmbeddingWeight.mul_(2.0);
        var reference = new TransformerReference(model);
        const int B = 4;
        var (ids, mask) = Documents(cfg, B, 7);
        var idsT = torch.tensor(ids, [B, cfg.Length]);
        var maskT = useMask ? torch.tensor(mask, [B, cfg.Length]) : null;
        var r = model.Forward(idsT, maskT, attention: true);
        Assert.Equal(new long[] { B, cfg.Classes }, r.Logits.shape);
        Assert.Equal(layers, r.Attention!.Count);
        var logits = r.Logits.ToArray<double>();
        var pos = r.PositiveLogit.ToArray<double>();
        var maps = r.Attention.Select(a => a.ToArray<double>()).ToArray();
        int L = cfg.Length, H = cfg.Heads;
        for (int i = 0; i < B; i++)
        {
            var docMask = useMask ? mask[(i * L)..((i + 1) * L)] : null;
            var (l, a) = reference.Forward(ids[(i * L)..((i + 1) * L)], docMask);
            for (int c = 0; c < cfg.Classes; c++) Assert.Equal(l[c], logits[i * cfg.Classes + c], 1e-12);
            Assert.Equal(l[1], pos[i], 1e-12);
            for (int n = 0; n < layers; n++)
            {
                Assert.Equal(new long[] { B, H, L, L }, r.Attention[n].shape);
                for (int h = 0; h < H; h++)
                    for (int t = 0; t < L; t++)
                        for (int s = 0; s < L; s++)
                            Assert.Equal(a[n][h][t][s], maps[n][((i * H + h) * L + t) * L + s], 1e-12);
            }
        }
        // Without the maps (the last layer computes [CLS] alone) the logits are the same.
        var plain = model.Forward(idsT, maskT).Logits.ToArray<double>();
        for (int j = 0; j < logits.Length; j++) Assert.Equal(logits[j], plain[j], 1e-12);
        Assert.Null(model.Forward(idsT, maskT).Attention);
    }

    [Theory]
    [InlineData(NormPlacement.Pre)]
    [InlineData(NormPlacement.Post)]
    public void AttentionRowsSumToOneAndMaskedKeysGetZero(NormPlacement norm)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { Norm = norm, PaddingMask = true };
        using var model = Model(cfg, seed: 8);
        const int B = 5;
        var (ids, mask) = Documents(cfg, B, 4);
        var r = model.Forward(torch.tensor(ids, [B, cfg.Length]), torch.tensor(mask, [B, cfg.Length]), attention: true);
        int L = cfg.Length, H = cfg.Heads;
        int masked = 0;
        foreach (var map in r.Attention!)
        {
            var a = map.ToArray<double>();
            for (int i = 0; i < B; i++)
                for (int h = 0; h < H; h++)
                    for (int t = 0; t < L; t++)
                    {
                        double sum = 0;
                        for (int s = 0; s < L; s++)
                        {
                            double v = a[((i * H + h) * L + t) * L + s];
                            sum += v;
                            if (!mask[i * L + s]) { Assert.Equal(0.0, v); masked++; }
                            else Assert.True(v > 0);
                        }
                        Assert.Equal(1.0, sum, 1e-12);
                    }
        }
        Assert.True(masked > 0);
    }

    [Theory]
    [InlineData(NormPlacement.Pre)]
    [InlineData(NormPlacement.Post)]
    public void WithTheMaskPaddingCannotReachTheOutput_WithoutItItDoes(NormPlacement norm)
    {
        using var scope = torch.NewDisposeScope();
        const int B = 3;
        foreach (bool useMask in new[] { true, false })
        {
            var cfg = Tiny with { Norm = norm, PaddingMask = useMask };
            using var model = Model(cfg, seed: 5);
            var (ids, mask) = Documents(cfg, B, 6);
            // Other ids at the padding positions (documents 1 and 2 have padding).
            var other = (long[])ids.Clone();
            for (int j = 0; j < other.Length; j++) if (!mask[j]) other[j] = 2 + j % 11;
            var maskT = torch.tensor(mask, [B, cfg.Length]);
            var a = model.Forward(torch.tensor(ids, [B, cfg.Length]), useMask ? maskT : null).Logits.ToArray<double>();
            var b = model.Forward(torch.tensor(other, [B, cfg.Length]), useMask ? maskT : null).Logits.ToArray<double>();
            for (int j = 0; j < a.Length; j++)
                if (useMask) Assert.Equal(a[j], b[j], 1e-12);
            Assert.Equal(a[0], b[0], 1e-12); // document 0 has no padding
            if (!useMask) Assert.True(Math.Abs(a[4] - b[4]) > 1e-6);
        }
    }

    [Theory]
    [InlineData(false, NormPlacement.Pre)]
    [InlineData(true, NormPlacement.Pre)]
    [InlineData(false, NormPlacement.Post)]
    [InlineData(true, NormPlacement.Post)]
    public void LossGradientOfEveryParameterPassesCentralFiniteDifferences(bool useMask, NormPlacement norm)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { PaddingMask = useMask, Norm = norm };
        using var model = Model(cfg, seed: 11);
        const int B = 4;
        var (ids, mask) = Documents(cfg, B, 3);
        var idsT = torch.tensor(ids, [B, cfg.Length]);
        var maskT = useMask ? torch.tensor(mask, [B, cfg.Length]) : null;
        var y = torch.tensor(new long[] { 0, 1, 1, 0 }, [B]);

        double Loss()
        {
            using var s = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            return torch.nn.functional.cross_entropy(model.Forward(idsT, maskT).Logits, y).ToDouble();
        }

        model.zero_grad();
        torch.nn.functional.cross_entropy(model.Forward(idsT, maskT).Logits, y).backward();
        var rng = new System.Random(5);
        var names = new List<string>();
        foreach (var (name, p) in model.named_parameters())
        {
            names.Add(name);
            var grad = p.grad!.ToArray<double>();
            var values = p.ToArray<double>();
            var shape = p.shape;
            // A few random entries, plus for the embedding entries of the rows actually used ([cls] and UNK).
            var entries = Enumerable.Range(0, 4).Select(_ => rng.Next(values.Length)).ToList();
            if (name == "embedding.weight") { entries.Add((int)cfg.ClsId * cfg.ModelDim + 1); entries.Add((int)cfg.UnkId * cfg.ModelDim + 2); }
            foreach (int j in entries)
            {
                const double h = 1e-6;
                double Perturbed(double delta)
                {
                    var v = (double[])values.Clone();
                    v[j] += delta;
                    using (torch.no_grad()) p.copy_(torch.tensor(v, shape));
                    return Loss();
                }
                double fd = (Perturbed(h) - Perturbed(-h)) / (2 * h);
                using (torch.no_grad()) p.copy_(torch.tensor(values, shape));
                Assert.True(Math.Abs(fd - grad[j]) <= 1e-8 + 1e-6 * Math.Abs(fd), $"{name}[{j}]: autograd {grad[j]:R}, finite difference {fd:R}");
            }
            // Every parameter takes part: its gradient is not zero.
            Assert.Contains(grad, g => Math.Abs(g) > 1e-6);
        }
        // Every parameter of the model was checked.
        int perLayer = 13;
        Assert.Equal(1 + perLayer * cfg.Layers + (norm == NormPlacement.Pre ? 2 : 0) + 2, names.Count);
    }

    [Theory]
    [InlineData(false, NormPlacement.Pre)]
    [InlineData(true, NormPlacement.Pre)]
    [InlineData(true, NormPlacement.Post)]
    public void GradientWithRespectToEmbeddingsPassesFiniteDifferences(bool useMask, NormPlacement norm)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { PaddingMask = useMask, Norm = norm };
        using var model = Model(cfg, seed: 2);
        const int B = 3;
        var (ids, mask) = Documents(cfg, B, 1);
        var maskT = useMask ? torch.tensor(mask, [B, cfg.Length]) : null;
        var e = model.Embed(torch.tensor(ids, [B, cfg.Length])).detach().requires_grad_();
        var r = model.ForwardEmbedded(e, maskT);
        Assert.Same(e, r.Embedded);
        var g = torch.autograd.grad([r.PositiveLogit.sum()], [e])[0]!.ToArray<double>();
        var ea = e.ToArray<double>();
        double F(int j, double delta)
        {
            var v = (double[])ea.Clone();
            v[j] += delta;
            using var s = torch.NewDisposeScope();
            return model.ForwardEmbedded(torch.tensor(v, e.shape), maskT).PositiveLogit.sum().ToDouble();
        }
        int L = cfg.Length, d = cfg.ModelDim;
        var rng = new System.Random(9);
        int padded = 0;
        for (int n = 0; n < 24; n++)
        {
            int j = n < 6 ? (n % B) * L * d + n % d : rng.Next(ea.Length);   // [CLS] coordinates, then random ones
            double fd = (F(j, 1e-6) - F(j, -1e-6)) / 2e-6;
            Assert.True(Math.Abs(fd - g[j]) <= 1e-8 + 1e-6 * Math.Abs(fd), $"d f / d e[{j}]: autograd {g[j]:R}, finite difference {fd:R}");
            if (useMask && !mask[j / d]) { Assert.Equal(0.0, g[j]); padded++; }
        }
        // With the mask the padding's embeddings do not matter at all; without it they do.
        double paddingGradient = Enumerable.Range(0, ea.Length).Where(j => !mask[j / d]).Sum(j => Math.Abs(g[j]));
        Assert.True(useMask ? paddingGradient == 0 : paddingGradient > 1e-3);
        Assert.True(!useMask || padded > 0);
    }

    [Fact]
    public void AutogradReachesTheAttentionMaps()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Model(Tiny, seed: 4);
        var (ids, _) = Documents(Tiny, 2, 2);
        var r = model.Forward(torch.tensor(ids, [2, Tiny.Length]), attention: true);
        var grads = torch.autograd.grad([r.PositiveLogit.sum()], r.Attention!.ToArray());
        Assert.Equal(Tiny.Layers, grads.Count);
        foreach (var g in grads)
        {
            Assert.Equal(new long[] { 2, Tiny.Heads, Tiny.Length, Tiny.Length }, g!.shape);
            Assert.True(g.abs().max().ToDouble() > 1e-6);
        }
    }

    [Fact]
    public void SameSeedSameWeights_ForLoadingDrawsNothing_InitialisationRanges()
    {
        using var scope = torch.NewDisposeScope();
        var cfg = new TransformerConfig(VocabSize: 300, Layers: 2);
        using var a = new TransformerClassifier(cfg, 5);
        using var b = new TransformerClassifier(cfg, 5);
        using var c = new TransformerClassifier(cfg, 6);
        var sa = a.state_dict();
        var sb = b.state_dict();
        var sc = c.state_dict();
        foreach (var (name, t) in sa)
        {
            Assert.Equal(t.ToArray<float>(), sb[name].ToArray<float>());
            if (name.Contains("W_") || name.StartsWith("embedding", StringComparison.Ordinal))
                Assert.NotEqual(t.ToArray<float>(), sc[name].ToArray<float>());
        }
        // Xavier-uniform bounds, layer norms at one and zero, biases zero.
        var l0 = a.Layers[0];
        double qkv = Math.Sqrt(6.0 / (128 + 6 * 32)), ff = Math.Sqrt(6.0 / (128 + 512));
        foreach (var w in new[] { l0.W_q, l0.W_k, l0.W_v, l0.W_o })
        {
            var v = w.ToArray<float>();
            Assert.All(v, x => Assert.InRange(x, -qkv, qkv));
            Assert.True(v.Max() > 0.9 * qkv);
        }
        Assert.All(l0.W_1.ToArray<float>(), x => Assert.InRange(x, -ff, ff));
        Assert.All(l0.gamma_1.ToArray<float>(), x => Assert.Equal(1f, x));
        Assert.All(l0.b_1.ToArray<float>(), x => Assert.Equal(0f, x));
        var emb = a.EmbeddingWeight.ToArray<float>();
        double mean = emb.Average(x => (double)x), sd = Math.Sqrt(emb.Average(x => (double)x * x) - mean * mean);
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(sd, 0.97, 1.03);
        // The buffer is the paper model's sinusoidal encoding.
        Assert.Equal(AttentionClassifier.SinusoidalEncoding(256, 128).ToArray<float>(), a.PositionEncoding.ToArray<float>());
        // The parameter count agrees with the configuration's formula.
        Assert.Equal(cfg.ParameterCount, a.parameters().Sum(p => p.numel()));
        using (var post = new TransformerClassifier(cfg with { Norm = NormPlacement.Post }, 1))
            Assert.Equal(cfg.ParameterCount, post.parameters().Sum(p => p.numel()) + 2 * 128); // no final layer norm
        // ForLoading leaves the global random stream where it was.
        torch.manual_seed(77);
        using (var loading = TransformerClassifier.ForLoading(cfg)) Assert.Equal(sa.Keys, loading.state_dict().Keys);
        var after = torch.rand(5).ToArray<float>();
        torch.manual_seed(77);
        Assert.Equal(torch.rand(5).ToArray<float>(), after);
    }

    [Fact]
    public void DropoutActsInTrainingOnlyAndFollowsTheSeed()
    {
        using var scope = torch.NewDisposeScope();
        var cfg = Tiny with { Dropout = 0.5 };
        using var model = new TransformerClassifier(cfg, 1, dtype: ScalarType.Float64);
        using var noDropout = new TransformerClassifier(cfg with { Dropout = 0 }, 1, dtype: ScalarType.Float64);
        var (ids, _) = Documents(cfg, 4, 2);
        var idsT = torch.tensor(ids, [4, cfg.Length]);
        double[] Logits(TransformerClassifier m) => m.Forward(idsT).Logits.ToArray<double>();
        model.train();
        torch.manual_seed(3);
        var t1 = Logits(model);
        var t2 = Logits(model);
        torch.manual_seed(3);
        Assert.Equal(t1, Logits(model));   // same generator state, same dropout masks
        Assert.NotEqual(t1, t2);
        model.eval();
        var e1 = Logits(model);
        Assert.Equal(e1, Logits(model));
        Assert.Equal(e1, Logits(noDropout)); // evaluation mode: the model without dropout, bit for bit
        Assert.NotEqual(t1, e1);
    }

    [Fact]
    public void ALongLoopOfForwardsAndBackwardsLeavesNoLiveTensors()
    {
        var cfg = Tiny with { PaddingMask = true };
        using var model = new TransformerClassifier(cfg, 1);
        var (ids, mask) = Documents(cfg, 3, 2);
        using var idsT = torch.tensor(ids, [3, cfg.Length]);
        using var maskT = torch.tensor(mask, [3, cfg.Length]);
        void Step(bool attention)
        {
            using var scope = torch.NewDisposeScope();
            var r = model.Forward(idsT, maskT, attention);
            r.PositiveLogit.sum().backward();
        }
        model.train();
        Step(false); // the gradients' tensors exist from here on
        GC.Collect(); GC.WaitForPendingFinalizers();
        long before = TorchEngine.LiveTensors;
        for (int i = 0; i < 200; i++) Step(i % 2 == 0);
        model.eval();
        using (torch.no_grad())
            for (int i = 0; i < 200; i++)
            {
                using var scope = torch.NewDisposeScope();
                model.Forward(idsT, maskT, attention: true);
            }
        Assert.Equal(before, TorchEngine.LiveTensors);
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new TransformerClassifier(Tiny, seed: 1);
        Assert.Contains("[B, 7]", Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([2, 5], ScalarType.Int64))).Message);
        Assert.Contains("[0, 13)", Assert.Throws<ArgumentException>(() => model.Forward(torch.full([1, 7], 13, ScalarType.Int64))).Message);
        Assert.Contains("found -1", Assert.Throws<ArgumentException>(() => model.Forward(torch.full([1, 7], -1, ScalarType.Int64))).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([1, 7], ScalarType.Float32))).Message);
        Assert.Contains("bool", Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([1, 7], ScalarType.Int64), torch.ones([1, 7]))).Message);
        Assert.Contains("[1, 7]", Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([1, 7], ScalarType.Int64), torch.ones([2, 7], ScalarType.Bool))).Message);
        var emptyRow = torch.tensor(Enumerable.Range(0, 14).Select(j => j < 7).ToArray(), [2, 7]); // document 1 has no real token
        Assert.Contains("without any real token", Assert.Throws<ArgumentException>(() => model.Forward(torch.zeros([2, 7], ScalarType.Int64), emptyRow)).Message);
        Assert.Contains("[B, 7, 6]", Assert.Throws<ArgumentException>(() => model.ForwardEmbedded(torch.zeros([1, 7, 5]))).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => model.ForwardEmbedded(torch.zeros([1, 7, 6], ScalarType.Float64))).Message);
        using (var masked = new TransformerClassifier(Tiny with { PaddingMask = true }, seed: 1))
            Assert.Contains("mask", Assert.Throws<ArgumentException>(() => masked.Forward(torch.zeros([1, 7], ScalarType.Int64))).Message);
        Assert.Contains("Float32 or Float64", Assert.Throws<ArgumentException>(() => new TransformerClassifier(Tiny, 1, dtype: ScalarType.Int32)).Message);
        Assert.Contains("Heads", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, Heads: 0).Validate()).Message);
        Assert.Contains("Layers", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, Layers: 0).Validate()).Message);
        Assert.Contains("HeadDim", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, HeadDim: 0).Validate()).Message);
        Assert.Contains("FeedForwardDim", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, FeedForwardDim: -1).Validate()).Message);
        Assert.Contains("Dropout", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, Dropout: 1).Validate()).Message);
        Assert.Contains("Dropout", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, Dropout: double.NaN).Validate()).Message);
        Assert.Contains("Norm", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, Norm: (NormPlacement)7).Validate()).Message);
        Assert.Contains("VocabSize", Assert.Throws<ArgumentException>(() => new TransformerConfig(1).Validate()).Message);
        Assert.Contains("UnkId", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, UnkId: 10).Validate()).Message);
        Assert.Contains("differ", Assert.Throws<ArgumentException>(() => new TransformerConfig(10, ClsId: 1).Validate()).Message);
        // The constructor validates too.
        Assert.Throws<ArgumentException>(() => new TransformerClassifier(Tiny with { ModelDim = 0 }, 1));
    }

    /// <summary>B documents: [cls], some words, UNK padding; the mask is true at [cls] and the words. Document 0 has
    /// no padding, documents 1 and 2 (when present) have some.</summary>
    internal static (long[] Ids, bool[] Mask) Documents(TransformerConfig c, int b, int seed)
    {
        var rng = new System.Random(seed);
        var ids = new long[b * c.Length];
        var mask = new bool[b * c.Length];
        for (int i = 0; i < b; i++)
        {
            int words = i == 0 ? c.Length - 1 : i <= 2 ? rng.Next(1, c.Length - 2) : rng.Next(0, c.Length);
            for (int t = 0; t < c.Length; t++)
            {
                ids[i * c.Length + t] = t == 0 ? c.ClsId : t <= words ? rng.Next(0, c.VocabSize) : c.UnkId;
                mask[i * c.Length + t] = t <= words;
            }
        }
        return (ids, mask);
    }
}
