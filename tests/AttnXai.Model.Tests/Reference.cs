using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>The model written out independently in plain double loops, over weights read out of a model.</summary>
internal sealed class Reference
{
    public readonly int V, D, A, O, K, L, C;
    public readonly double[] We, Wq, Wk, Wv, Wl;

    public Reference(AttentionClassifier m)
    {
        var c = m.Config;
        (V, D, A, O, K, L, C) = (c.VocabSize, c.EmbedDim, c.AttDim, c.OutDim, c.Heads, c.Length, c.Classes);
        We = m.EmbeddingWeight.ToArray<double>();
        Wq = m.W_q.ToArray<double>();
        Wk = m.W_k.ToArray<double>();
        Wv = m.W_v.ToArray<double>();
        Wl = m.W_l.ToArray<double>();
    }

    public double PE(int t, int j)
    {
        int twoM = j / 2 * 2;
        double angle = t / Math.Pow(10000, twoM / (double)D);
        return j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
    }

    /// <summary>Logits [C], head logits [K][C] and attention [K][L] of one document.</summary>
    public (double[] Logits, double[][] Heads, double[][] Alpha) Forward(long[] ids, bool[]? mask)
    {
        var e = new double[L][];
        for (int t = 0; t < L; t++)
        {
            e[t] = new double[D];
            for (int j = 0; j < D; j++) e[t][j] = We[ids[t] * D + j] + PE(t, j);
        }
        var logits = new double[C];
        var heads = new double[K][];
        var alphas = new double[K][];
        for (int h = 0; h < K; h++)
        {
            double[] Lin(double[] w, int rows, double[] x)
            {
                var y = new double[rows];
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < D; j++) y[r] += w[((long)h * rows + r) * D + j] * x[j];
                return y;
            }
            var q = Lin(Wq, A, e[0]);
            var z = new double[L];
            for (int t = 0; t < L; t++)
            {
                var k = Lin(Wk, A, e[t]);
                double s = 0;
                for (int a = 0; a < A; a++) s += q[a] * k[a];
                z[t] = s / Math.Sqrt(A);
            }
            double max = double.NegativeInfinity;
            for (int t = 0; t < L; t++) if (mask is null || mask[t]) max = Math.Max(max, z[t]);
            var alpha = new double[L];
            double sum = 0;
            for (int t = 0; t < L; t++) { alpha[t] = mask is null || mask[t] ? Math.Exp(z[t] - max) : 0; sum += alpha[t]; }
            for (int t = 0; t < L; t++) alpha[t] /= sum;
            var vt = new double[O];
            for (int t = 0; t < L; t++)
            {
                var v = Lin(Wv, O, e[t]);
                for (int o = 0; o < O; o++) vt[o] += alpha[t] * v[o];
            }
            heads[h] = new double[C];
            for (int c = 0; c < C; c++)
            {
                double s = 0;
                for (int o = 0; o < O; o++) s += Wl[((long)h * C + c) * O + o] * vt[o];
                heads[h][c] = s;
                logits[c] += s / K;
            }
            alphas[h] = alpha;
        }
        return (logits, heads, alphas);
    }
}
