namespace AttnXai.Explain.Theory;

/// <summary>
/// The paper model's forward pass for one id sequence, in float64 from <see cref="PaperWeights"/>, keeping what the
/// closed forms need. Per head i: u_i = W_k^T q_0 / sqrt(d_att) (so z_t = u_i . e_t), alpha = softmax(z) (over the
/// real positions only when the model uses a padding mask), e~_i = sum_t alpha_t e_t, and the head's positive logit
/// r_i . e~_i = W_l[1] v~. Arrays are row-major: E [L, d_e], Query [K, d_att], U [K, d_e], Scores and Attention [K, L]
/// (masked positions: score -inf, attention 0), EBar [K, d_e].
/// </summary>
public sealed class PaperForwardPass
{
    private PaperForwardPass(PaperWeights w, int realLength)
    {
        Weights = w;
        RealLength = realLength;
        E = new double[w.L * w.De];
        Query = new double[w.K * w.Da];
        U = new double[w.K * w.De];
        Scores = new double[w.K * w.L];
        Attention = new double[w.K * w.L];
        EBar = new double[w.K * w.De];
        HeadPositiveLogits = new double[w.K];
    }

    public PaperWeights Weights { get; }
    /// <summary>Positions 0..RealLength-1 are real ([CLS] and words); the rest is padding.</summary>
    public int RealLength { get; }
    /// <summary>Whether padding positions are left out of the softmax (the model's PaddingMask).</summary>
    public bool Masked => Weights.Config.PaddingMask;
    public double[] E { get; }
    public double[] Query { get; }
    public double[] U { get; }
    public double[] Scores { get; }
    public double[] Attention { get; }
    public double[] EBar { get; }
    /// <summary>W_l^(i)[1] v~^(i) per head.</summary>
    public double[] HeadPositiveLogits { get; }
    /// <summary>f, the raw positive logit: the mean of the heads' positive logits.</summary>
    public double Output { get; private set; }

    /// <summary>Whether position t takes part in the softmax.</summary>
    public bool IsActive(int t) => !Masked || t < RealLength;

    /// <summary>Runs the forward pass on L ids; <paramref name="realLength"/> = 1 + number of words (used by a padding mask).</summary>
    public static PaperForwardPass Run(PaperWeights w, ReadOnlySpan<long> ids, int realLength)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (ids.Length != w.L) throw new ArgumentException($"expected {w.L} ids, got {ids.Length}", nameof(ids));
        if (realLength < 1 || realLength > w.L) throw new ArgumentOutOfRangeException(nameof(realLength), realLength, $"the real length must be in [1, {w.L}]");
        var p = new PaperForwardPass(w, realLength);
        int L = w.L, De = w.De, Da = w.Da, K = w.K;
        for (int t = 0; t < L; t++) w.Embed(ids[t], t, p.E.AsSpan(t * De, De));
        var e0 = p.E.AsSpan(0, De);
        double f = 0;
        for (int i = 0; i < K; i++)
        {
            var q = p.Query.AsSpan(i * Da, Da);
            PaperWeights.MatVec(w.Wq, i * Da * De, Da, De, e0, q);
            var u = p.U.AsSpan(i * De, De);
            PaperWeights.MatTVec(w.Wk, i * Da * De, Da, De, q, u);
            for (int d = 0; d < De; d++) u[d] *= w.InvSqrtDa;
            var z = p.Scores.AsSpan(i * L, L);
            var a = p.Attention.AsSpan(i * L, L);
            double max = double.NegativeInfinity;
            for (int t = 0; t < L; t++)
            {
                if (!p.IsActive(t)) { z[t] = double.NegativeInfinity; continue; }
                z[t] = Dot(u, p.E.AsSpan(t * De, De));
                if (z[t] > max) max = z[t];
            }
            double sum = 0;
            for (int t = 0; t < L; t++) { a[t] = p.IsActive(t) ? Math.Exp(z[t] - max) : 0; sum += a[t]; }
            var ebar = p.EBar.AsSpan(i * De, De);
            for (int t = 0; t < L; t++)
            {
                a[t] /= sum;
                if (a[t] == 0) continue;
                var et = p.E.AsSpan(t * De, De);
                for (int d = 0; d < De; d++) ebar[d] += a[t] * et[d];
            }
            p.HeadPositiveLogits[i] = Dot(w.ValueDirection.AsSpan(i * De, De), ebar);
            f += p.HeadPositiveLogits[i];
        }
        p.Output = f / K;
        return p;
    }

    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }
}
