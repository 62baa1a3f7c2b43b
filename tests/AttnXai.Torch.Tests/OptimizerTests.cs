using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

/// <summary>Adam and AdamW against the update rules written out here in doubles (PyTorch's, as documented in optim/Adam.cs).</summary>
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
        {
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
        }
        return p;
    }

    private static void Step(torch.optim.Optimizer opt, Tensor w, Tensor c)
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        (w * c).sum().backward();
        opt.step();
    }

    [Theory]
    [InlineData(false, 0.0, true)]
    [InlineData(false, 0.1, true)]
    [InlineData(true, 0.1, true)]
    [InlineData(true, 0.0, true)]
    [InlineData(false, 0.1, false)]
    [InlineData(true, 0.1, false)]
    public void Two_steps_match_the_hand_computation(bool adamW, double weightDecay, bool fused)
    {
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf(W0);
        var c = torch.tensor(C);
        using torch.optim.Adam opt = adamW
            ? new torch.optim.AdamW([w], Lr, B1, B2, Eps, weightDecay)
            : new torch.optim.Adam([w], Lr, B1, B2, Eps, weightDecay);
        opt.fused = fused;
        Step(opt, w, c);
        T.Close(Reference(1, weightDecay, adamW), w, 1e-14);
        Step(opt, w, c);
        T.Close(Reference(2, weightDecay, adamW), w, 1e-14);
        // Decoupled and coupled decay differ, so the reference tells them apart.
        if (weightDecay != 0) Assert.NotEqual(Reference(2, weightDecay, !adamW)[0], w.ToArray<double>()[0]);
    }

    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    [InlineData(ScalarType.Float32, false)]
    public void Fused_kernel_and_per_op_path_give_identical_weights(ScalarType dtype, bool adamW)
    {
        // The one-pass kernel repeats the per-op path's rule and operation order; ATen's vectorised kernels may
        // round a product differently (fused multiply-add), so they agree to a few units in the last place.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var start = torch.randn([64, 33], dtype);
        var target = torch.randn([64, 33], dtype);
        var results = new List<double[]>();
        foreach (var fused in new[] { true, false })
        {
            var w = start.clone();
            w.requires_grad = true;
            using torch.optim.Adam opt = adamW ? new torch.optim.AdamW([w], 0.01, weight_decay: 0.05) : new torch.optim.Adam([w], 0.01, weight_decay: 0.05);
            opt.fused = fused;
            for (int k = 0; k < 5; k++)
            {
                using var step = torch.NewDisposeScope();
                opt.zero_grad();
                ((w - target).square() * (w + 1.0)).sum().backward();
                opt.step();
            }
            results.Add(w.ToArray<double>());
        }
        double tol = dtype == ScalarType.Float32 ? 1e-6 : 1e-14;
        for (int k = 0; k < results[0].Length; k++)
            Assert.True(Math.Abs(results[0][k] - results[1][k]) <= tol * Math.Max(1, Math.Abs(results[1][k])),
                $"element {k}: fused {results[0][k]:R}, per-op {results[1][k]:R}");
        Assert.NotEqual(start.ToArray<double>(), results[0]);
    }

    [Fact]
    public void First_adam_step_moves_each_weight_by_lr_against_the_gradient_sign()
    {
        // With m = v = 0, the bias-corrected first step is lr * g / (|g| + eps) = lr * sign(g) (for |g| >> eps).
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf([1.0, -2.0]);
        var c = torch.tensor(new[] { 0.5, -3.0 });
        using var opt = new torch.optim.Adam([w], lr: 0.1);
        Step(opt, w, c);
        T.Close([0.9, -1.9], w, 1e-7);
        Assert.Equal(1, opt.Steps);
    }

    [Fact]
    public void Adamw_defaults_are_pytorchs()
    {
        // lr 1e-3, weight decay 0.01: after one step w = w (1 - 1e-5) - 1e-3 sign(g)
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf([2.0]);
        using var opt = new torch.optim.AdamW([w]);
        Step(opt, w, torch.tensor(new[] { 4.0 }));
        T.Close([2.0 * (1 - 1e-5) - 1e-3 * 4 / (4 + 1e-8)], w, 1e-15);
    }

    [Fact]
    public void Parameters_without_gradient_are_left_alone()
    {
        using var scope = torch.NewDisposeScope();
        var a = GradCheck.Leaf([1.0]);
        var b = GradCheck.Leaf([5.0]);
        using var opt = new torch.optim.AdamW([a, b], weight_decay: 0.5);
        (a * 2.0).sum().backward();
        opt.step();
        T.Close([5.0], b, 0); // no gradient: neither decayed nor moved, like PyTorch
        Assert.NotEqual(1.0, a.ToArray<double>()[0]);
        var state = opt.state_dict();
        Assert.Contains("0.exp_avg", state.Keys);
        Assert.DoesNotContain("1.exp_avg", state.Keys);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_parameter_first_updated_late_starts_its_own_bias_correction(bool fused)
    {
        // PyTorch keeps a step count per parameter: b has no gradient in the first two steps, so its first update
        // uses t = 1 (a move of lr * sign(g)), not t = 3 (a move of lr * sqrt(1 - b2^3) / (1 - b1^3) * sign(g)).
        using var scope = torch.NewDisposeScope();
        var a = GradCheck.Leaf([1.0]);
        var b = GradCheck.Leaf([5.0]);
        using var opt = new torch.optim.Adam([a, b], lr: 0.1);
        opt.fused = fused;
        for (int k = 0; k < 2; k++)
        {
            using var step = torch.NewDisposeScope();
            opt.zero_grad();
            (a * 2.0).sum().backward();
            opt.step();
        }
        Assert.Equal(2, opt.ParameterSteps(0));
        Assert.Equal(0, opt.ParameterSteps(1));
        using (torch.NewDisposeScope())
        {
            opt.zero_grad();
            ((a + b) * 3.0).sum().backward();
            opt.step();
        }
        T.Close([5.0 - 0.1 * 3 / (3 + 1e-8)], b, 1e-15);
        Assert.Equal(3, opt.Steps);
        Assert.Equal(1, opt.ParameterSteps(1));
        var state = opt.state_dict();
        Assert.Equal(3, state["0.step"].item<long>());
        Assert.Equal(1, state["1.step"].item<long>());
    }

    [Fact]
    public void State_without_per_parameter_counts_loads_with_the_global_count()
    {
        // Resumable training states written before per-parameter counts existed hold only "step".
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf([1.0, 2.0]);
        using var opt = new torch.optim.Adam([w]);
        opt.load_state_dict(new Dictionary<string, Tensor>
        {
            ["step"] = torch.tensor(new[] { 4L }, []),
            ["0.exp_avg"] = torch.zeros([2], ScalarType.Float64),
            ["0.exp_avg_sq"] = torch.zeros([2], ScalarType.Float64),
        });
        Assert.Equal(4, opt.ParameterSteps(0));
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf([1.0]);
        Assert.Throws<ArgumentException>(() => new torch.optim.Adam([w], lr: -1));
        Assert.Throws<ArgumentException>(() => new torch.optim.Adam([w], beta1: 1));
        Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([w], beta2: -0.1));
        Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([w], eps: -1));
        Assert.Throws<ArgumentException>(() => new torch.optim.AdamW([]));
    }

    [Fact]
    public void State_dict_round_trip_continues_identically()
    {
        using var scope = torch.NewDisposeScope();
        var c = torch.tensor(C);
        var w1 = GradCheck.Leaf(W0);
        using var opt1 = new torch.optim.AdamW([w1], Lr, weight_decay: 0.05);
        Step(opt1, w1, c);
        Step(opt1, w1, c);

        // A second parameter with the same values and a second optimizer given the first one's state.
        var w2 = GradCheck.Leaf(w1.ToArray<double>());
        using var opt2 = new torch.optim.AdamW([w2], Lr, weight_decay: 0.05);
        var state = opt1.state_dict();
        Assert.Equal(2, state["step"].item<long>());
        Assert.Equal(0, state["step"].dim());
        opt2.load_state_dict(state);
        foreach (var t in state.Values) t.Dispose(); // the loaded state is a copy
        Assert.Equal(2, opt2.Steps);

        // A third one without the state, to show that the state matters.
        var w3 = GradCheck.Leaf(w1.ToArray<double>());
        using var opt3 = new torch.optim.AdamW([w3], Lr, weight_decay: 0.05);

        for (int k = 0; k < 3; k++) { Step(opt1, w1, c); Step(opt2, w2, c); Step(opt3, w3, c); }
        Assert.Equal(Bits(w1), Bits(w2));
        Assert.NotEqual(Bits(w1), Bits(w3));
        T.Close(Reference(5, 0.05, decoupled: true), w1, 1e-13);
    }

    [Fact]
    public void State_dict_survives_a_safetensors_file()
    {
        using var scope = torch.NewDisposeScope();
        var c = torch.tensor(C);
        var w1 = GradCheck.Leaf(W0);
        using var opt1 = new torch.optim.Adam([w1], Lr);
        Step(opt1, w1, c);
        var path = Path.Combine(Path.GetTempPath(), $"attnxai-adam-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, opt1.state_dict());
            var w2 = GradCheck.Leaf(w1.ToArray<double>());
            using var opt2 = new torch.optim.Adam([w2], Lr);
            opt2.load_state_dict(Safetensors.Load(path));
            Step(opt1, w1, c);
            Step(opt2, w2, c);
            Assert.Equal(Bits(w1), Bits(w2));
            T.Close(Reference(2, 0, false), w2, 1e-14);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Load_state_dict_rejects_bad_state()
    {
        using var scope = torch.NewDisposeScope();
        var w = GradCheck.Leaf([1.0, 2.0]);
        using var opt = new torch.optim.Adam([w]);
        Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor>()));
        var e = Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor>
        {
            ["step"] = torch.tensor(new[] { 1L }, []),
            ["0.exp_avg"] = torch.zeros([3], ScalarType.Float64),
        }));
        Assert.Contains("0.exp_avg has shape [3], parameter has [2]", e.Message);
    }

    private static long[] Bits(Tensor t) => t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray();
}
