using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Faithfulness.Tests;

/// <summary>Tiny random paper models (V = 20, d_e = 6, d_att = 4, d_out = 3, K = 2, L = 8) and their documents.</summary>
internal static class Tiny
{
    public const int V = 20;

    /// <summary>"[cls]", "UNK", "w2" .. "w19".</summary>
    public static readonly Vocabulary Vocabulary =
        Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken }.Concat(Enumerable.Range(2, V - 2).Select(i => $"w{i}")));

    public static ModelConfig Config(bool paddingMask = false) =>
        new(V, EmbedDim: 6, AttDim: 4, OutDim: 3, Heads: 2, Length: 8, PaddingMask: paddingMask, InitRange: 0.8);

    public static AttentionClassifier Model(long seed, bool paddingMask = false, ScalarType dtype = ScalarType.Float64) =>
        new(Config(paddingMask), seed, null, dtype);

    public static ExplainDocument Doc(AttentionClassifier model, string text, string label = "doc") =>
        ExplainDocument.Prepare(text, Vocabulary, model.Config, label);
}

/// <summary>The paper's model written out in plain float64 loops over weights read out of a model (the test's own reference).</summary>
internal sealed class LoopReference
{
    private readonly int _d, _a, _o, _k, _l;
    private readonly double[] _we, _wq, _wk, _wv, _wl;

    public LoopReference(AttentionClassifier m)
    {
        var c = m.Config;
        (_d, _a, _o, _k, _l) = (c.EmbedDim, c.AttDim, c.OutDim, c.Heads, c.Length);
        _we = m.EmbeddingWeight.ToArray<double>();
        _wq = m.W_q.ToArray<double>();
        _wk = m.W_k.ToArray<double>();
        _wv = m.W_v.ToArray<double>();
        _wl = m.W_l.ToArray<double>();
    }

    private double Pe(int t, int j)
    {
        int twoM = j / 2 * 2;
        double angle = t / Math.Pow(10000, twoM / (double)_d);
        return j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
    }

    /// <summary>p(positive) for L ids; <paramref name="zeroed"/>: positions whose word embedding is 0 (PE kept);
    /// <paramref name="inSoftmax"/>: positions taking part in the softmax (null: all).</summary>
    public double PositiveProbability(long[] ids, ISet<int>? zeroed = null, bool[]? inSoftmax = null)
    {
        var e = new double[_l, _d];
        for (int t = 0; t < _l; t++)
            for (int j = 0; j < _d; j++)
                e[t, j] = (zeroed is not null && zeroed.Contains(t) ? 0 : _we[ids[t] * _d + j]) + Pe(t, j);
        double neg = 0, pos = 0;
        for (int h = 0; h < _k; h++)
        {
            var q = new double[_a];
            for (int a = 0; a < _a; a++)
                for (int j = 0; j < _d; j++) q[a] += _wq[(h * _a + a) * _d + j] * e[0, j];
            var z = new double[_l];
            for (int t = 0; t < _l; t++)
            {
                for (int a = 0; a < _a; a++)
                {
                    double k = 0;
                    for (int j = 0; j < _d; j++) k += _wk[(h * _a + a) * _d + j] * e[t, j];
                    z[t] += q[a] * k;
                }
                z[t] /= Math.Sqrt(_a);
            }
            double sum = 0;
            var w = new double[_l];
            for (int t = 0; t < _l; t++) { w[t] = inSoftmax is null || inSoftmax[t] ? Math.Exp(z[t]) : 0; sum += w[t]; }
            var v = new double[_o];
            for (int t = 0; t < _l; t++)
                for (int o = 0; o < _o; o++)
                {
                    double vt = 0;
                    for (int j = 0; j < _d; j++) vt += _wv[(h * _o + o) * _d + j] * e[t, j];
                    v[o] += w[t] / sum * vt;
                }
            for (int o = 0; o < _o; o++)
            {
                neg += _wl[(h * 2 + 0) * _o + o] * v[o] / _k;
                pos += _wl[(h * 2 + 1) * _o + o] * v[o] / _k;
            }
        }
        return 1 / (1 + Math.Exp(neg - pos));
    }
}
