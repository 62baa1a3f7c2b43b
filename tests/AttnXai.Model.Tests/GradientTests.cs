using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

public class GradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossGradientPassesCentralFiniteDifferences(bool useMask)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = ForwardTests.Tiny with { PaddingMask = useMask };
        using var model = new AttentionClassifier(cfg, seed: 11, dtype: ScalarType.Float64);
        const int B = 4;
        var (ids, mask) = ForwardTests.Documents(cfg, B, 3);
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
        int checkedEntries = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            var grad = p.grad!.ToArray<double>();
            var values = p.ToArray<double>();
            var shape = p.shape;
            // A few random entries, plus for the embedding the rows actually used ([cls] and UNK).
            var entries = Enumerable.Range(0, 6).Select(_ => rng.Next(values.Length)).ToList();
            if (name == "embedding.weight") { entries.Add((int)cfg.ClsId * cfg.EmbedDim + 1); entries.Add((int)cfg.UnkId * cfg.EmbedDim + 2); }
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
                Assert.True(Math.Abs(fd - grad[j]) <= 1e-7 + 1e-5 * Math.Abs(fd), $"{name}[{j}]: autograd {grad[j]:R}, finite difference {fd:R}");
                checkedEntries++;
            }
            // Gradients are not trivially zero.
            Assert.Contains(grad, g => Math.Abs(g) > 1e-6);
        }
        Assert.True(checkedEntries >= 30);
    }

    [Fact]
    public void GradientWithRespectToEmbeddingsFlowsThroughForwardEmbedded()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new AttentionClassifier(ForwardTests.Tiny, seed: 2, dtype: ScalarType.Float64);
        var (ids, _) = ForwardTests.Documents(ForwardTests.Tiny, 2, 1);
        var e = model.Embed(torch.tensor(ids, [2, ForwardTests.Tiny.Length])).detach().requires_grad_();
        var r = model.ForwardEmbedded(e);
        Assert.Same(e, r.Embedded);
        var g = torch.autograd.grad([r.PositiveLogit.sum()], [e])[0]!;
        Assert.Equal(e.shape, g.shape);
        // Finite difference on one coordinate of one position.
        var ea = e.ToArray<double>();
        int j = 1 * ForwardTests.Tiny.Length * ForwardTests.Tiny.EmbedDim + 3 * ForwardTests.Tiny.EmbedDim + 2;
        double F(double d)
        {
            var v = (double[])ea.Clone(); v[j] += d;
            using var s = torch.NewDisposeScope();
            return model.ForwardEmbedded(torch.tensor(v, e.shape)).PositiveLogit.sum().ToDouble();
        }
        Assert.Equal((F(1e-6) - F(-1e-6)) / 2e-6, g.ToArray<double>()[j], 1e-7);
    }
}
