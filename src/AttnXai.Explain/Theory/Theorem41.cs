namespace AttnXai.Explain.Theory;

/// <summary>Theorem 4.1's gradients of one document, [L, d_e] row-major (row t = grad of f w.r.t. e_t).</summary>
/// <param name="Authors">The authors' form (docs/model-and-protocols.md section 3), q_0 held constant: exact for t &gt;= 1, misses a term at [CLS].</param>
/// <param name="ClsCorrection">The extra [CLS] term from q_0 = W_q e_0 (d_e values).</param>
/// <param name="Exact">Authors + the correction on row 0: the exact gradient on every row.</param>
public sealed record GradientTheory(double[] Authors, double[] ClsCorrection, double[] Exact, int Length, int EmbedDim)
{
    /// <summary>Row t of a [L, d_e] array.</summary>
    public ReadOnlySpan<double> Row(double[] g, int t) => g.AsSpan(t * EmbedDim, EmbedDim);
}

/// <summary>
/// Theorem 4.1 (gradient meets attention) as closed forms from the weights and one forward pass, in float64.
/// With u_i = W_k^T q_0 / sqrt(d_att), r_i = W_v^T W_l[1] and delta_t = W_l (v_t - v~) = r_i . (e_t - e~_i):
/// <code>
/// grad_{e_t} f = (1/K) sum_i alpha_t [ r_i + delta_t u_i ]                         (every t; the authors' form)
///             + [t = 0] (1/K) sum_i W_q^T W_k ( sum_s alpha_s delta_s e_s ) / sqrt(d_att)   (the [CLS] term)
/// </code>
/// Masked (padding) positions have alpha = 0 and a zero gradient.
/// </summary>
public static class Theorem41
{
    public static GradientTheory Gradient(PaperWeights w, ReadOnlySpan<long> ids, int realLength) =>
        Gradient(PaperForwardPass.Run(w, ids, realLength));

    public static GradientTheory Gradient(PaperForwardPass p)
    {
        var w = p.Weights;
        int L = w.L, De = w.De, Da = w.Da, K = w.K;
        var authors = new double[L * De];
        var cls = new double[De];
        var h = new double[De];
        var kh = new double[Da];
        var tmp = new double[De];
        double invK = 1.0 / K;
        for (int i = 0; i < K; i++)
        {
            var r = w.ValueDirection.AsSpan(i * De, De);
            var u = p.U.AsSpan(i * De, De);
            var a = p.Attention.AsSpan(i * L, L);
            double rbar = PaperForwardPass.Dot(r, p.EBar.AsSpan(i * De, De));
            Array.Clear(h);
            for (int t = 0; t < L; t++)
            {
                if (a[t] == 0) continue;
                var et = p.E.AsSpan(t * De, De);
                double delta = PaperForwardPass.Dot(r, et) - rbar;
                double c = a[t] * invK;
                var g = authors.AsSpan(t * De, De);
                for (int d = 0; d < De; d++) g[d] += c * (r[d] + delta * u[d]);
                double ad = a[t] * delta;
                for (int d = 0; d < De; d++) h[d] += ad * et[d];
            }
            // correction: W_q^T (W_k h) / sqrt(d_att) / K
            PaperWeights.MatVec(w.Wk, i * Da * De, Da, De, h, kh);
            PaperWeights.MatTVec(w.Wq, i * Da * De, Da, De, kh, tmp);
            for (int d = 0; d < De; d++) cls[d] += tmp[d] * w.InvSqrtDa * invK;
        }
        var exact = (double[])authors.Clone();
        for (int d = 0; d < De; d++) exact[d] += cls[d];
        return new GradientTheory(authors, cls, exact, L, De);
    }

    /// <summary>
    /// GxI's closed form (docs/model-and-protocols.md section 3): e_t . grad_{e_t} f = (1/K) sum_i alpha_t [ W_l v_t + z_t W_l (v_t - v~) ]
    /// for t &gt;= 1 (row 0 gets e_0 . correction added). One value per position (L).
    /// </summary>
    public static double[] GradientTimesInput(PaperForwardPass p)
    {
        var w = p.Weights;
        int L = w.L, De = w.De, K = w.K;
        var gxi = new double[L];
        for (int i = 0; i < K; i++)
        {
            var r = w.ValueDirection.AsSpan(i * De, De);
            double rbar = PaperForwardPass.Dot(r, p.EBar.AsSpan(i * De, De));
            for (int t = 0; t < L; t++)
            {
                double a = p.Attention[i * L + t];
                if (a == 0) continue;
                double wlv = PaperForwardPass.Dot(r, p.E.AsSpan(t * De, De));
                gxi[t] += a * (wlv + p.Scores[i * L + t] * (wlv - rbar)) / K;
            }
        }
        var g = Gradient(p);
        gxi[0] += PaperForwardPass.Dot(p.E.AsSpan(0, De), g.ClsCorrection);
        return gxi;
    }
}
