using AttnXai.Common.Random;
namespace AttnXai.Explain.Perturbation;

/// <summary>Settings of <see cref="KernelShap"/>.</summary>
public sealed record KernelShapOptions
{
    /// <summary>Enumerate all 2^d - 2 proper coalitions when d is at most this (exact Shapley values). Default 12.</summary>
    public int ExactMaxFeatures { get; init; } = 12;
    /// <summary>Number of sampled proper coalitions when d is larger (rounded up to even when paired). Default 2048.</summary>
    public int SampleCount { get; init; } = DefaultSampleCount;
    public const int DefaultSampleCount = 2048;
    /// <summary>Add each sampled coalition's complement (antithetic sampling). Default true.</summary>
    public bool Paired { get; init; } = true;
    /// <summary>Seed of the coalition sampler.</summary>
    public ulong Seed { get; init; }
    /// <summary>Rows per model call; null = one call.</summary>
    public int? BatchSize { get; init; }
}

/// <summary>KernelSHAP values of the words.</summary>
public sealed class KernelShapResult
{
    /// <summary>phi_j, one per word; sum phi = FullOutput - BaseOutput (enforced exactly).</summary>
    public required double[] Values { get; init; }
    /// <summary>f(none): the document with every word removed (the reference, phi_0).</summary>
    public required double BaseOutput { get; init; }
    /// <summary>f(all): the original document.</summary>
    public required double FullOutput { get; init; }
    /// <summary>True when all coalitions were enumerated (the values are then the exact Shapley values).</summary>
    public required bool Exact { get; init; }
    /// <summary>Number of proper coalitions (neither empty nor full) in the regression.</summary>
    public required int CoalitionCount { get; init; }
}

/// <summary>
/// KernelSHAP over words (Lundberg and Lee 2017): players are the d words, a coalition z keeps its words and removes
/// the others; v(z) = f(z). phi solves the weighted regression of f(z) - f(none) on z with the Shapley kernel
/// k(s) = (d-1) / (C(d,s) s (d-s)) for |z| = s in 1..d-1, under the efficiency constraint sum phi = f(all) - f(none),
/// which is imposed exactly by eliminating the last word's value: with Delta = f(all) - f(none),
/// f(z) - f(none) - z_last Delta = sum_{j &lt; last} phi_j (z_j - z_last), then phi_last = Delta - sum_{j &lt; last} phi_j.
/// </summary>
public static class KernelShap
{
    /// <summary>The Shapley kernel weight of one coalition of <paramref name="size"/> kept words among d (1 &lt;= size &lt;= d-1).</summary>
    public static double KernelWeight(int featureCount, int size)
    {
        if (size < 1 || size >= featureCount)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The Shapley kernel is finite only for 1 <= size <= d-1 (d = {featureCount}).");
        return (featureCount - 1) / (Binomial(featureCount, size) * size * (featureCount - size));
    }

    /// <summary>Computes the KernelSHAP values (exact enumeration for small d, seeded sampling otherwise).</summary>
    public static KernelShapResult Explain(IPerturbationModel model, KernelShapOptions? options = null)
    {
        options ??= new KernelShapOptions();
        int d = ModelCalls.FeatureCountOf(model);
        if (options.ExactMaxFeatures > 30) throw new ArgumentOutOfRangeException(nameof(options), "ExactMaxFeatures must be at most 30.");
        if (options.SampleCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "SampleCount must be positive.");
        bool exact = d <= options.ExactMaxFeatures;

        // Rows: [all, none, coalitions...]; weights per coalition.
        List<bool[]> coalitions;
        List<double> weights;
        if (exact) (coalitions, weights) = Enumerate(d);
        else (coalitions, weights) = Sample(d, options);
        int m = coalitions.Count;
        var rows = new bool[checked((m + 2) * d)];
        rows.AsSpan(0, d).Fill(true);
        for (int i = 0; i < m; i++) coalitions[i].CopyTo(rows, (i + 2) * d);
        var y = ModelCalls.Evaluate(model, rows, m + 2, options.BatchSize);
        double full = y[0], none = y[1], delta = full - none;

        var phi = new double[d];
        if (d == 1)
        {
            phi[0] = delta;
        }
        else
        {
            int p = d - 1, last = d - 1;
            var a = new double[p * p];
            var b = new double[p];
            var x = new double[p];
            for (int i = 0; i < m; i++)
            {
                var z = coalitions[i];
                double zl = z[last] ? 1 : 0, w = weights[i];
                double target = y[i + 2] - none - zl * delta;
                for (int j = 0; j < p; j++) x[j] = (z[j] ? 1 : 0) - zl;
                for (int r = 0; r < p; r++)
                {
                    if (x[r] == 0) continue;
                    double wr = w * x[r];
                    b[r] += wr * target;
                    for (int c = r; c < p; c++) a[r * p + c] += wr * x[c];
                }
            }
            for (int r = 0; r < p; r++) for (int c = r + 1; c < p; c++) a[c * p + r] = a[r * p + c];
            double[] sol;
            try { sol = WeightedRidge.SolveSymmetricPositiveDefinite(a, b, p); }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException(
                    $"KernelSHAP's regression is singular with {m} sampled coalitions for d = {d}: increase SampleCount.", e);
            }
            double sum = 0;
            for (int j = 0; j < p; j++) { phi[j] = sol[j]; sum += sol[j]; }
            phi[last] = delta - sum;
        }
        return new KernelShapResult { Values = phi, BaseOutput = none, FullOutput = full, Exact = exact, CoalitionCount = m };
    }

    private static (List<bool[]>, List<double>) Enumerate(int d)
    {
        var coalitions = new List<bool[]>();
        var weights = new List<double>();
        for (int mask = 1; mask < (1 << d) - 1; mask++)
        {
            var z = new bool[d];
            int s = 0;
            for (int j = 0; j < d; j++) if ((mask >> j & 1) != 0) { z[j] = true; s++; }
            coalitions.Add(z);
            weights.Add(KernelWeight(d, s));
        }
        return (coalitions, weights);
    }

    /// <summary>
    /// Coalition sizes s in 1..d-1 drawn with probability proportional to the kernel's total weight at that size,
    /// C(d,s) k(s) = (d-1) / (s (d-s)); then a uniform coalition of that size; optionally its complement too. Every
    /// sample then carries the same weight: the weighted objective is estimated without bias.
    /// </summary>
    private static (List<bool[]>, List<double>) Sample(int d, KernelShapOptions options)
    {
        var rng = new Xoshiro256StarStar(options.Seed);
        var cdf = new double[d - 1];
        double total = 0;
        for (int s = 1; s < d; s++) { total += 1.0 / (s * (double)(d - s)); cdf[s - 1] = total; }
        int draws = options.Paired ? (options.SampleCount + 1) / 2 : options.SampleCount;
        var coalitions = new List<bool[]>(options.Paired ? 2 * draws : draws);
        var perm = new int[d];
        for (int t = 0; t < draws; t++)
        {
            double u = rng.NextDouble() * total;
            int size = 1;
            while (size < d - 1 && cdf[size - 1] <= u) size++;
            for (int j = 0; j < d; j++) perm[j] = j;
            var z = new bool[d];
            for (int j = 0; j < size; j++)
            {
                int r = j + rng.NextInt(d - j);
                (perm[j], perm[r]) = (perm[r], perm[j]);
                z[perm[j]] = true;
            }
            coalitions.Add(z);
            if (options.Paired)
            {
                var c = new bool[d];
                for (int j = 0; j < d; j++) c[j] = !z[j];
                coalitions.Add(c);
            }
        }
        var weights = Enumerable.Repeat(1.0, coalitions.Count).ToList();
        return (coalitions, weights);
    }

    private static double Binomial(int n, int k)
    {
        k = Math.Min(k, n - k);
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return Math.Round(r);
    }
}
