using AttnXai.Engine;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AttnXai.Depth;

/// <summary>
/// A model's last attention layer read as the paper's single layer ("as if it were the only one"), in float64, for one
/// document, with the closed forms of Theorems 4.1 and 5.1 written for it:
/// <list type="bullet">
/// <item><b>Embeddings.</b> The paper's e_t are the vectors the layer projects to queries, keys and values: for the
/// paper's model its input embeddings W_e[x_t] + PE(t); for a pre-norm Transformer LN_1(x^(N-1)_t), the normalised
/// residual stream entering the last layer; for a post-norm one x^(N-1)_t itself.</item>
/// <item><b>Attention.</b> The [CLS] query's heads: q_0 = W_q e_0, k_t = W_k e_t, v_t = W_v e_t, alpha = softmax_t(s
/// q_0 . k_t) over the positions taking part (s = 1 / sqrt(d_att) or 1 / sqrt(d_h)), v~ = sum_t alpha_t v_t.</item>
/// <item><b>Readout.</b> The paper's (1/K) W_l^(i) is the gradient g_i = df/dv~^(i) of the explained logit with respect to
/// head i's value sum. For the paper's model the readout is linear and g_i = W_l^(i)[positive] / K exactly. A
/// Transformer's readout is not linear (W_o, the residual, the feed-forward block, the layer norms and W_c); the
/// nearest meaningful quantity is its linearisation at the document, g_i from autograd through the layer's remaining
/// equations with the residual stream x^(N-1)_0 held constant (the view recomputes f from v~ and checks that it
/// reproduces the model's logit).</item>
/// </list>
/// With R_i = W_v^(i)T g_i, U_i = s W_k^(i)T q_0^(i) and delta_t = R_i . (e_t - sum_s alpha_s e_s), Theorem 4.1 reads
/// <code>
/// df/de_t = sum_i alpha_t [ R_i + delta_t U_i ]  +  [t = 0] sum_i s W_q^(i)T W_k^(i) sum_s alpha_s delta_s e_s
/// </code>
/// (the exact form; the authors' form drops the [CLS] term), and Theorem 5.1
/// <code>
/// beta_j ~= (3/2) sum_i sum_{t : x_t = j} ( alpha_t R_i . e_t - alpha^u_t R_i . e^u_t )
/// </code>
/// with e^u the layer's embeddings of the all-UNK document [CLS] UNK ... UNK (run through the layers below) and
/// alpha^u its attention under the document's own [CLS] query. On the paper's model both are the paper's forms exactly
/// (tests). These are statements about the gradient with respect to the layer's e, not the model's input: the study
/// compares them with the input gradient (the gap is what the layers below and LN_1 add) and, as a check, with the
/// gradient with respect to e (<see cref="LayerGradient"/>), which they equal up to rounding.
/// </summary>
public sealed class LastLayerView
{
    private LastLayerView(int length, int dim, int heads, int queryDim, int valueDim, double scale, double[] e, double[] wq, double[] wk, double[] wv,
        double[] g, bool[] active, double[]? layerGradient)
    {
        (Length, Dim, Heads, QueryDim, ValueDim, Scale) = (length, dim, heads, queryDim, valueDim, scale);
        (E, Wq, Wk, Wv, G, Active, LayerGradient) = (e, wq, wk, wv, g, active, layerGradient);
        Query = new double[heads * queryDim];
        U = new double[heads * dim];
        R = new double[heads * dim];
        for (int i = 0; i < heads; i++)
        {
            var q = Query.AsSpan(i * queryDim, queryDim);
            MatVec(wq, i * queryDim * dim, queryDim, dim, e.AsSpan(0, dim), q);
            var u = U.AsSpan(i * dim, dim);
            MatTVec(wk, i * queryDim * dim, queryDim, dim, q, u);
            for (int k = 0; k < dim; k++) u[k] *= scale;
            MatTVec(wv, i * valueDim * dim, valueDim, dim, g.AsSpan(i * valueDim, valueDim), R.AsSpan(i * dim, dim));
        }
        Attention = AttentionOf(e);
    }

    public int Length { get; }
    public int Dim { get; }
    public int Heads { get; }
    public int QueryDim { get; }
    public int ValueDim { get; }
    /// <summary>s, the factor of the scores.</summary>
    public double Scale { get; }
    /// <summary>The layer's e [L, d].</summary>
    public double[] E { get; }
    /// <summary>W_q, W_k [H, d_q, d]; W_v [H, d_v, d].</summary>
    public double[] Wq { get; }
    public double[] Wk { get; }
    public double[] Wv { get; }
    /// <summary>g_i = df/dv~^(i) [H, d_v].</summary>
    public double[] G { get; }
    /// <summary>Positions taking part in the softmax.</summary>
    public bool[] Active { get; }
    /// <summary>q_0 [H, d_q], U_i = s W_k^T q_0 [H, d], R_i = W_v^T g_i [H, d], alpha [H, L].</summary>
    public double[] Query { get; }
    public double[] U { get; }
    public double[] R { get; }
    public double[] Attention { get; }
    /// <summary>Autograd's df/de [L, d] through the layer's equations (null when not computed).</summary>
    public double[]? LayerGradient { get; }

    /// <summary>The [CLS] query's attention [H, L] over other embeddings <paramref name="e"/> [L, d] (this document's query).</summary>
    public double[] AttentionOf(double[] e)
    {
        var a = new double[Heads * Length];
        for (int i = 0; i < Heads; i++)
        {
            var u = U.AsSpan(i * Dim, Dim);
            var row = a.AsSpan(i * Length, Length);
            double max = double.NegativeInfinity;
            for (int t = 0; t < Length; t++) if (Active[t]) { row[t] = Dot(u, e.AsSpan(t * Dim, Dim)); max = Math.Max(max, row[t]); }
            double sum = 0;
            for (int t = 0; t < Length; t++) { row[t] = Active[t] ? Math.Exp(row[t] - max) : 0; sum += row[t]; }
            for (int t = 0; t < Length; t++) row[t] /= sum;
        }
        return a;
    }

    /// <summary>Theorem 4.1's exact closed form of df/de [L, d] for this layer.</summary>
    public double[] Gradient()
    {
        int L = Length, d = Dim;
        var g = new double[L * d];
        var cls = new double[d];
        var h = new double[d];
        var kh = new double[QueryDim];
        var tmp = new double[d];
        for (int i = 0; i < Heads; i++)
        {
            var r = R.AsSpan(i * d, d);
            var u = U.AsSpan(i * d, d);
            var a = Attention.AsSpan(i * L, L);
            double rbar = 0;
            for (int t = 0; t < L; t++) if (a[t] != 0) rbar += a[t] * Dot(r, E.AsSpan(t * d, d));
            Array.Clear(h);
            for (int t = 0; t < L; t++)
            {
                if (a[t] == 0) continue;
                var et = E.AsSpan(t * d, d);
                double delta = Dot(r, et) - rbar;
                var row = g.AsSpan(t * d, d);
                for (int k = 0; k < d; k++) row[k] += a[t] * (r[k] + delta * u[k]);
                for (int k = 0; k < d; k++) h[k] += a[t] * delta * et[k];
            }
            MatVec(Wk, i * QueryDim * d, QueryDim, d, h, kh);        // W_k sum_s alpha_s delta_s e_s
            MatTVec(Wq, i * QueryDim * d, QueryDim, d, kh, tmp);     // W_q^T (...)
            for (int k = 0; k < d; k++) cls[k] += Scale * tmp[k];
        }
        for (int k = 0; k < d; k++) g[k] += cls[k];
        return g;
    }

    /// <summary>Theorem 5.1's approximation of LIME (in-place UNK removal) per distinct word of a document whose
    /// tokens map to words by <paramref name="wordOfToken"/> (token t at position t + 1), given the layer's
    /// embeddings of the all-UNK document <paramref name="referenceE"/> [L, d].</summary>
    public double[] LimeApproximation(double[] referenceE, IReadOnlyList<int> wordOfToken, int wordCount, double factor = Theorem51.AuthorsFactor)
    {
        ArgumentNullException.ThrowIfNull(referenceE);
        ArgumentNullException.ThrowIfNull(wordOfToken);
        if (referenceE.Length != Length * Dim) throw new ArgumentException($"the reference holds {referenceE.Length} values, expected {Length * Dim}", nameof(referenceE));
        var au = AttentionOf(referenceE);
        var words = new double[wordCount];
        for (int i = 0; i < Heads; i++)
        {
            var r = R.AsSpan(i * Dim, Dim);
            for (int t = 1; t <= wordOfToken.Count; t++)
            {
                double doc = Attention[i * Length + t] * Dot(r, E.AsSpan(t * Dim, Dim));
                double refr = au[i * Length + t] * Dot(r, referenceE.AsSpan(t * Dim, Dim));
                words[wordOfToken[t - 1]] += factor * (doc - refr);
            }
        }
        return words;
    }

    // ---- the paper's model -----------------------------------------------------------------------------------

    /// <summary>The paper's model itself: e its embeddings, g_i = W_l^(i)[positive] / K (its logit is linear in v~).</summary>
    public static LastLayerView OfPaper(PaperWeights w, ReadOnlySpan<long> ids, int realLength)
    {
        ArgumentNullException.ThrowIfNull(w);
        var p = PaperForwardPass.Run(w, ids, realLength);
        var g = new double[w.K * w.Do];
        for (int i = 0; i < w.K; i++)
            for (int o = 0; o < w.Do; o++) g[i * w.Do + o] = w.WlPos(i, o) / w.K;
        var active = Enumerable.Range(0, w.L).Select(p.IsActive).ToArray();
        return new LastLayerView(w.L, w.De, w.K, w.Da, w.Do, w.InvSqrtDa, p.E, w.Wq, w.Wk, w.Wv, g, active, null);
    }

    /// <summary>e [L, d] of the paper's model for ids (its embeddings).</summary>
    public static double[] PaperEmbeddings(PaperWeights w, ReadOnlySpan<long> ids)
    {
        var e = new double[w.L * w.De];
        for (int t = 0; t < w.L; t++) w.Embed(ids[t], t, e.AsSpan(t * w.De, w.De));
        return e;
    }

    // ---- the Transformer ---------------------------------------------------------------------------------------

    /// <summary>
    /// The last layer of a Transformer (float64, evaluation mode) for one document of L ids with
    /// <paramref name="realLength"/> real positions (used by a padding mask); see the class summary. Throws when the
    /// view's recomputation of the logit from v~ differs from the model's own.
    /// </summary>
    public static LastLayerView OfTransformer(TransformerClassifier model, long[] ids, int realLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.DType != ScalarType.Float64) throw new ArgumentException("the last-layer view needs a float64 copy of the Transformer");
        var c = model.Config;
        int L = c.Length, d = c.ModelDim, H = c.Heads, dh = c.HeadDim, cls = ((ITextClassifier)model).ExplainedClass;
        using var scope = NewDisposeScope();
        var mask = c.PaddingMask ? tensor(Enumerable.Range(0, L).Select(t => t < realLength).ToArray(), [1, L], device: model.Device) : null;
        var (x, e) = LayerInput(model, ids, mask);
        var last = model.Layers[^1];
        using var grad = enable_grad();
        var E = e.detach().requires_grad_(true);                                              // [1, L, d]
        var q = W(last.W_q, E.select(1, 0).squeeze(0)).div(Math.Sqrt(dh));                   // [H, d_h]: q_0 / sqrt(d_h)
        var k = Heads(last.W_k, E[0]);                                                       // [H, L, d_h]
        var v = Heads(last.W_v, E[0]);
        var z = k.matmul(q.unsqueeze(2)).squeeze(2);                                         // [H, L]
        if (mask is not null) z = z.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var alpha = z.softmax(-1);
        var vbar = alpha.unsqueeze(1).matmul(v).squeeze(1);                                  // [H, d_h]
        var x0 = x.narrow(1, 0, 1).detach();                                                 // the residual at [CLS], held constant
        var m = F.linear(vbar.reshape(1, 1, H * dh), last.W_o, last.b_o);
        Tensor y;
        if (c.Norm == NormPlacement.Pre)
        {
            var h = x0.add(m);
            y = TransformerLayer.LayerNorm(h.add(last.FeedForward(TransformerLayer.LayerNorm(h, last.gamma_2, last.beta_2))), model.gamma_f!, model.beta_f!);
        }
        else
        {
            var h = TransformerLayer.LayerNorm(x0.add(m), last.gamma_1, last.beta_1);
            y = TransformerLayer.LayerNorm(h.add(last.FeedForward(h)), last.gamma_2, last.beta_2);
        }
        var f = F.linear(y.select(1, 0), model.W_c, model.b_c).select(1, cls).sum();
        double own;
        using (no_grad()) own = model.Explained(((ITextClassifier)model).Logits(((ITextClassifier)model).Embed(tensor(ids, [1, L], device: model.Device)), mask)).ToDouble();
        double mine = f.ToDouble();
        if (!(Math.Abs(mine - own) <= 1e-9 * Math.Max(1, Math.Abs(own))))
            throw new InvalidOperationException($"the last-layer view computes the logit {mine:R}, the model {own:R}: the view no longer matches the Transformer's equations");
        var grads = torch.autograd.grad([f], [vbar, E]);
        double[] A(Tensor t) => t.detach().cpu().ToArray<double>();
        var active = Enumerable.Range(0, L).Select(t => !c.PaddingMask || t < realLength).ToArray();
        return new LastLayerView(L, d, H, dh, dh, 1 / Math.Sqrt(dh), A(E), A(last.W_q), A(last.W_k), A(last.W_v), A(grads[0]), active, A(grads[1]));

        Tensor W(Tensor w, Tensor vec) => w.matmul(vec);                                      // [H, d_h, d] x [d] -> [H, d_h]
        Tensor Heads(Tensor w, Tensor rows) => rows.matmul(w.transpose(1, 2));               // [L, d] x [H, d, d_h] -> [H, L, d_h]
    }

    /// <summary>The last layer's e [L, d] of the all-UNK document [CLS] UNK ... UNK (for Theorem 5.1's reference),
    /// with the document's padding mask.</summary>
    public static double[] TransformerReference(TransformerClassifier model, int realLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var ids = Enumerable.Repeat(c.UnkId, c.Length).ToArray();
        ids[0] = c.ClsId;
        using var scope = NewDisposeScope();
        using var ng = no_grad();
        var mask = c.PaddingMask ? tensor(Enumerable.Range(0, c.Length).Select(t => t < realLength).ToArray(), [1, c.Length], device: model.Device) : null;
        return LayerInput(model, ids, mask).E.cpu().ToArray<double>();
    }

    /// <summary>x^(N-1) [1, L, d] and the last layer's e (LN_1 of it in pre-norm, itself in post-norm).</summary>
    private static (Tensor X, Tensor E) LayerInput(TransformerClassifier model, long[] ids, Tensor? mask)
    {
        var c = model.Config;
        if (ids.Length != c.Length) throw new ArgumentException($"expected {c.Length} ids, got {ids.Length}", nameof(ids));
        using var ng = no_grad();
        var x = ((ITextClassifier)model).Embed(tensor(ids, [1, c.Length], device: model.Device));
        var padding = mask?.logical_not().view(1, 1, 1, c.Length);
        for (int l = 0; l < c.Layers - 1; l++) x = model.Layers[l].Forward(x, padding).Output;
        var last = model.Layers[^1];
        var e = c.Norm == NormPlacement.Pre ? TransformerLayer.LayerNorm(x, last.gamma_1, last.beta_1) : x;
        return (x, e);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }

    /// <summary>y = M x for the row-major block M [rows, cols] at <paramref name="offset"/>.</summary>
    private static void MatVec(double[] m, int offset, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int r = 0; r < rows; r++) y[r] = Dot(m.AsSpan(offset + r * cols, cols), x);
    }

    /// <summary>y = M^T x for the row-major block M [rows, cols] at <paramref name="offset"/>.</summary>
    private static void MatTVec(double[] m, int offset, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        y[..cols].Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = m.AsSpan(offset + r * cols, cols);
            for (int k = 0; k < cols; k++) y[k] += row[k] * x[r];
        }
    }
}
