using AttnXai.Explain;
using AttnXai.Torch;

namespace AttnXai.Reproduce;

/// <summary>
/// LIME's estimate (the same seeded samples, kernel and weighted ridge as AttnXai.Explain's Lime) with the weighted
/// Gram matrix X^T W X formed by a float64 matrix product (libtorch BLAS) instead of per-row pair updates: the study's
/// bottleneck. Samples are drawn by <see cref="LimeSampler"/> from the seed, evaluated in chunks, accumulated as raw
/// weighted sums, then centred (intercept unpenalised) and solved. Tests check it against Lime.Explain.
/// Call from any thread (each thread uses its own dispose scope); set torch threads to 1 when many threads call it.
/// </summary>
public static class FastLime
{
    public const int Chunk = 2048;

    public static double[] Coefficients(IPerturbationModel model, long sampleCount, ulong seed, double kernelWidth = LimeKernel.DefaultWidth, double ridgeAlpha = 1)
    {
        int d = model.FeatureCount;
        var sampler = new LimeSampler(d, seed);
        var rows = new bool[Chunk * d];
        var xs = new double[Chunk * d];
        var w = new double[Chunk];
        var gram = new double[d * d];
        var swx = new double[d];
        var swxy = new double[d];
        double sw = 0, swy = 0;
        for (long start = 0; start < sampleCount; start += Chunk)
        {
            int m = (int)Math.Min(Chunk, sampleCount - start);
            var span = rows.AsSpan(0, m * d);
            sampler.Fill(span);
            var y = model.Evaluate(span, m);
            for (int i = 0; i < m; i++)
            {
                var row = span.Slice(i * d, d);
                double wi = LimeKernel.Weight(LimeKernel.Distance(LimeKernel.KeptCount(row), d), kernelWidth);
                double s = Math.Sqrt(wi);
                w[i] = wi;
                sw += wi;
                swy += wi * y[i];
                var xr = xs.AsSpan(i * d, d);
                for (int j = 0; j < d; j++)
                {
                    if (row[j]) { xr[j] = s; swx[j] += wi; swxy[j] += wi * y[i]; }
                    else xr[j] = 0;
                }
            }
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(m == Chunk ? xs : xs.AsSpan(0, m * d).ToArray(), [m, d]);
            var g = x.t().mm(x).ToArray<double>();
            for (int k = 0; k < gram.Length; k++) gram[k] += g[k];
        }
        if (!(sw > 0)) throw new InvalidOperationException("the LIME sample weights sum to zero");
        var mx = new double[d];
        for (int j = 0; j < d; j++) mx[j] = swx[j] / sw;
        double my = swy / sw;
        var a = new double[d * d];
        var b = new double[d];
        for (int p = 0; p < d; p++)
        {
            for (int q = 0; q < d; q++) a[p * d + q] = gram[p * d + q] - sw * mx[p] * mx[q];
            a[p * d + p] += ridgeAlpha;
            b[p] = swxy[p] - sw * mx[p] * my;
        }
        return WeightedRidge.SolveSymmetricPositiveDefinite(a, b, d);
    }
}
