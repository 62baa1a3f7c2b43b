using AttnXai.Explain;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Torch;

namespace AttnXai.Reproduce;

/// <summary>The seven explainers of Figure 1 (paper-notes section 2), one value per token.</summary>
public sealed record TokenExplanations(string[] Tokens, IReadOnlyList<(string Name, double[] Values)> Rows)
{
    public double[] this[string name] => Rows.First(r => r.Name == name).Values;
}

/// <summary>
/// The computations the figures and studies share, in float64 from the weights (AttnXai.Explain's forward pass and
/// Theorem 4.1) or by autograd on a float64 copy of the model. Where AttnXai.Explain has no public function yet
/// (explainer table, Theorem 5.1, full attention matrix) the computation is written here, from paper-notes.
/// </summary>
public static class Analysis
{
    public static readonly string[] ExplainerNames = ["alpha-avg", "alpha-max", "G-avg", "G-l1", "G-l2", "GxI", "LIME"];

    /// <summary>
    /// alpha-avg/alpha-max (mean/max over heads of the [CLS]-row attention), G-avg/G-l1/G-l2 (mean, L1, L2 of the exact
    /// gradient row, which equals autograd for t &gt;= 1), GxI (e_t . g_t) and LIME (mean of <paramref name="limeRuns"/>
    /// runs, the word's coefficient given to each of its occurrences), per token t = 1..T.
    /// </summary>
    public static TokenExplanations Explain(ExplainTarget target, ExplainDocument doc, int limeRuns = 5, LimeOptions? lime = null, RemovalMode mode = RemovalMode.Delete)
    {
        var w = target.Weights;
        var p = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
        var g = Theorem41.Gradient(p).Exact;
        int T = doc.TokenCount, L = w.L, De = w.De, K = w.K;
        var rows = ExplainerNames.ToDictionary(n => n, _ => new double[T]);
        for (int t = 1; t <= T; t++)
        {
            double sum = 0, max = double.NegativeInfinity;
            for (int i = 0; i < K; i++) { double a = p.Attention[i * L + t]; sum += a; max = Math.Max(max, a); }
            rows["alpha-avg"][t - 1] = sum / K;
            rows["alpha-max"][t - 1] = max;
            double s = 0, l1 = 0, l2 = 0, gxi = 0;
            for (int d = 0; d < De; d++) { double v = g[t * De + d]; s += v; l1 += Math.Abs(v); l2 += v * v; gxi += v * p.E[t * De + d]; }
            rows["G-avg"][t - 1] = s / De;
            rows["G-l1"][t - 1] = l1;
            rows["G-l2"][t - 1] = Math.Sqrt(l2);
            rows["GxI"][t - 1] = gxi;
        }
        var set = Lime.ExplainRepeated(target.Perturbation(doc, mode), limeRuns, lime ?? new LimeOptions());
        for (int t = 0; t < T; t++) rows["LIME"][t] = set.MeanCoefficients[doc.WordOfToken[t]];
        return new TokenExplanations(doc.Tokens, ExplainerNames.Select(n => (n, rows[n])).ToArray());
    }

    /// <summary>
    /// The top-left n x n block of each head's full attention softmax(Q K^T / sqrt(d_att)), rows over all L positions,
    /// with Q = W_q e_t and K = W_k e_t for every position (as the authors' model computes it): [K][n, n].
    /// </summary>
    public static double[][,] AttentionBlocks(PaperWeights w, ReadOnlySpan<long> ids, int n)
    {
        int L = w.L, De = w.De, Da = w.Da, K = w.K;
        if (ids.Length != L) throw new ArgumentException($"expected {L} ids");
        if (n < 1 || n > L) throw new ArgumentOutOfRangeException(nameof(n));
        var e = new double[L * De];
        for (int t = 0; t < L; t++) w.Embed(ids[t], t, e.AsSpan(t * De, De));
        var result = new double[K][,];
        var keys = new double[L * Da];
        var q = new double[Da];
        var z = new double[L];
        for (int i = 0; i < K; i++)
        {
            for (int t = 0; t < L; t++) PaperWeights_MatVec(w.Wk, i * Da * De, Da, De, e.AsSpan(t * De, De), keys.AsSpan(t * Da, Da));
            var block = new double[n, n];
            for (int r = 0; r < n; r++)
            {
                PaperWeights_MatVec(w.Wq, i * Da * De, Da, De, e.AsSpan(r * De, De), q);
                double max = double.NegativeInfinity;
                for (int s = 0; s < L; s++)
                {
                    double v = 0;
                    for (int a = 0; a < Da; a++) v += q[a] * keys[s * Da + a];
                    z[s] = v * w.InvSqrtDa;
                    if (z[s] > max) max = z[s];
                }
                double sum = 0;
                for (int s = 0; s < L; s++) { z[s] = Math.Exp(z[s] - max); sum += z[s]; }
                for (int c = 0; c < n; c++) block[r, c] = z[c] / sum;
            }
            result[i] = block;
        }
        return result;
    }

    internal static void PaperWeights_MatVec(double[] m, int offset, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = m.AsSpan(offset + r * cols, cols);
            double s = 0;
            for (int c = 0; c < cols; c++) s += row[c] * x[c];
            y[r] = s;
        }
    }

    /// <summary>A float64 copy of a model (for autograd comparisons at double precision).</summary>
    public static AttentionClassifier Float64Copy(AttentionClassifier model)
    {
        var copy = new AttentionClassifier(model.Config, 0, null, ScalarType.Float64);
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float64));
        copy.load_state_dict(state);
        copy.eval();
        return copy;
    }

    /// <summary>Autograd gradient of the positive logit w.r.t. the embeddings e [L, d_e] of one document (row-major).</summary>
    public static double[] AutogradGradient(AttentionClassifier model64, ReadOnlySpan<long> ids, int realLength)
    {
        int L = model64.Config.Length;
        using var scope = torch.NewDisposeScope();
        var idT = torch.tensor(ids.ToArray(), [1, L]);
        var e = model64.Embed(idT).detach();
        e.requires_grad = true;
        Tensor? mask = null;
        if (model64.Config.PaddingMask)
        {
            var m = new bool[L];
            m.AsSpan(0, realLength).Fill(true);
            mask = torch.tensor(m, [1, L]);
        }
        var f = model64.ForwardEmbedded(e, mask).PositiveLogit.sum();
        f.backward();
        return e.grad!.ToArray<double>();
    }

    /// <summary>
    /// Theorem 5.1 in the authors' form (paper-notes section 5), one value per distinct word j:
    /// beta_j = (3/2)(1/K) sum_i sum_{t: x_t = j} W_l^(i) (alpha_t v_t - alpha^u_t v^u_t), u the all-UNK document
    /// scored with the original [CLS] query.
    /// </summary>
    public static double[] Theorem51(PaperWeights w, ExplainDocument doc)
    {
        var p = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
        int L = w.L, De = w.De, K = w.K;
        var unkIds = new long[L];
        unkIds[0] = w.ClsId;
        for (int t = 1; t < L; t++) unkIds[t] = w.UnkId;
        // The UNK document has the same [CLS] query (position 0 holds [CLS] in both), so its forward pass gives alpha^u.
        var pu = PaperForwardPass.Run(w, unkIds, doc.RealLength);
        var beta = new double[doc.WordCount];
        for (int i = 0; i < K; i++)
        {
            var r = w.ValueDirection.AsSpan(i * De, De);
            for (int t = 1; t <= doc.TokenCount; t++)
            {
                double wv = PaperForwardPass_Dot(r, p.E.AsSpan(t * De, De));
                double wvu = PaperForwardPass_Dot(r, pu.E.AsSpan(t * De, De));
                beta[doc.WordOfToken[t - 1]] += p.Attention[i * L + t] * wv - pu.Attention[i * L + t] * wvu;
            }
        }
        for (int j = 0; j < beta.Length; j++) beta[j] *= 1.5 / K;
        return beta;
    }

    internal static double PaperForwardPass_Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }
}
