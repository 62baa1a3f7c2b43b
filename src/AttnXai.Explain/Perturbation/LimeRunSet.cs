namespace AttnXai.Explain.Perturbation;

/// <summary>R independent LIME runs of the paper's protocol.</summary>
public sealed class LimeRunSet
{
    internal LimeRunSet(IReadOnlyList<LimeResult> runs, ulong[] seeds)
    {
        Runs = runs; Seeds = seeds;
        int d = runs[0].Coefficients.Length, r = runs.Count;
        MeanCoefficients = new double[d];
        CoefficientStdDev = new double[d];
        for (int j = 0; j < d; j++)
        {
            double mean = 0;
            foreach (var run in runs) mean += run.Coefficients[j];
            mean /= r;
            double ss = 0;
            foreach (var run in runs) ss += (run.Coefficients[j] - mean) * (run.Coefficients[j] - mean);
            MeanCoefficients[j] = mean;
            CoefficientStdDev[j] = r > 1 ? Math.Sqrt(ss / (r - 1)) : 0;
        }
        MeanIntercept = runs.Average(x => x.Intercept);
    }

    /// <summary>The runs, in order.</summary>
    public IReadOnlyList<LimeResult> Runs { get; }
    /// <summary>The seed of each run: SplitMix64.Derive(seed, r).</summary>
    public ulong[] Seeds { get; }
    /// <summary>Mean over runs of each coefficient (what the authors compare with Theorem 5.1).</summary>
    public double[] MeanCoefficients { get; }
    /// <summary>Sample standard deviation (R - 1 denominator) of each coefficient over runs; 0 for one run.</summary>
    public double[] CoefficientStdDev { get; }
    /// <summary>Mean intercept.</summary>
    public double MeanIntercept { get; }
}
