using AttnXai.Common.IO;
using AttnXai.Explain.Explainers;

namespace AttnXai.Explain.Metrics;

/// <summary>What the agreement of two explanations ranks words by.</summary>
public enum RankBy
{
    /// <summary>The signed scores: "most important" is the most positive (towards the explained logit).</summary>
    Signed,
    /// <summary>|w|: "most important" is the largest in magnitude, whatever its sign.</summary>
    Magnitude,
}

/// <summary>The agreement of two methods on one document: Spearman's rank correlation of their word scores and the
/// overlap of their top-k words, both under <see cref="Ranking"/>; <see cref="K"/> is the k used (at most the
/// document's distinct words).</summary>
public sealed record PairAgreementRow(int Document, string Label, string MethodA, string MethodB, RankBy Ranking, int K, int Words, double Spearman, double TopKOverlap);

/// <summary>The median over documents of one pair of methods.</summary>
public sealed record PairAgreementMedian(string MethodA, string MethodB, RankBy Ranking, int K, int Documents, double MedianSpearman, double MedianTopKOverlap);

/// <summary>Per-document rows and per-pair medians (<see cref="PairwiseAgreement.Compute"/>).</summary>
public sealed record PairwiseAgreementResult(IReadOnlyList<PairAgreementRow> Rows, IReadOnlyList<PairAgreementMedian> Medians)
{
    /// <summary>The rows as a tidy CSV table (one row per document and pair).</summary>
    public CsvTable RowsTable()
    {
        var t = new CsvTable("doc", "label", "method_a", "method_b", "ranking", "k", "words", "spearman", "top_k_overlap");
        foreach (var r in Rows) t.Add(r.Document, r.Label, r.MethodA, r.MethodB, Name(r.Ranking), r.K, r.Words, Csv.Num(r.Spearman), Csv.Num(r.TopKOverlap));
        return t;
    }

    /// <summary>The medians as a tidy CSV table (one row per pair).</summary>
    public CsvTable MediansTable()
    {
        var t = new CsvTable("method_a", "method_b", "ranking", "k", "documents", "median_spearman", "median_top_k_overlap");
        foreach (var m in Medians) t.Add(m.MethodA, m.MethodB, Name(m.Ranking), m.K, m.Documents, Csv.Num(m.MedianSpearman), Csv.Num(m.MedianTopKOverlap));
        return t;
    }

    /// <summary>Writes <c>agreement_rows.csv</c> and <c>agreement_medians.csv</c> (or PREFIX_rows.csv, PREFIX_medians.csv)
    /// into <paramref name="directory"/>; returns the two paths.</summary>
    public IReadOnlyList<string> WriteCsv(string directory, string prefix = "agreement")
    {
        Directory.CreateDirectory(directory);
        var rows = Path.Combine(directory, $"{prefix}_rows.csv");
        var medians = Path.Combine(directory, $"{prefix}_medians.csv");
        RowsTable().Write(rows);
        MediansTable().Write(medians);
        return [rows, medians];
    }

    private static string Name(RankBy r) => r == RankBy.Signed ? "signed" : "magnitude";
}

/// <summary>
/// Pairwise agreement over a set of explanations, with the ranking and k stated, not implied: <see cref="Agreement.Spearman"/>
/// ranks signed scores while <see cref="Agreement.TopKOverlap"/> ranks |w|, so a script that mixes them compares two
/// different questions. Here both measures use the same <see cref="RankBy"/>.
/// </summary>
public static class PairwiseAgreement
{
    /// <summary>
    /// Every pair of methods (in the order they appear) on every document: <paramref name="explanations"/>[doc] holds
    /// one explanation per method (as <see cref="ExplainRunResult.Explanations"/>). k is capped at the document's
    /// distinct words. A document where a method's scores are constant has NaN Spearman (left out of the medians).
    /// </summary>
    public static PairwiseAgreementResult Compute(IReadOnlyList<IReadOnlyList<Explanation>> explanations, RankBy ranking, int k, IReadOnlyList<string>? methods = null)
    {
        ArgumentNullException.ThrowIfNull(explanations);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        var rows = new List<PairAgreementRow>();
        for (int d = 0; d < explanations.Count; d++)
        {
            var xs = explanations[d].Where(x => methods is null || methods.Contains(x.Method)).ToList();
            for (int i = 0; i < xs.Count; i++)
                for (int j = i + 1; j < xs.Count; j++)
                {
                    var (a, b) = (xs[i].WordScores, xs[j].WordScores);
                    int kk = Math.Min(k, a.Length);
                    rows.Add(new PairAgreementRow(d, xs[i].Document.Label ?? "", xs[i].Method, xs[j].Method, ranking, kk, a.Length,
                        Spearman(a, b, ranking), TopKOverlap(a, b, kk, ranking)));
                }
        }
        var medians = rows.GroupBy(r => (r.MethodA, r.MethodB)).Select(g => new PairAgreementMedian(g.Key.MethodA, g.Key.MethodB, ranking, k, g.Count(),
            Median(g.Select(r => r.Spearman)), Median(g.Select(r => r.TopKOverlap)))).ToList();
        return new PairwiseAgreementResult(rows, medians);
    }

    /// <summary>Spearman's correlation of two score vectors ranked by <paramref name="ranking"/> (NaN when either is constant).</summary>
    public static double Spearman(double[] a, double[] b, RankBy ranking)
    {
        var (x, y) = ranking == RankBy.Signed ? (a, b) : (a.Select(Math.Abs).ToArray(), b.Select(Math.Abs).ToArray());
        if (x.Distinct().Count() < 2 || y.Distinct().Count() < 2) return double.NaN;
        return Agreement.Spearman(x, y);
    }

    /// <summary>|top-k(a) ∩ top-k(b)| / k, the top k being the largest signed values or the largest |w| (ties: lower index first).</summary>
    public static double TopKOverlap(double[] a, double[] b, int k, RankBy ranking)
    {
        if (a.Length != b.Length) throw new ArgumentException($"the explanations score {a.Length} and {b.Length} words");
        if (k < 1 || k > a.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{a.Length}");
        var ta = Top(a, k, ranking).ToHashSet();
        return (double)Top(b, k, ranking).Count(ta.Contains) / k;
    }

    /// <summary>Indices of the k most important words under <paramref name="ranking"/>, most important first.</summary>
    public static int[] Top(double[] scores, int k, RankBy ranking)
    {
        var key = ranking == RankBy.Signed ? scores : scores.Select(Math.Abs).ToArray();
        var idx = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(idx, (x, y) => key[y].CompareTo(key[x]) is var c && c != 0 ? c : x.CompareTo(y));
        return idx[..k];
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
