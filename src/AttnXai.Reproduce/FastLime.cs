using System.Numerics;
using AttnXai.Explain;

namespace AttnXai.Reproduce;

/// <summary>
/// LIME's estimate (the same seeded samples, kernel and weighted ridge as AttnXai.Explain's Lime), with the normal
/// equations built by exact counting: LIME's weight depends on a sample only through its number k of kept words,
/// so X^T W X = sum_k w(k) C_k, where C_k[a, b] counts the samples with k kept words that keep both a and b. Samples
/// are grouped by k, each group's columns stored as bitsets, and C_k[a, b] is a popcount of ANDed words: about
/// d^2/2 * (n_k / 64) word operations per group instead of n d^2 / 2 multiply-adds. Then the ridge is centred
/// (intercept unpenalised) and solved as in Lime. Tests check it against Lime.Explain. Thread-safe (no shared state).
/// </summary>
public static class FastLime
{
    /// <summary>Rows per model call: below FastPerturbationModel.ParallelThreshold (2048), so documents, not rows, run in parallel.</summary>
    public const int Chunk = 2000;

    public static double[] Coefficients(IPerturbationModel model, long sampleCount, ulong seed, double kernelWidth = LimeKernel.DefaultWidth, double ridgeAlpha = 1)
    {
        int d = model.FeatureCount;
        if (sampleCount < 1 || sampleCount > int.MaxValue / Math.Max(1, d)) throw new ArgumentOutOfRangeException(nameof(sampleCount));
        int n = (int)sampleCount;
        var sampler = new LimeSampler(d, seed);
        var masks = new bool[n * d];
        var y = new double[n];
        for (int start = 0; start < n; start += Chunk)
        {
            int m = Math.Min(Chunk, n - start);
            var span = masks.AsSpan(start * d, m * d);
            sampler.Fill(span);
            model.Evaluate(span, m).CopyTo(y, start);
        }
        var kept = new int[n];
        var groupSize = new int[d + 1];
        for (int i = 0; i < n; i++) { kept[i] = LimeKernel.KeptCount(masks.AsSpan(i * d, d)); groupSize[kept[i]]++; }
        var wk = new double[d + 1];
        for (int k = 0; k <= d; k++) wk[k] = LimeKernel.Weight(LimeKernel.Distance(k, d), kernelWidth);

        var gram = new double[d * d];
        var swx = new double[d];
        var swxy = new double[d];
        double sw = 0, swy = 0;
        for (int i = 0; i < n; i++)
        {
            double w = wk[kept[i]];
            sw += w;
            swy += w * y[i];
            var row = masks.AsSpan(i * d, d);
            for (int j = 0; j < d; j++) if (row[j]) { swx[j] += w; swxy[j] += w * y[i]; }
        }
        // Rows of each group, then per group the column bitsets and their pairwise AND-popcounts.
        var order = new int[n];
        var offset = new int[d + 2];
        for (int k = 0; k <= d; k++) offset[k + 1] = offset[k] + groupSize[k];
        var fill = (int[])offset.Clone();
        for (int i = 0; i < n; i++) order[fill[kept[i]]++] = i;
        var counts = new long[d * d];
        for (int k = 1; k <= d; k++)
        {
            int m = groupSize[k];
            if (m == 0) continue;
            int words = (m + 63) >> 6;
            var bits = new ulong[d * words];
            for (int r = 0; r < m; r++)
            {
                var row = masks.AsSpan(order[offset[k] + r] * d, d);
                ulong bit = 1UL << (r & 63);
                int wIdx = r >> 6;
                for (int j = 0; j < d; j++) if (row[j]) bits[j * words + wIdx] |= bit;
            }
            Array.Clear(counts);
            for (int a = 0; a < d; a++)
            {
                var ba = bits.AsSpan(a * words, words);
                for (int b = a; b < d; b++)
                {
                    var bb = bits.AsSpan(b * words, words);
                    long c = 0;
                    for (int x = 0; x < words; x++) c += BitOperations.PopCount(ba[x] & bb[x]);
                    counts[a * d + b] = c;
                }
            }
            double w = wk[k];
            for (int a = 0; a < d; a++)
                for (int b = a; b < d; b++) gram[a * d + b] += w * counts[a * d + b];
        }
        var mx = new double[d];
        for (int j = 0; j < d; j++) mx[j] = swx[j] / sw;
        double my = swy / sw;
        if (!(sw > 0)) throw new InvalidOperationException("the LIME sample weights sum to zero");
        var A = new double[d * d];
        var B = new double[d];
        for (int p = 0; p < d; p++)
        {
            for (int q = 0; q < d; q++)
            {
                double g = p <= q ? gram[p * d + q] : gram[q * d + p];
                A[p * d + q] = g - sw * mx[p] * mx[q];
            }
            A[p * d + p] += ridgeAlpha;
            B[p] = swxy[p] - sw * mx[p] * my;
        }
        return WeightedRidge.SolveSymmetricPositiveDefinite(A, B, d);
    }
}
