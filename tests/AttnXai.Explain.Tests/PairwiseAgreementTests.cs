using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Explain.Metrics;

namespace AttnXai.Explain.Tests;

/// <summary>Pairwise agreement with the ranking and k explicit, on hand-worked examples where signed and |w| ranking
/// give different answers.</summary>
public class PairwiseAgreementTests
{
    // A and B agree on every magnitude but not on the sign of word 1.
    private static readonly double[] A = [3, -5, 1, 0], B = [3, 5, 1, 0];

    [Fact]
    public void Signed_and_magnitude_ranking_give_different_answers_on_a_hand_worked_example()
    {
        // Signed ranks: A = [4, 1, 3, 2], B = [3, 4, 2, 1]; deviations from 2.5 give sum of products -1 over 5: -0.2.
        Assert.Equal(-0.2, PairwiseAgreement.Spearman(A, B, RankBy.Signed), 12);
        Assert.Equal(1.0, PairwiseAgreement.Spearman(A, B, RankBy.Magnitude), 12);   // |A| = |B|
        // Top 2: signed {0, 2} vs {1, 0}; by |w| {1, 0} for both.
        Assert.Equal([0, 2], PairwiseAgreement.Top(A, 2, RankBy.Signed));
        Assert.Equal([1, 0], PairwiseAgreement.Top(A, 2, RankBy.Magnitude));
        Assert.Equal(0.5, PairwiseAgreement.TopKOverlap(A, B, 2, RankBy.Signed));
        Assert.Equal(1.0, PairwiseAgreement.TopKOverlap(A, B, 2, RankBy.Magnitude));
        Assert.Equal(0.0, PairwiseAgreement.TopKOverlap(A, B, 1, RankBy.Signed));
        // The older helpers mix the two: Spearman ranks signed scores, TopKOverlap ranks |w|.
        Assert.Equal(-0.2, Agreement.Spearman(A, B), 12);
        Assert.Equal(1.0, Agreement.TopKOverlap(A, B, 2));
    }

    [Fact]
    public void Compute_gives_per_document_rows_and_medians_and_writes_tidy_csv()
    {
        var inputs = new TextInputs(8, 10);
        var d1 = ExplainDocument.FromTokens("a b c d", ["a", "b", "c", "d"], _ => 2, inputs, "one");
        var d2 = ExplainDocument.FromTokens("a b c", ["a", "b", "c"], _ => 2, inputs, "two");
        Explanation X(string method, ExplainDocument d, double[] w) => new(method, d, w, w, new Dictionary<string, string>(), new Dictionary<string, double>(), new Dictionary<string, double[]>());
        IReadOnlyList<IReadOnlyList<Explanation>> set =
        [
            [X("m1", d1, A), X("m2", d1, B)],
            [X("m1", d2, [1, 2, 3]), X("m2", d2, [1, 2, 3])],
        ];
        var signed = PairwiseAgreement.Compute(set, RankBy.Signed, k: 2);
        Assert.Equal(2, signed.Rows.Count);
        Assert.Equal(("one", "m1", "m2", 2, -0.2, 0.5), (signed.Rows[0].Label, signed.Rows[0].MethodA, signed.Rows[0].MethodB, signed.Rows[0].K, Math.Round(signed.Rows[0].Spearman, 12), signed.Rows[0].TopKOverlap));
        var m = Assert.Single(signed.Medians);
        Assert.Equal(0.4, m.MedianSpearman, 12);          // median of -0.2 and 1
        Assert.Equal(0.75, m.MedianTopKOverlap, 12);      // median of 0.5 and 1
        var magnitude = Assert.Single(PairwiseAgreement.Compute(set, RankBy.Magnitude, k: 2).Medians);
        Assert.Equal((1.0, 1.0), (magnitude.MedianSpearman, magnitude.MedianTopKOverlap));
        Assert.Equal(3, PairwiseAgreement.Compute(set, RankBy.Signed, k: 10).Rows[1].K);   // k capped at the words

        var dir = Path.Combine(Path.GetTempPath(), "attnxai-pairwise-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = signed.WriteCsv(dir);
            var rows = File.ReadAllLines(files[0]);
            Assert.Equal("doc,label,method_a,method_b,ranking,k,words,spearman,top_k_overlap", rows[0]);
            Assert.Equal("0,one,m1,m2,signed,2,4,-0.2,0.5", rows[1]);
            Assert.Equal(["method_a,method_b,ranking,k,documents,median_spearman,median_top_k_overlap", "m1,m2,signed,2,2,0.4,0.75"], File.ReadAllLines(files[1]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
