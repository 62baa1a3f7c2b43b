using AttnXai.Common.Random;
using AttnXai.Explain.Perturbation;
namespace AttnXai.Explain.Tests;

public class LimeSamplingTests
{
    [Fact]
    public void Masks_follow_limes_rules()
    {
        const int d = 5, n = 400;
        var masks = LimeSampler.Sample(d, n, seed: 7);
        Assert.Equal(n * d, masks.Length);
        Assert.All(masks.AsSpan(0, d).ToArray(), Assert.True);
        for (int i = 1; i < n; i++)
        {
            int removed = masks.AsSpan(i * d, d).ToArray().Count(b => !b);
            Assert.InRange(removed, 1, d);
        }
    }

    [Fact]
    public void Removed_counts_are_uniform_on_1_to_d_and_subsets_uniform_given_the_count()
    {
        const int d = 6, n = 60_001;
        var masks = LimeSampler.Sample(d, n, seed: 2024);
        var bySize = new int[d + 1];
        var pairs = new Dictionary<int, int>(); // subsets of size 2, as bit patterns
        for (int i = 1; i < n; i++)
        {
            int removed = 0, pattern = 0;
            for (int j = 0; j < d; j++) if (!masks[i * d + j]) { removed++; pattern |= 1 << j; }
            bySize[removed]++;
            if (removed == 2) pairs[pattern] = pairs.GetValueOrDefault(pattern) + 1;
        }
        Assert.Equal(0, bySize[0]);
        double expected = (n - 1) / (double)d;
        double chi2 = Enumerable.Range(1, d).Sum(s => (bySize[s] - expected) * (bySize[s] - expected) / expected);
        Assert.True(chi2 < 20.5, $"sizes chi2 = {chi2} (5 dof, p = 0.001 critical value 20.52)");

        Assert.Equal(15, pairs.Count); // C(6,2)
        double e2 = bySize[2] / 15.0;
        double chi2Pairs = pairs.Values.Sum(c => (c - e2) * (c - e2) / e2);
        Assert.True(chi2Pairs < 36.1, $"pairs chi2 = {chi2Pairs} (14 dof, p = 0.001 critical value 36.12)");
    }

    [Fact]
    public void Chunked_sampling_equals_sampling_at_once()
    {
        const int d = 9;
        var all = LimeSampler.Sample(d, 1000, 11);
        var sampler = new LimeSampler(d, 11);
        var chunked = new bool[1000 * d];
        sampler.Fill(chunked.AsSpan(0, 1 * d));
        sampler.Fill(chunked.AsSpan(d, 599 * d));
        sampler.Fill(chunked.AsSpan(600 * d));
        Assert.Equal(all, chunked);
        Assert.Equal(1000, sampler.RowsProduced);
    }

    [Theory]
    [InlineData(1, 4, 50.0)]
    [InlineData(4, 4, 0.0)]
    [InlineData(0, 4, 100.0)]
    [InlineData(4, 9, 100.0 / 3.0)]
    [InlineData(1, 1, 0.0)]
    [InlineData(0, 1, 100.0)]
    public void Distance_is_100_times_the_cosine_distance_to_the_original(int kept, int d, double expected)
        => Assert.Equal(expected, LimeKernel.Distance(kept, d), 1e-12);

    [Fact]
    public void Kernel_weights_match_hand_computed_values()
    {
        // d = 4, k = 1: D = 50, pi = sqrt(exp(-2500/625)) = exp(-2500/1250) = exp(-2).
        Assert.Equal(Math.Exp(-2), LimeKernel.Weight(LimeKernel.Distance(1, 4)), 1e-15);
        Assert.Equal(1.0, LimeKernel.Weight(0));
        Assert.Equal(Math.Exp(-8), LimeKernel.Weight(100), 1e-15);
        // d = 9, k = 4: D = 100/3, pi = exp(-(100/3)^2 / (2 * 25^2)) = exp(-8/9).
        Assert.Equal(Math.Exp(-8.0 / 9.0), LimeKernel.Weight(LimeKernel.Distance(4, 9)), 1e-14);
        // Another width: nu = 50, D = 50: exp(-0.5).
        Assert.Equal(Math.Exp(-0.5), LimeKernel.Weight(50, 50), 1e-15);
    }

    [Fact]
    public void Kept_samples_expose_masks_distances_weights_and_outputs()
    {
        const int d = 4;
        var model = TestModels.Nonlinear(d);
        var r = Lime.Explain(model, new LimeOptions { SampleCount = 50, Seed = 3, KeepSamples = true });
        var s = Assert.IsType<LimeSamples>(r.Samples);
        Assert.Equal(50, s.Count);
        Assert.Equal(LimeSampler.Sample(d, 50, 3), s.Masks);
        for (int i = 0; i < 50; i++)
        {
            int k = s.Row(i).ToArray().Count(b => b);
            double dist = k == 0 ? 100 : 100 * (1 - Math.Sqrt(k / 4.0));
            Assert.Equal(dist, s.Distances[i], 1e-12);
            Assert.Equal(Math.Exp(-dist * dist / 1250), s.Weights[i], 1e-14);
        }
        Assert.Equal(0, s.Distances[0]);
        Assert.Equal(model.Evaluate(s.Masks, 50), s.Outputs);
        Assert.Equal(s.Outputs[0], r.FirstRowOutput);
        Assert.Null(Lime.Explain(model, new LimeOptions { SampleCount = 50, Seed = 3 }).Samples);
    }
}

public class LimeRidgeTests
{
    /// <summary>
    /// Independent reference: minimise sum_i w_i (y_i - c - x_i.beta)^2 + alpha |beta|^2 through the augmented normal
    /// equations [1 X]^T W [1 X] (penalty on all but the intercept column), solved by Gaussian elimination with partial
    /// pivoting. Returns (c, beta).
    /// </summary>
    internal static (double Intercept, double[] Beta) ReferenceFit(bool[] masks, double[] y, double[] w, int d, double alpha)
    {
        int p = d + 1, n = y.Length;
        var a = new double[p, p + 1];
        for (int i = 0; i < n; i++)
        {
            var x = new double[p];
            x[0] = 1;
            for (int j = 0; j < d; j++) x[j + 1] = masks[i * d + j] ? 1 : 0;
            for (int r = 0; r < p; r++)
            {
                for (int c = 0; c < p; c++) a[r, c] += w[i] * x[r] * x[c];
                a[r, p] += w[i] * x[r] * y[i];
            }
        }
        for (int j = 1; j < p; j++) a[j, j] += alpha;
        for (int col = 0; col < p; col++)
        {
            int piv = col;
            for (int r = col + 1; r < p; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[piv, col])) piv = r;
            for (int c = 0; c <= p; c++) (a[col, c], a[piv, c]) = (a[piv, c], a[col, c]);
            for (int r = 0; r < p; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                for (int c = col; c <= p; c++) a[r, c] -= f * a[col, c];
            }
        }
        var sol = new double[p];
        for (int r = 0; r < p; r++) sol[r] = a[r, p] / a[r, r];
        return (sol[0], sol[1..]);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.37)]
    [InlineData(0.0)]
    public void Coefficients_and_intercept_equal_an_independent_weighted_least_squares_solve(double alpha)
    {
        const int d = 6, n = 300;
        var rnd = new Random(99); // independent of the library's sampler
        var masks = new bool[n * d];
        for (int i = 0; i < masks.Length; i++) masks[i] = rnd.NextDouble() < 0.6;
        var y = Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 4 - 2).ToArray();
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            int k = 0;
            for (int j = 0; j < d; j++) if (masks[i * d + j]) k++;
            double dist = k == 0 ? 100 : 100 * (1 - Math.Sqrt(k / (double)d));
            w[i] = Math.Exp(-dist * dist / (2 * 25.0 * 25.0));
        }

        var result = Lime.Fit(masks, y, d, new LimeOptions { RidgeAlpha = alpha });
        var (c, beta) = ReferenceFit(masks, y, w, d, alpha);
        Assert.Equal(c, result.Intercept, 1e-10);
        for (int j = 0; j < d; j++) Assert.Equal(beta[j], result.Coefficients[j], 1e-10);

        // Weighted R^2 and the local prediction, recomputed here.
        double my = 0, sw = w.Sum();
        for (int i = 0; i < n; i++) my += w[i] * y[i] / sw;
        double ssRes = 0, ssTot = 0;
        for (int i = 0; i < n; i++)
        {
            double pred = c;
            for (int j = 0; j < d; j++) if (masks[i * d + j]) pred += beta[j];
            ssRes += w[i] * (y[i] - pred) * (y[i] - pred);
            ssTot += w[i] * (y[i] - my) * (y[i] - my);
        }
        Assert.Equal(1 - ssRes / ssTot, result.Score, 1e-10);
        Assert.Equal(c + beta.Sum(), result.LocalPrediction, 1e-10);
    }

    [Fact]
    public void A_linear_model_is_recovered_exactly_without_penalty_and_nearly_with_alpha_1()
    {
        double[] w = [1.5, -2.0, 0.25, 0.0, 3.0, -0.75, 0.6, -1.1];
        var model = new LinearModel(0.4, w);

        var exact = Lime.Explain(model, new LimeOptions { RidgeAlpha = 0, Seed = 1 });
        for (int j = 0; j < w.Length; j++) Assert.Equal(w[j], exact.Coefficients[j], 1e-9);
        Assert.Equal(0.4, exact.Intercept, 1e-9);
        Assert.Equal(1.0, exact.Score, 1e-9);

        // With alpha = 1 the fit is exact on the data, so beta = (G + I)^{-1} G w = w - (G + I)^{-1} w with G the
        // weighted centred Gram matrix. For d = 8 and n = 5000, G's diagonal is sum_i pi_i var(z_j) (about 5000 x 0.2 x
        // 0.2 = 200) and it is diagonally dominant, so the shrinkage is about |w| / 200 <= 0.015 for |w| <= 3.
        // Assert 0.03 (twice that) and that the error is not zero (the penalty does act).
        var ridge = Lime.Explain(model, new LimeOptions { Seed = 1, KeepSamples = true });
        double maxErr = w.Select((wj, j) => Math.Abs(wj - ridge.Coefficients[j])).Max();
        Assert.True(maxErr < 0.03, $"max |beta - w| = {maxErr}");
        Assert.True(maxErr > 1e-6, "alpha = 1 should shrink the coefficients a little");

        // And the exact shrinkage formula holds, from the kept samples: (G + I) beta = G w.
        var s = ridge.Samples!;
        var m = WeightedMoments.FromRows(s.Masks, s.Outputs, s.Weights, w.Length);
        for (int a = 0; a < w.Length; a++)
        {
            double lhs = ridge.Coefficients[a], rhs = 0;
            for (int b = 0; b < w.Length; b++)
            {
                lhs += m.Cxx[a * w.Length + b] * ridge.Coefficients[b];
                rhs += m.Cxx[a * w.Length + b] * w[b];
            }
            Assert.Equal(rhs, lhs, 1e-8);
        }
    }

    [Fact]
    public void Streamed_large_sample_estimator_equals_the_stored_one_on_the_same_masks()
    {
        const int d = 7, n = 5000;
        var model = TestModels.Nonlinear(d);
        var stored = Lime.Explain(model, new LimeOptions { SampleCount = n, Seed = 42 });
        foreach (int chunk in new[] { 4096, 333, 1, n })
        {
            var streamed = Lime.ExplainLargeSample(model, n, new LimeOptions { Seed = 42, BatchSize = chunk });
            for (int j = 0; j < d; j++) Assert.Equal(stored.Coefficients[j], streamed.Coefficients[j], 1e-9);
            Assert.Equal(stored.Intercept, streamed.Intercept, 1e-9);
            Assert.Equal(stored.Score, streamed.Score, 1e-9);
            Assert.Equal(stored.LocalPrediction, streamed.LocalPrediction, 1e-9);
            Assert.Equal(stored.FirstRowOutput, streamed.FirstRowOutput);
            Assert.Equal(n, streamed.SampleCount);
            Assert.Null(streamed.Samples);
        }
    }

    [Fact]
    public void Streamed_large_sample_calls_the_model_in_bounded_chunks()
    {
        var model = TestModels.Nonlinear(5);
        var r = Lime.ExplainLargeSample(model, 100_000, new LimeOptions { Seed = 8 });
        Assert.Equal(100_000, model.Rows);
        Assert.Equal((100_000 + 4095) / 4096, model.Calls);
        Assert.True(r.Score is > 0 and <= 1);
    }

    [Fact]
    public void A_single_word_works_and_its_coefficient_is_the_removal_effect()
    {
        var model = new LinearModel(-0.5, [2.0]);
        var exact = Lime.Explain(model, new LimeOptions { RidgeAlpha = 0 });
        Assert.Equal(2.0, exact.Coefficients.Single(), 1e-9);
        Assert.Equal(-0.5, exact.Intercept, 1e-9);
        // With alpha = 1 lime shrinks a single word strongly: the n - 1 other samples all remove it, at D = 100 and
        // pi = e^-8, so the weighted variance of x is small. By hand: W = 1 + (n-1) e^-8, m = 1/W,
        // G = (1 - m)^2 + (n-1) e^-8 m^2, beta = 2 G / (G + 1).
        static double Expected(long n)
        {
            double e = Math.Exp(-8), w = 1 + (n - 1) * e, m = 1 / w, g = (1 - m) * (1 - m) + (n - 1) * e * m * m;
            return 2 * g / (g + 1);
        }
        var ridge = Lime.Explain(model);
        Assert.Equal(Expected(5000), ridge.Coefficients.Single(), 1e-12);
        Assert.InRange(ridge.Coefficients.Single(), 0.7, 0.8);
        var large = Lime.ExplainLargeSample(model, 20_000);
        Assert.Equal(Expected(20_000), large.Coefficients.Single(), 1e-12);
    }
}

public class LimeBehaviourTests
{
    [Fact]
    public void Same_seed_gives_bit_identical_results_and_different_seeds_differ()
    {
        var model = TestModels.Nonlinear(10);
        var a = Lime.Explain(model, new LimeOptions { Seed = 17 });
        var b = Lime.Explain(model, new LimeOptions { Seed = 17 });
        var c = Lime.Explain(model, new LimeOptions { Seed = 18 });
        Assert.Equal(a.Coefficients, b.Coefficients); // exact equality of doubles
        Assert.Equal(a.Intercept, b.Intercept);
        Assert.Equal(a.Score, b.Score);
        Assert.NotEqual(a.Coefficients, c.Coefficients);
    }

    [Fact]
    public void Caller_supplied_masks_reproduce_a_run_exactly()
    {
        var model = TestModels.Nonlinear(6);
        var run = Lime.Explain(model, new LimeOptions { Seed = 5, KeepSamples = true });
        var again = Lime.Explain(model, run.Samples!.Masks);
        Assert.Equal(run.Coefficients, again.Coefficients);
        Assert.Null(again.Seed);
        var fitted = Lime.Fit(run.Samples.Masks, run.Samples.Outputs, 6);
        Assert.Equal(run.Coefficients, fitted.Coefficients);
    }

    [Fact]
    public void Batching_the_model_calls_does_not_change_the_result()
    {
        var one = TestModels.Nonlinear(6);
        var many = TestModels.Nonlinear(6);
        var a = Lime.Explain(one, new LimeOptions { Seed = 2 });
        var b = Lime.Explain(many, new LimeOptions { Seed = 2, BatchSize = 1000 });
        Assert.Equal(1, one.Calls);
        Assert.Equal(5, many.Calls);
        Assert.Equal(a.Coefficients, b.Coefficients);
    }

    [Fact]
    public void Repeated_runs_use_derived_seeds_and_average_the_coefficients()
    {
        var model = TestModels.Nonlinear(5);
        var set = Lime.ExplainRepeated(model, options: new LimeOptions { Seed = 9, SampleCount = 800 });
        Assert.Equal(5, set.Runs.Count);
        Assert.Equal(5, set.Seeds.Distinct().Count());
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal(SplitMix64.Derive(9, r), set.Seeds[r]);
            var single = Lime.Explain(model, new LimeOptions { Seed = set.Seeds[r], SampleCount = 800 });
            Assert.Equal(single.Coefficients, set.Runs[r].Coefficients);
        }
        for (int j = 0; j < 5; j++)
        {
            double mean = set.Runs.Select(x => x.Coefficients[j]).Average();
            Assert.Equal(mean, set.MeanCoefficients[j], 1e-14);
            Assert.True(set.CoefficientStdDev[j] > 0);
        }
    }

    [Fact]
    public void No_features_is_rejected_clearly()
    {
        var model = new LinearModel(0, []);
        var ex = Assert.Throws<ArgumentException>(() => Lime.Explain(model));
        Assert.Contains("no features", ex.Message);
        Assert.Throws<ArgumentException>(() => Lime.ExplainLargeSample(model, 1000));
        Assert.Throws<ArgumentException>(() => Occlusion.Explain(model));
        Assert.Throws<ArgumentException>(() => KernelShap.Explain(model));
    }

    [Fact]
    public void A_model_returning_NaN_is_named_in_the_exception()
    {
        var model = new BrokenModel(3, count => Enumerable.Range(0, count).Select(i => i == 7 ? double.NaN : 1.0).ToArray());
        var ex = Assert.Throws<InvalidOperationException>(() => Lime.Explain(model));
        Assert.Contains("NaN", ex.Message);
        Assert.Contains("row 7", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Lime.ExplainLargeSample(model, 10_000));
    }

    [Fact]
    public void A_model_returning_the_wrong_number_of_values_is_named_in_the_exception()
    {
        var model = new BrokenModel(3, count => new double[count - 1]);
        var ex = Assert.Throws<InvalidOperationException>(() => Lime.Explain(model));
        Assert.Contains("returned 4999 values for 5000 rows", ex.Message);
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        var model = TestModels.Nonlinear(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Explain(model, new LimeOptions { SampleCount = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Explain(model, new LimeOptions { KernelWidth = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Explain(model, new LimeOptions { RidgeAlpha = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Explain(model, new LimeOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => Lime.Explain(model, new bool[7]));
        Assert.Throws<ArgumentException>(() => Lime.Fit(new bool[6], [1.0, double.NaN], 3));
    }
}
