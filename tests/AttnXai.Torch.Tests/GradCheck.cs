using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

/// <summary>
/// Compares autograd's gradients with central finite differences, in float64. The scalar being differentiated is
/// L = sum_k sum(out_k * W_k) for fixed pseudo-random weights W_k, so every output element contributes with a
/// different weight. The analytic side is torch.autograd.grad(L, leaves); the numeric side perturbs each element
/// of each leaf by +-h (in place, under no_grad), re-evaluates the function and computes L in C# doubles from
/// ToArray&lt;double&gt;(), so it does not depend on libtorch's autograd at all.
/// </summary>
public static class GradCheck
{
    public const double H = 1e-6;

    /// <summary>A float64 leaf requiring grad, filled with values uniform in [lo, hi] drawn from a seeded System.Random.</summary>
    public static Tensor Leaf(Random rng, long[] shape, double lo = -2, double hi = 2, double awayFromZero = 0)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new double[n];
        for (long k = 0; k < n; k++)
        {
            double v;
            do v = lo + (hi - lo) * rng.NextDouble(); while (Math.Abs(v) < awayFromZero);
            data[k] = v;
        }
        return torch.tensor(data, shape, requires_grad: true);
    }

    public static Tensor Leaf(double[] data, params long[] shape) => torch.tensor(data, shape.Length == 0 ? null : shape, requires_grad: true);

    public static void Check(Tensor[] leaves, Func<Tensor> f, double rtol = 1e-6, double atol = 1e-6) =>
        Check(leaves, () => [f()], rtol, atol);

    public static void Check(Tensor[] leaves, Func<Tensor[]> f, double rtol = 1e-6, double atol = 1e-6)
    {
        var problems = Compare(leaves, f, rtol, atol);
        Assert.True(problems.Count == 0, "gradient check failed:\n" + string.Join("\n", problems.Take(20)));
    }

    /// <summary>The elements where analytic and numeric gradients disagree (empty when they agree).</summary>
    public static List<string> Compare(Tensor[] leaves, Func<Tensor[]> f, double rtol = 1e-6, double atol = 1e-6)
    {
        var problems = new List<string>();
        using var scope = torch.NewDisposeScope();
        foreach (var leaf in leaves)
        {
            Assert.Equal(ScalarType.Float64, leaf.dtype);
            Assert.True(leaf.requires_grad, "every leaf must require grad");
        }

        // Analytic.
        var outs = f();
        Assert.NotEmpty(outs);
        var weights = new double[outs.Length][];
        Tensor? loss = null;
        for (int k = 0; k < outs.Length; k++)
        {
            Assert.Equal(ScalarType.Float64, outs[k].dtype);
            weights[k] = Weights(outs[k].numel(), 1000 + k);
            var term = (outs[k] * torch.tensor(weights[k], outs[k].shape)).sum();
            loss = loss is null ? term : loss + term;
        }
        var grads = torch.autograd.grad([loss!], leaves, allow_unused: true);

        // Numeric.
        double Evaluate()
        {
            using var s = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            var o = f();
            double total = 0;
            for (int k = 0; k < o.Length; k++)
            {
                var v = o[k].ToArray<double>();
                for (int j = 0; j < v.Length; j++) total += v[j] * weights[k][j];
            }
            return total;
        }

        for (int i = 0; i < leaves.Length; i++)
        {
            var leaf = leaves[i];
            var shape = leaf.shape;
            var x0 = leaf.ToArray<double>();
            var analytic = grads[i]?.ToArray<double>() ?? new double[x0.Length];
            Assert.Equal(x0.Length, analytic.Length);
            var x = (double[])x0.Clone();
            for (int j = 0; j < x0.Length; j++)
            {
                double up = x0[j] + H, down = x0[j] - H;
                x[j] = up; Set(leaf, x, shape);
                double fUp = Evaluate();
                x[j] = down; Set(leaf, x, shape);
                double fDown = Evaluate();
                x[j] = x0[j];
                Set(leaf, x, shape);
                double numeric = (fUp - fDown) / (up - down);
                if (!(Math.Abs(analytic[j] - numeric) <= atol + rtol * Math.Abs(numeric)))
                    problems.Add($"input {i} element {j}: autograd {analytic[j]:R}, finite differences {numeric:R}");
            }
        }
        return problems;
    }

    private static void Set(Tensor leaf, double[] values, long[] shape)
    {
        using var ng = torch.no_grad();
        using var src = torch.tensor(values, shape);
        leaf.copy_(src);
    }

    /// <summary>Fixed weights in +-[0.5, 1.5], from a seeded System.Random.</summary>
    public static double[] Weights(long n, int seed)
    {
        var rng = new Random(seed);
        var w = new double[n];
        for (long k = 0; k < n; k++) w[k] = (rng.Next(2) == 0 ? -1 : 1) * (0.5 + rng.NextDouble());
        return w;
    }
}
