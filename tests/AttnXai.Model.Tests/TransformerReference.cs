using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>The Transformer classifier written out independently in plain double loops from its equations, over the
/// weights read out of a model's state dictionary.</summary>
internal sealed class TransformerReference
{
    private readonly TransformerConfig c;
    private readonly Dictionary<string, double[]> w;

    public TransformerReference(TransformerClassifier m)
    {
        c = m.Config;
        w = m.named_parameters().ToDictionary(p => p.name, p => p.parameter.ToArray<double>());
    }

    private double[] W(string name) => w[name];

    public double PE(int t, int j)
    {
        int twoM = j / 2 * 2;
        double angle = t / Math.Pow(10000, twoM / (double)c.ModelDim);
        return j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
    }

    /// <summary>The embeddings e_t = W_e[x_t] + PE(t) of one document: [L][d].</summary>
    public double[][] Embed(long[] ids)
    {
        var we = W("embedding.weight");
        var e = new double[c.Length][];
        for (int t = 0; t < c.Length; t++)
        {
            e[t] = new double[c.ModelDim];
            for (int j = 0; j < c.ModelDim; j++) e[t][j] = we[ids[t] * c.ModelDim + j] + PE(t, j);
        }
        return e;
    }

    /// <summary>Logits [C] and every layer's attention [N][H][L][L] of one document (evaluation mode: no dropout).</summary>
    public (double[] Logits, double[][][][] Attention) Forward(long[] ids, bool[]? mask) => ForwardEmbedded(Embed(ids), mask);

    public (double[] Logits, double[][][][] Attention) ForwardEmbedded(double[][] e, bool[]? mask)
    {
        var x = e;
        var maps = new double[c.Layers][][][];
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"layers.{l}.";
            double[][] h, y;
            if (c.Norm == NormPlacement.Pre)
            {
                var (m, a) = Attention(LayerNorm(x, W(p + "gamma_1"), W(p + "beta_1")), p, mask);
                h = Add(x, m);
                y = Add(h, FeedForward(LayerNorm(h, W(p + "gamma_2"), W(p + "beta_2")), p));
                maps[l] = a;
            }
            else
            {
                var (m, a) = Attention(x, p, mask);
                h = LayerNorm(Add(x, m), W(p + "gamma_1"), W(p + "beta_1"));
                y = LayerNorm(Add(h, FeedForward(h, p)), W(p + "gamma_2"), W(p + "beta_2"));
                maps[l] = a;
            }
            x = y;
        }
        var z = c.Norm == NormPlacement.Pre ? LayerNorm(x, W("gamma_f"), W("beta_f")) : x;
        var logits = Affine(W("W_c"), W("b_c"), c.Classes, c.ModelDim, z[0]);
        return (logits, maps);
    }

    /// <summary>y = M x + b for M [rows, cols] stored row-major.</summary>
    private static double[] Affine(double[] m, double[]? b, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = b?[r] ?? 0;
            for (int j = 0; j < cols; j++) s += m[r * cols + j] * x[j];
            y[r] = s;
        }
        return y;
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((row, t) => row.Select((v, j) => v + b[t][j]).ToArray()).ToArray();

    private static double[][] LayerNorm(double[][] x, double[] gamma, double[] beta) => x.Select(row =>
    {
        double mean = row.Average();
        double var = row.Select(v => (v - mean) * (v - mean)).Average();
        return row.Select((v, j) => gamma[j] * (v - mean) / Math.Sqrt(var + 1e-5) + beta[j]).ToArray();
    }).ToArray();

    private double[][] FeedForward(double[][] x, string p) => x.Select(row =>
    {
        var hidden = Affine(W(p + "W_1"), W(p + "b_1"), c.FeedForwardDim, c.ModelDim, row).Select(Gelu).ToArray();
        return Affine(W(p + "W_2"), W(p + "b_2"), c.ModelDim, c.FeedForwardDim, hidden);
    }).ToArray();

    /// <summary>MHA(x) [L][d] and A [H][L][L].</summary>
    private (double[][] Output, double[][][] Attention) Attention(double[][] x, string p, bool[]? mask)
    {
        int L = c.Length, H = c.Heads, dh = c.HeadDim, d = c.ModelDim;
        var concat = new double[L][];
        for (int t = 0; t < L; t++) concat[t] = new double[H * dh];
        var maps = new double[H][][];
        for (int i = 0; i < H; i++)
        {
            // Head i's rows of W_q, W_k, W_v [H, d_h, d] are the row-major block starting at i d_h d.
            double[] Project(string name, double[] xt)
            {
                var m = W(p + name);
                var y = new double[dh];
                for (int a = 0; a < dh; a++)
                    for (int j = 0; j < d; j++) y[a] += m[(i * dh + a) * d + j] * xt[j];
                return y;
            }
            var q = x.Select(xt => Project("W_q", xt)).ToArray();
            var k = x.Select(xt => Project("W_k", xt)).ToArray();
            var v = x.Select(xt => Project("W_v", xt)).ToArray();
            maps[i] = new double[L][];
            for (int t = 0; t < L; t++)
            {
                var z = new double[L];
                double max = double.NegativeInfinity;
                for (int s = 0; s < L; s++)
                {
                    for (int a = 0; a < dh; a++) z[s] += q[t][a] * k[s][a];
                    z[s] /= Math.Sqrt(dh);
                    if (mask is null || mask[s]) max = Math.Max(max, z[s]);
                }
                var alpha = new double[L];
                double sum = 0;
                for (int s = 0; s < L; s++) { alpha[s] = mask is null || mask[s] ? Math.Exp(z[s] - max) : 0; sum += alpha[s]; }
                for (int s = 0; s < L; s++) alpha[s] /= sum;
                maps[i][t] = alpha;
                for (int s = 0; s < L; s++)
                    for (int a = 0; a < dh; a++) concat[t][i * dh + a] += alpha[s] * v[s][a];
            }
        }
        var output = concat.Select(o => Affine(W(p + "W_o"), W(p + "b_o"), d, H * dh, o)).ToArray();
        return (output, maps);
    }

    /// <summary>GELU(u) = u Phi(u) = u (1 + erf(u / sqrt 2)) / 2.</summary>
    public static double Gelu(double u) => 0.5 * u * (1 + Erf(u / Math.Sqrt(2)));

    /// <summary>erf to about 1e-15: its Maclaurin series below 2.5, else 1 - erfc from erfc's continued fraction
    /// erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))).</summary>
    public static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x < 2.5)
        {
            double sum = 0, power = x; // power = (-1)^n x^(2n+1) / n!
            for (int n = 0; n < 200; n++)
            {
                double term = power / (2 * n + 1);
                sum += term;
                if (Math.Abs(term) < 1e-18) break;
                power *= -x * x / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        double f = x;
        for (int n = 200; n >= 1; n--) f = x + n / 2.0 / f;
        return 1 - Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
