using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Theory;

/// <summary>
/// A float64 copy of the paper model's weights (docs/model-and-protocols.md section 1), for the closed forms (Theorems 4.1 and 5.1)
/// and the fast perturbation path. All arrays are row-major: W_e [V, d_e], W_q and W_k [K, d_att, d_e],
/// W_v [K, d_out, d_e], W_l [K, C, d_out], PE [L, d_e]. The explained output is the logit of class
/// <see cref="PositiveClass"/> (1).
/// </summary>
public sealed class PaperWeights
{
    /// <summary>The class whose raw logit is explained (the positive class).</summary>
    public const int PositiveClass = 1;

    public PaperWeights(ModelConfig config, double[] embedding, double[] wq, double[] wk, double[] wv, double[] wl, double[] positionEncoding)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        V = config.VocabSize; De = config.EmbedDim; Da = config.AttDim; Do = config.OutDim; K = config.Heads; L = config.Length; C = config.Classes;
        We = Check(embedding, (long)V * De, "embedding");
        Wq = Check(wq, (long)K * Da * De, "W_q");
        Wk = Check(wk, (long)K * Da * De, "W_k");
        Wv = Check(wv, (long)K * Do * De, "W_v");
        Wl = Check(wl, (long)K * C * Do, "W_l");
        PE = Check(positionEncoding, (long)L * De, "position_encoding");
        InvSqrtDa = 1.0 / Math.Sqrt(Da);

        // r_i = W_v^(i)T W_l^(i)[positive] (d_e), the value direction of the positive logit.
        ValueDirection = new double[K * De];
        for (int i = 0; i < K; i++)
            for (int o = 0; o < Do; o++)
            {
                double wlo = WlPos(i, o);
                int vrow = (i * Do + o) * De;
                for (int d = 0; d < De; d++) ValueDirection[i * De + d] += wlo * Wv[vrow + d];
            }
    }

    /// <summary>Copies the weights of a model (any device and type) to float64 arrays.</summary>
    public static PaperWeights From(AttentionClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        static double[] A(Tensor t) { using var d = t.detach(); return d.ToArray<double>(); }
        return new PaperWeights(model.Config, A(model.EmbeddingWeight), A(model.W_q), A(model.W_k), A(model.W_v), A(model.W_l), A(model.PositionEncoding));
    }

    public ModelConfig Config { get; }
    /// <summary>Sizes: vocabulary, d_e, d_att, d_out, heads, length, classes.</summary>
    public int V { get; }
    public int De { get; }
    public int Da { get; }
    public int Do { get; }
    public int K { get; }
    public int L { get; }
    public int C { get; }
    public double[] We { get; }
    public double[] Wq { get; }
    public double[] Wk { get; }
    public double[] Wv { get; }
    public double[] Wl { get; }
    public double[] PE { get; }
    /// <summary>1 / sqrt(d_att).</summary>
    public double InvSqrtDa { get; }
    /// <summary>r_i = W_v^(i)T W_l^(i)[positive], [K, d_e]: the positive logit of head i is r_i . (sum_t alpha_t e_t).</summary>
    public double[] ValueDirection { get; }

    public long ClsId => Config.ClsId;
    public long UnkId => Config.UnkId;

    /// <summary>W_l^(i)[positive, o].</summary>
    public double WlPos(int head, int o) => Wl[(head * C + PositiveClass) * Do + o];

    /// <summary>e_t = W_e[id] + PE(t) written into <paramref name="e"/> (d_e values).</summary>
    public void Embed(long id, int t, Span<double> e)
    {
        if (id < 0 || id >= V) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary [0, {V})");
        var w = We.AsSpan((int)(id * De), De);
        var p = PE.AsSpan(t * De, De);
        for (int d = 0; d < De; d++) e[d] = w[d] + p[d];
    }

    /// <summary>y = M x for a row-major block M [rows, cols] starting at <paramref name="offset"/> of <paramref name="m"/>.</summary>
    internal static void MatVec(double[] m, int offset, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = m.AsSpan(offset + r * cols, cols);
            double s = 0;
            for (int c = 0; c < cols; c++) s += row[c] * x[c];
            y[r] = s;
        }
    }

    /// <summary>y = M^T x for a row-major block M [rows, cols] (y has cols values).</summary>
    internal static void MatTVec(double[] m, int offset, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        y[..cols].Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = m.AsSpan(offset + r * cols, cols);
            double xr = x[r];
            for (int c = 0; c < cols; c++) y[c] += row[c] * xr;
        }
    }

    private static double[] Check(double[] a, long expected, string name)
    {
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.LongLength != expected) throw new ArgumentException($"{name} holds {a.LongLength} values, expected {expected} for the configuration", name);
        return a;
    }
}
