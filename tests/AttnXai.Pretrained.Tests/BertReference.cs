using AttnXai.Engine;
using AttnXai.Model.Pretrained;
using static TorchSharp.torch;

namespace AttnXai.Pretrained.Tests;

/// <summary>
/// BERT's encoder in float64 on plain arrays, written from the model's definition (not from any engine): embeddings
/// (word + position + token type) and LayerNorm; per layer, biased query/key/value, scaled dot-product softmax per head
/// with masked keys given -10000 (Hugging Face's additive mask), output dense + residual + LayerNorm, intermediate dense
/// with erf GELU, output dense + residual + LayerNorm (post-norm). Weights are a bare BertModel's Hugging Face tensors
/// (linear weights [out, in]).
/// </summary>
internal sealed class BertReference
{
    private readonly BertConfig _c;
    private readonly Dictionary<string, (double[] Data, long[] Shape)> _w = new(StringComparer.Ordinal);

    public BertReference(BertConfig config, IReadOnlyDictionary<string, Tensor> weights)
    {
        _c = config;
        foreach (var (name, t) in weights) _w[name] = (t.ToArray<double>(), t.shape);
    }

    private double[] W(string name) => _w.TryGetValue(name, out var v) ? v.Data : throw new KeyNotFoundException(name);

    /// <summary>The last hidden state [length, hidden] of one sequence.</summary>
    public double[][] Forward(long[] ids, long[] mask, long[] types)
    {
        int n = ids.Length, d = _c.HiddenSize;
        var word = W("embeddings.word_embeddings.weight");
        var pos = W("embeddings.position_embeddings.weight");
        var typ = W("embeddings.token_type_embeddings.weight");
        var x = new double[n][];
        for (int i = 0; i < n; i++)
        {
            x[i] = new double[d];
            for (int j = 0; j < d; j++) x[i][j] = word[ids[i] * d + j] + pos[i * d + j] + typ[types[i] * d + j];
        }
        x = LayerNorm(x, "embeddings.LayerNorm");
        for (int layer = 0; layer < _c.NumHiddenLayers; layer++) x = Layer(x, mask, $"encoder.layer.{layer}.");
        return x;
    }

    private double[][] Layer(double[][] x, long[] mask, string p)
    {
        int n = x.Length, d = _c.HiddenSize, heads = _c.NumAttentionHeads, hs = d / heads;
        var q = Linear(x, p + "attention.self.query");
        var k = Linear(x, p + "attention.self.key");
        var v = Linear(x, p + "attention.self.value");
        var ctx = new double[n][];
        for (int i = 0; i < n; i++) ctx[i] = new double[d];
        double scale = 1 / Math.Sqrt(hs);
        var scores = new double[n];
        for (int h = 0; h < heads; h++)
        {
            int o = h * hs;
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int e = 0; e < hs; e++) s += q[i][o + e] * k[j][o + e];
                    s = s * scale + (mask[j] == 0 ? -10000.0 : 0.0);
                    scores[j] = s;
                    max = Math.Max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) { scores[j] = Math.Exp(scores[j] - max); sum += scores[j]; }
                for (int j = 0; j < n; j++)
                {
                    double a = scores[j] / sum;
                    for (int e = 0; e < hs; e++) ctx[i][o + e] += a * v[j][o + e];
                }
            }
        }
        var attn = Linear(ctx, p + "attention.output.dense");
        var h1 = LayerNorm(Add(attn, x), p + "attention.output.LayerNorm");
        var inter = Linear(h1, p + "intermediate.dense");
        foreach (var row in inter)
            for (int j = 0; j < row.Length; j++) row[j] = 0.5 * row[j] * (1 + Erf(row[j] / Math.Sqrt(2)));
        var output = Linear(inter, p + "output.dense");
        return LayerNorm(Add(output, h1), p + "output.LayerNorm");
    }

    private double[][] Linear(double[][] x, string name)
    {
        var (w, shape) = _w[name + ".weight"];
        var b = W(name + ".bias");
        int outs = (int)shape[0], ins = (int)shape[1];
        return x.Select(row =>
        {
            var y = new double[outs];
            for (int o = 0; o < outs; o++)
            {
                double s = b[o];
                int off = o * ins;
                for (int i = 0; i < ins; i++) s += w[off + i] * row[i];
                y[o] = s;
            }
            return y;
        }).ToArray();
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((r, i) => r.Select((v, j) => v + b[i][j]).ToArray()).ToArray();

    private double[][] LayerNorm(double[][] x, string name)
    {
        var g = W(name + ".weight");
        var b = W(name + ".bias");
        return x.Select(row =>
        {
            double mean = row.Average();
            double var = row.Select(v => (v - mean) * (v - mean)).Average();
            double inv = 1 / Math.Sqrt(var + _c.LayerNormEps);
            return row.Select((v, j) => (v - mean) * inv * g[j] + b[j]).ToArray();
        }).ToArray();
    }

    /// <summary>erf to double precision (Abramowitz-Stegun 7.1.26 is too coarse here): the series for small |x|,
    /// the continued fraction of erfc for large |x|.</summary>
    internal static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            double r = 2 / Math.Sqrt(Math.PI) * sum;
            return x < 0 ? -r : r;
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated backwards.
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + k / 2.0 / f;
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
