using AttnXai.Explain.Perturbation;
namespace AttnXai.Explain.Tests;

public class OcclusionTests
{
    [Fact]
    public void Scores_are_the_drop_when_each_word_is_removed()
    {
        // f = 1 + 2 z0 - z1 + 3 z0 z2 (+ 0 z3): removing 0 loses 2 + 3 = 5, 1 gains 1, 2 loses 3, 3 nothing.
        var model = new FuncModel(4, z => 1 + (z[0] ? 2 : 0) - (z[1] ? 1 : 0) + (z[0] && z[2] ? 3 : 0));
        var r = Occlusion.Explain(model);
        Assert.Equal([5.0, -1.0, 3.0, 0.0], r.Scores);
        Assert.Equal(5.0, r.FullOutput);
        Assert.Equal([0.0, 6.0, 2.0, 5.0], r.WithoutOutputs);
        Assert.Equal(1, model.Calls);
        Assert.Equal(5, model.Rows);
    }

    [Fact]
    public void A_single_word_is_scored_against_the_empty_document()
    {
        var r = Occlusion.Explain(new LinearModel(0.5, [-1.5]));
        Assert.Equal(-1.5, r.Scores.Single(), 1e-14);
    }
}

public class KernelShapTests
{
    /// <summary>True Shapley values by averaging marginal contributions over all d! orderings.</summary>
    private static double[] BruteForceShapley(int d, Func<bool[], double> f)
    {
        var phi = new double[d];
        var perm = Enumerable.Range(0, d).ToArray();
        int count = 0;
        void Visit(int k)
        {
            if (k == d)
            {
                var z = new bool[d];
                double prev = f(z);
                foreach (int j in perm)
                {
                    z[j] = true;
                    double cur = f(z);
                    phi[j] += cur - prev;
                    prev = cur;
                }
                count++;
                return;
            }
            for (int i = k; i < d; i++)
            {
                (perm[k], perm[i]) = (perm[i], perm[k]);
                Visit(k + 1);
                (perm[k], perm[i]) = (perm[i], perm[k]);
            }
        }
        Visit(0);
        return phi.Select(p => p / count).ToArray();
    }

    private static double Interacting(bool[] z)
    {
        double s = 0.2;
        if (z[0]) s += 1.0;
        if (z[1]) s -= 0.5;
        if (z[0] && z[1]) s += 2.0;
        if (z[2] && z[3] && !z[4]) s -= 1.3;
        if (z[3]) s += Math.Sqrt(1 + (z[4] ? 2 : 0));
        return s * (z[2] ? 1.5 : 1.0);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Exact_enumeration_equals_brute_force_Shapley_values(int d)
    {
        Func<bool[], double> f = d == 5 ? Interacting : z => (z[0] ? 1 : 0) * (z[1] ? 2 : 0.5) + (z[2] && z[3] ? -1.7 : 0.3) + (z[1] ? 0.9 : 0);
        var model = new FuncModel(d, f);
        var r = KernelShap.Explain(model);
        Assert.True(r.Exact);
        Assert.Equal((1 << d) - 2, r.CoalitionCount);
        var truth = BruteForceShapley(d, f);
        for (int j = 0; j < d; j++) Assert.Equal(truth[j], r.Values[j], 1e-9);
        Assert.Equal(f(Enumerable.Repeat(true, d).ToArray()) - f(new bool[d]), r.Values.Sum(), 1e-12);
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public void Kernel_weights_match_the_formula()
    {
        // d = 4: s = 1 -> 3 / (4 * 1 * 3) = 0.25; s = 2 -> 3 / (6 * 2 * 2) = 0.125.
        Assert.Equal(0.25, KernelShap.KernelWeight(4, 1), 1e-15);
        Assert.Equal(0.125, KernelShap.KernelWeight(4, 2), 1e-15);
        Assert.Equal(0.25, KernelShap.KernelWeight(4, 3), 1e-15);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelShap.KernelWeight(4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelShap.KernelWeight(4, 4));
    }

    [Fact]
    public void Sampled_values_of_an_additive_model_are_its_weights_and_efficiency_is_exact()
    {
        var rnd = new Random(4);
        var w = Enumerable.Range(0, 30).Select(_ => rnd.NextDouble() * 4 - 2).ToArray();
        var model = new LinearModel(0.7, w);
        var r = KernelShap.Explain(model, new KernelShapOptions { Seed = 3 });
        Assert.False(r.Exact);
        Assert.Equal(2048, r.CoalitionCount);
        // An additive model is fitted without residual by any full-rank sample, so the values are exact up to rounding.
        for (int j = 0; j < w.Length; j++) Assert.Equal(w[j], r.Values[j], 1e-9);
        Assert.Equal(w.Sum(), r.Values.Sum(), 1e-12);
    }

    [Fact]
    public void Sampled_values_approach_exact_Shapley_values_of_a_nonlinear_model()
    {
        const int d = 10;
        var model = TestModels.Nonlinear(d);
        var exact = KernelShap.Explain(model);
        var sampled = KernelShap.Explain(model, new KernelShapOptions { ExactMaxFeatures = 0, SampleCount = 20_000, Seed = 1 });
        Assert.True(exact.Exact);
        Assert.False(sampled.Exact);
        double scale = exact.Values.Max(Math.Abs);
        double err = exact.Values.Zip(sampled.Values, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(err < 0.05 * scale, $"max error {err} vs scale {scale}");
        Assert.Equal(exact.FullOutput - exact.BaseOutput, sampled.Values.Sum(), 1e-12);
    }

    [Fact]
    public void Same_seed_is_bit_identical_and_different_seeds_differ()
    {
        var model = TestModels.Nonlinear(16);
        var a = KernelShap.Explain(model, new KernelShapOptions { Seed = 10 });
        var b = KernelShap.Explain(model, new KernelShapOptions { Seed = 10 });
        var c = KernelShap.Explain(model, new KernelShapOptions { Seed = 11 });
        Assert.Equal(a.Values, b.Values);
        Assert.NotEqual(a.Values, c.Values);
    }

    [Fact]
    public void One_and_two_words_work()
    {
        var one = KernelShap.Explain(new LinearModel(1, [2.5]));
        Assert.Equal(2.5, one.Values.Single(), 1e-14);
        Func<bool[], double> f = z => (z[0] && z[1]) ? 3 : (z[0] ? 1 : 0);
        var two = KernelShap.Explain(new FuncModel(2, f));
        // Shapley: phi0 = (1 + (3 - 0)) / 2 = 2, phi1 = (0 + (3 - 1)) / 2 = 1.
        Assert.Equal(2.0, two.Values[0], 1e-12);
        Assert.Equal(1.0, two.Values[1], 1e-12);
    }

    [Fact]
    public void A_model_returning_NaN_is_named_in_the_exception()
    {
        var model = new BrokenModel(3, count => Enumerable.Repeat(double.NaN, count).ToArray());
        var ex = Assert.Throws<InvalidOperationException>(() => KernelShap.Explain(model));
        Assert.Contains("NaN", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Occlusion.Explain(model));
    }
}
