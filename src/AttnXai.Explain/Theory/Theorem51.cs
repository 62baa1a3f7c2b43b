using AttnXai.Explain.Explainers;

namespace AttnXai.Explain.Theory;

/// <summary>Theorem 5.1's approximation of LIME for one document.</summary>
/// <param name="Words">beta_j per distinct word (the document's word order).</param>
/// <param name="Occurrences">The per-occurrence terms (T values, token order): beta_j is the sum over j's occurrences.</param>
/// <param name="ReferenceAttention">alpha^u [K, L]: the original [CLS] query against the all-UNK document's keys.</param>
public sealed record LimeTheory(double[] Words, double[] Occurrences, double[] ReferenceAttention, double Factor);

/// <summary>
/// Theorem 5.1 (LIME meets attention) in the authors' form (docs/model-and-protocols.md section 5), per distinct word j:
/// <code>
/// beta_j ~= (3/2) (1/K) sum_i sum_{t : x_t = j} W_l^(i) ( alpha_t v_t - alpha^u_t v^u_t )
/// </code>
/// with u the all-UNK reference document [CLS] UNK ... UNK, v^u_t = W_v (W_e[UNK] + PE(t)) and alpha^u the softmax of
/// q_0 . k^u_t / sqrt(d_att) using the original document's [CLS] query (which is the same for every document, since
/// position 0 always holds [CLS]). With a padding mask, the reference softmax runs over the document's real positions
/// (0..T), where in-place replacement puts its UNKs. Computed in float64.
/// </summary>
public static class Theorem51
{
    /// <summary>The authors' factor 3/2.</summary>
    public const double AuthorsFactor = 1.5;

    public static LimeTheory Approximate(PaperWeights w, ExplainDocument document, double factor = AuthorsFactor)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Length != w.L) throw new ArgumentException($"the document was encoded for length {document.Length}, the model has {w.L}", nameof(document));
        var p = PaperForwardPass.Run(w, document.Ids, document.RealLength);
        var refIds = new long[w.L];
        refIds.AsSpan().Fill(w.UnkId);
        refIds[0] = w.ClsId;
        var u = PaperForwardPass.Run(w, refIds, document.RealLength);
        int K = w.K, L = w.L, De = w.De, T = document.TokenCount;
        var occ = new double[T];
        for (int i = 0; i < K; i++)
        {
            var r = w.ValueDirection.AsSpan(i * De, De);
            for (int t = 1; t <= T; t++)
            {
                double doc = p.Attention[i * L + t] * PaperForwardPass.Dot(r, p.E.AsSpan(t * De, De));
                double refr = u.Attention[i * L + t] * PaperForwardPass.Dot(r, u.E.AsSpan(t * De, De));
                occ[t - 1] += factor * (doc - refr) / K;
            }
        }
        var words = new double[document.WordCount];
        for (int t = 0; t < T; t++) words[document.WordOfToken[t]] += occ[t];
        return new LimeTheory(words, occ, u.Attention, factor);
    }
}
