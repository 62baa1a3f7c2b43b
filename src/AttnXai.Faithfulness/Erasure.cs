using System.Globalization;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Faithfulness;

/// <summary>Settings of the erasure curves: the fractions of tokens q and how tokens are taken out.</summary>
/// <param name="Fractions">q in (0, 1], ERASER's {1, 5, 10, 20, 50} % by default.</param>
/// <param name="Removal">Delete (the tokens are deleted and the rest re-encoded, later tokens shifting left, as ferret's
/// default and ERASER do; the default) or ReplaceWithUnk (each taken-out token becomes UNK in place, nothing moves).</param>
public sealed record ErasureSettings(IReadOnlyList<double> Fractions, RemovalMode Removal = RemovalMode.Delete)
{
    /// <summary>ERASER's bins: 1, 5, 10, 20 and 50 % of the tokens.</summary>
    public static readonly IReadOnlyList<double> EraserFractions = [0.01, 0.05, 0.10, 0.20, 0.50];

    public ErasureSettings() : this(EraserFractions) { }

    /// <summary>Throws ArgumentException naming a bad fraction.</summary>
    public ErasureSettings Validate()
    {
        ArgumentNullException.ThrowIfNull(Fractions);
        if (Fractions.Count == 0) throw new ArgumentException("no erasure fraction given");
        foreach (var q in Fractions)
            if (!(q > 0 && q <= 1)) throw new ArgumentException($"an erasure fraction must lie in (0, 1], got {q.ToString(CultureInfo.InvariantCulture)}");
        if (Fractions.Distinct().Count() != Fractions.Count) throw new ArgumentException("an erasure fraction is listed twice");
        if (!Enum.IsDefined(Removal)) throw new ArgumentException($"unknown removal {Removal}");
        return this;
    }
}

/// <summary>One point of a document's curves: the top k = TopCount(T, q) tokens of a ranking.</summary>
/// <param name="PWithout">p_y^ of the document without its top k tokens.</param>
/// <param name="POnly">p_y^ of the document with only its top k tokens.</param>
/// <param name="Comprehensiveness">p_y^(x) - PWithout.</param>
/// <param name="Sufficiency">p_y^(x) - POnly.</param>
public sealed record ErasurePoint(double Fraction, int K, double PWithout, double POnly, double Comprehensiveness, double Sufficiency);

/// <summary>One method's erasure curves on one document, and their AOPC (the mean over the fractions).</summary>
public sealed record ErasureCurve(string Document, int? TrueLabel, int Predicted, string Method, bool Signed, int Tokens, double PFull,
    IReadOnlyList<ErasurePoint> Points, double AopcComprehensiveness, double AopcSufficiency);

/// <summary>A method's AOPCs summarised over documents (mean, standard error of the mean, median), and the mean curve.</summary>
public sealed record ErasureSummaryRow(string Method, bool Signed, string Measure, string Fraction, int N, double Mean, double StandardError, double Median);

/// <summary>
/// The erasure curves of ERASER (DeYoung et al., ACL 2020), as ferret reports them: for a document x, its predicted
/// class y^ and a ranking of its T tokens by an explainer's scores (descending),
/// <code>
/// comprehensiveness(q) = p_y^(x) - p_y^(x without its top k tokens)      (high: the top tokens were needed)
/// sufficiency(q)       = p_y^(x) - p_y^(x with only its top k tokens)    (low: the top tokens suffice)
/// k = max(1, ceil(q T)),  AOPC = mean over the fractions q
/// </code>
/// f = p_y^ is the softmax probability of the class the model predicts on the full document (ERASER's choice; the
/// explainers' raw logit is not a probability). The ranking: signed scores are turned towards y^ first (w for a
/// positive prediction, -w for a negative one, as <see cref="Violation.Orient"/>), since the explainers explain the
/// positive logit; unsigned scores rank as they are; ties go to the earlier token. Tokens, not distinct words, are
/// ranked and removed (a per-word method gives every occurrence its word's score). Removal: deletion (the default,
/// ferret's remove_tokens and ERASER's) or UNK in place; with deletion the kept tokens keep their order (ferret keeps
/// a sufficiency rationale in rank order; ERASER and this class in text order). Unlike ferret, fractions giving the
/// same k are not merged: the AOPC is the plain mean over the given fractions. Any binary model, through
/// <see cref="BatchedPass"/>; each distinct perturbed document of a document is scored once.
/// </summary>
public static class Erasure
{
    /// <summary>k = max(1, ceil(q T)), at most T (q T rounded to 9 decimals first, so that 0.1 x 30 is 3, not 4).</summary>
    public static int TopCount(int tokens, double fraction)
    {
        if (tokens < 1) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "a document needs at least one token");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the fraction must lie in (0, 1]");
        return Math.Clamp((int)Math.Ceiling(Math.Round(fraction * tokens, 9)), 1, tokens);
    }

    /// <summary>Token indices (0-based, position t + 1 in the model) from most to least important for the predicted
    /// class: by score turned towards y^ when <paramref name="signed"/>, descending, ties by position.</summary>
    public static int[] Ranking(ReadOnlySpan<double> tokenScores, int predicted, bool signed, int explained = 1)
    {
        var oriented = new double[tokenScores.Length];
        for (int t = 0; t < oriented.Length; t++)
        {
            if (!double.IsFinite(tokenScores[t])) throw new ArgumentException($"token score {t} is {tokenScores[t]} (scores must be finite)", nameof(tokenScores));
            oriented[t] = Violation.Orient(tokenScores[t], predicted, signed, explained);
        }
        var order = Enumerable.Range(0, oriented.Length).ToArray();
        Array.Sort(order, (a, b) => oriented[b].CompareTo(oriented[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    /// <summary>
    /// The curves of every (document, method), in document order (then method): <paramref name="scores"/> holds per
    /// method one token-score vector per document (T values). The documents' perturbations are scored together
    /// (batches of <paramref name="batchSize"/>), so a curve depends on the documents passed with it: the faithfulness
    /// study passes one chunk at a time (see <see cref="ViolationTest.Run"/>). Throws ArgumentException on a wrong count or a non-finite score, naming the method and
    /// document.
    /// </summary>
    public static IReadOnlyList<ErasureCurve> FromScores(ITextClassifier model, IReadOnlyList<TestDocument> documents,
        IReadOnlyList<(string Method, double[][] Tokens)> scores, ErasureSettings? settings = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(scores);
        settings = (settings ?? new ErasureSettings()).Validate();
        if (model.Classes != 2) throw new ArgumentException($"the erasure curves need a binary classifier, the model has {model.Classes} classes");
        int n = documents.Count;
        foreach (var (method, tokens) in scores)
        {
            if (tokens.Length != n) throw new ArgumentException($"{method}: {tokens.Length} score vectors for {n} documents", nameof(scores));
            for (int i = 0; i < n; i++)
                if (tokens[i] is null || tokens[i].Length != documents[i].Document.TokenCount)
                    throw new ArgumentException($"{method} on document '{documents[i].Id}': {tokens[i]?.Length ?? 0} token scores for {documents[i].Document.TokenCount} tokens", nameof(scores));
        }

        // The distinct kept-token sets of each document (bit strings over its tokens), the full document first.
        var requests = new List<(int Doc, bool[] Keep)>();
        var index = new Dictionary<(int, string), int>();
        int Request(int doc, bool[] keep)
        {
            var key = (doc, new string(keep.Select(b => b ? '1' : '0').ToArray()));
            if (!index.TryGetValue(key, out int r)) { r = requests.Count; index.Add(key, r); requests.Add((doc, keep)); }
            return r;
        }
        var full = new int[n];
        for (int i = 0; i < n; i++) full[i] = Request(i, Enumerable.Repeat(true, documents[i].Document.TokenCount).ToArray());
        var fullLogits = Logits(model, documents, requests, settings.Removal, batchSize, 0, n);
        var predicted = new int[n];
        var pFull = new double[n];
        for (int i = 0; i < n; i++) (predicted[i], pFull[i]) = Probability(fullLogits[full[i]], null);

        var plan = new List<(int Method, int Doc, int[] Without, int[] Only, int[] K)>();
        for (int i = 0; i < n; i++)
        {
            int T = documents[i].Document.TokenCount;
            for (int m = 0; m < scores.Count; m++)
            {
                bool signed = Violation.IsSigned(scores[m].Method);
                var order = Ranking(scores[m].Tokens[i], predicted[i], signed, model.ExplainedClass);
                var ks = settings.Fractions.Select(q => TopCount(T, q)).ToArray();
                var without = new int[ks.Length];
                var only = new int[ks.Length];
                for (int f = 0; f < ks.Length; f++)
                {
                    var top = new bool[T];
                    foreach (int t in order.AsSpan(0, ks[f])) top[t] = true;
                    without[f] = Request(i, top.Select(b => !b).ToArray());
                    only[f] = Request(i, top);
                }
                plan.Add((m, i, without, only, ks));
            }
        }
        var perturbed = Logits(model, documents, requests, settings.Removal, batchSize, n, requests.Count);
        double P(int request, int cls) => Probability(request < n ? fullLogits[request] : perturbed[request - n], cls).P;

        var curves = new List<ErasureCurve>(plan.Count);
        foreach (var (m, i, without, only, ks) in plan)
        {
            var points = new ErasurePoint[ks.Length];
            for (int f = 0; f < ks.Length; f++)
            {
                double pw = P(without[f], predicted[i]), po = P(only[f], predicted[i]);
                points[f] = new ErasurePoint(settings.Fractions[f], ks[f], pw, po, pFull[i] - pw, pFull[i] - po);
            }
            var (method, _) = scores[m];
            curves.Add(new ErasureCurve(documents[i].Id, documents[i].TrueLabel, predicted[i], method, Violation.IsSigned(method), documents[i].Document.TokenCount,
                pFull[i], points, points.Average(p => p.Comprehensiveness), points.Average(p => p.Sufficiency)));
        }
        return curves;
    }

    /// <summary>(predicted class, its probability) from two logits; with <paramref name="cls"/> given, that class's probability.</summary>
    private static (int Predicted, double P) Probability((double Negative, double Positive) l, int? cls)
    {
        var s = Violation.Softmax(l.Negative, l.Positive);
        int c = cls ?? s.Predicted;
        return (s.Predicted, c == 1 ? s.PPositive : s.PNegative);
    }

    /// <summary>Logits of requests [from, to) through <see cref="BatchedPass"/> (element r is request from + r): the
    /// document's tokens whose flag is set, the others deleted (later tokens shift left) or replaced in place (UNK; a pretrained model's [MASK] or [UNK]).</summary>
    private static (double Negative, double Positive)[] Logits(ITextClassifier model, IReadOnlyList<TestDocument> documents,
        IReadOnlyList<(int Doc, bool[] Keep)> requests, RemovalMode removal, int batchSize, int from, int to)
    {
        var result = new (double, double)[to - from];
        int L = model.Inputs.Length;
        var values = BatchedPass.Logits(model, to - from, batchSize, (int r, ref BatchRow row) =>
        {
            var (d, keep) = requests[from + r];
            var doc = documents[d].Document;
            if (doc.Length != L) throw new ArgumentException($"document '{documents[d].Id}' was encoded for length {doc.Length}, the model has {L}");
            row.RealLength = doc.TokenPerturbedIds(keep, removal, row.Ids);
        });
        for (int r = 0; r < result.Length; r++) result[r] = (values[2 * r], values[2 * r + 1]);
        return result;
    }

    /// <summary>
    /// Per method: the AOPC of comprehensiveness and of sufficiency and each fraction's mean value, as rows
    /// (measure "comprehensiveness" or "sufficiency", fraction "aopc" or the fraction), each with the number of
    /// documents, the mean, its standard error (sample standard deviation / sqrt n; NaN for one document) and the median.
    /// </summary>
    public static IReadOnlyList<ErasureSummaryRow> Summarise(IReadOnlyList<ErasureCurve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var rows = new List<ErasureSummaryRow>();
        foreach (var g in curves.GroupBy(c => c.Method))
        {
            var mine = g.ToArray();
            bool signed = mine[0].Signed;
            foreach (var (measure, aopc, point) in new (string, Func<ErasureCurve, double>, Func<ErasurePoint, double>)[]
                     {
                         ("comprehensiveness", c => c.AopcComprehensiveness, p => p.Comprehensiveness),
                         ("sufficiency", c => c.AopcSufficiency, p => p.Sufficiency),
                     })
            {
                rows.Add(Row(g.Key, signed, measure, "aopc", mine.Select(aopc).ToArray()));
                var fractions = mine[0].Points.Select(p => p.Fraction).ToArray();
                for (int f = 0; f < fractions.Length; f++)
                    rows.Add(Row(g.Key, signed, measure, Csv(fractions[f]), mine.Select(c => point(c.Points[f])).ToArray()));
            }
        }
        return rows;
    }

    private static string Csv(double q) => q.ToString("R", CultureInfo.InvariantCulture);

    private static ErasureSummaryRow Row(string method, bool signed, string measure, string fraction, double[] v)
    {
        int n = v.Length;
        double mean = v.Average();
        double se = n < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (n - 1) / n);
        var sorted = v.Order().ToArray();
        return new ErasureSummaryRow(method, signed, measure, fraction, n, mean, se, SummaryStatistics.QuantileOfSorted(sorted, 0.5));
    }
}
