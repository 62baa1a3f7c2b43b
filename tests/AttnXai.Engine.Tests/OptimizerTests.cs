using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine.Tests;

/// <summary>Adam and AdamW against PyTorch's update rules written out here in doubles.</summary>
public class OptimizerTests
{
    private const double Lr = 0.1, B1 = 0.9, B2 = 0.999, Eps = 1e-8;
    private static readonly double[] W0 = [1.0, -2.0, 0.5];
    private static readonly double[] C = [0.5, -3.0, 1e-3];

    /// <summary>The reference: loss = sum(w * c), so the gradient is c (plus wd * w for Adam's coupled decay).</summary>
    private static double[] Reference(int steps, double weightDecay, bool decoupled)
    {
        var p = (double[])W0.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (int t = 1; t <= steps; t++)
            for (int k = 0; k < p.Length; k++)
            {
                double g = C[k];
                if (decoupled) p[k] *= 1 - Lr * weightDecay;
                else g += weightDecay * p[k];
                m[k] = B1 * m[k] + (1 - B1) * g;
                v[k] = B2 * v[k] + (1 - B2) * g * g;
                double mHat = m[k] / (1 - Math.Pow(B1, t));
                double denom = Math.Sqrt(v[k]) / Math.Sqrt(1 - Math.Pow(B2, t)) + Eps;
                p[k] -= Lr * mHat / denom;
            }
        return p;
    }

    private static void Step(Adam opt, Tensor w, Tensor c)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        (w * c).sum().backward();
        opt.step();
    }

    private static Tensor Leaf(double[] values) => tensor(values, dtype: ScalarType.Float64).requires_grad_(true);

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.1)]
    [InlineData(true, 0.0)]
    public void Two_steps_match_the_hand_computation(bool adamW, double weightDecay)
    {
        using var scope = NewDisposeScope();
        var w = Leaf(W0);
        var c = tensor(C);
        using Adam opt = adamW ? new AdamW([w], Lr, B1, B2, Eps, weightDecay) : new Adam([w], Lr, B1, B2, Eps, weightDecay);
        Step(opt, w, c);
        Close(Reference(1, weightDecay, adamW), w.ToArray<double>(), 1e-14);
        Step(opt, w, c);
        Close(Reference(2, weightDecay, adamW), w.ToArray<double>(), 1e-14);
        Assert.Equal(2, opt.Steps);
        Assert.Equal(2, opt.ParameterSteps(0));
    }

    /// <summary>TorchSharp's own torch.optim.AdamW (an independent implementation; the trainer uses AttnXai's step
    /// because `attnxai bench optimizer` measures it faster) gives the same parameters over 20 steps of a gradient that
    /// changes with the parameters, in doubles, to rounding (TorchSharp's first moment uses mul_ and add_ where PyTorch
    /// uses lerp_).</summary>
    [Fact]
    public void Twenty_steps_match_TorchSharps_AdamW()
    {
        using var scope = NewDisposeScope();
        var c = tensor(C);
        var ours = Leaf(W0);
        // A Parameter takes over its tensor's handle: work on the parameter itself.
        var theirs = new TorchSharp.Modules.Parameter(tensor(W0, dtype: ScalarType.Float64));
        using var own = new AdamW([ours], Lr, B1, B2, Eps, 0.05);
        using var torchSharp = torch.optim.AdamW([theirs], Lr, B1, B2, Eps, 0.05);
        // loss = sum(c w + w^4 / 4): its gradient c + w^3 moves with w, so a wrong update would compound.
        for (int k = 0; k < 20; k++)
        {
            using var inner = NewDisposeScope();
            own.zero_grad();
            (ours * c + ours.pow(4) / 4).sum().backward();
            own.step();
            torchSharp.zero_grad();
            (theirs * c + theirs.pow(4) / 4).sum().backward();
            torchSharp.step();
        }
        var expected = theirs.ToArray<double>();
        Close(expected, ours.ToArray<double>(), 1e-12);
        Assert.NotEqual(W0, expected);
    }

    [Fact]
    public void A_parameter_without_gradient_is_left_alone_and_keeps_its_own_count()
    {
        using var scope = NewDisposeScope();
        var w = Leaf(W0);
        var unused = Leaf([3.0]);
        var c = tensor(C);
        using var opt = new AdamW([w, unused], Lr, B1, B2, Eps, 0.1);
        Step(opt, w, c);
        Step(opt, w, c);
        Assert.Equal([3.0], unused.ToArray<double>());
        Assert.Equal(0, opt.ParameterSteps(1));
        Assert.DoesNotContain("1.exp_avg", opt.state_dict().Keys);
    }

    [Fact]
    public void Saving_and_loading_the_state_continues_bitwise()
    {
        using var scope = NewDisposeScope();
        var c = tensor(C);
        var a = Leaf(W0);
        using var straight = new AdamW([a], Lr);
        for (int k = 0; k < 3; k++) Step(straight, a, c);

        var b = Leaf(W0);
        Dictionary<string, Tensor> saved;
        using (var first = new AdamW([b], Lr))
        {
            Step(first, b, c);
            saved = first.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        }
        using var resumed = new AdamW([b], Lr);
        resumed.load_state_dict(saved);
        Step(resumed, b, c);
        Step(resumed, b, c);
        Assert.Equal(a.ToArray<double>(), b.ToArray<double>());
        Assert.Equal(3, resumed.Steps);
    }

    [Fact]
    public void Bad_settings_and_states_are_refused()
    {
        using var scope = NewDisposeScope();
        var w = Leaf(W0);
        Assert.Throws<ArgumentException>(() => new AdamW([w], lr: -1));
        Assert.Throws<ArgumentException>(() => new AdamW([w], beta1: 1));
        Assert.Throws<ArgumentException>(() => new AdamW([w], lr: double.NaN));
        Assert.Throws<ArgumentException>(() => new AdamW([]));
        using var opt = new AdamW([w]);
        var e = Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor>
        {
            ["step"] = tensor(1L), ["0.exp_avg"] = zeros([2], ScalarType.Float64), ["0.exp_avg_sq"] = zeros([2], ScalarType.Float64),
        }));
        Assert.Contains("shape", e.Message);
    }

    private static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }
}
