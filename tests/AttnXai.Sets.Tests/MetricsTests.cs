using AttnXai.Sets.Benchmark;
using AttnXai.Sets.Scoring;
using AttnXai.Explain.Metrics;

namespace AttnXai.Sets.Tests;

/// <summary>
/// AUROC = P(key outscores non-key) + 1/2 P(tie) (Mann-Whitney); AUPRC = average precision over distinct thresholds,
/// tied scores entering together. Hand-worked cases, then a brute-force pairwise check.
/// </summary>
[Collection(CatalogueCollection.Name)]
public class MetricsTests
{
    private static readonly bool T = true, F = false;

    [Fact]
    public void AurocHandWorked()
    {
        // Keys 0.9 and 0.7, non-keys 0.8 and 0.1: pairs (0.9>0.8) (0.9>0.1) (0.7<0.8) (0.7>0.1) -> 3/4.
        Assert.Equal(0.75, RankingMetrics.Auroc([0.9, 0.8, 0.7, 0.1], [T, F, T, F]), 12);
        Assert.Equal(1.0, RankingMetrics.Auroc([3, 1, 2], [T, F, T]), 12);
        Assert.Equal(0.0, RankingMetrics.Auroc([0, 1, 2], [T, F, F]), 12);
    }

    [Fact]
    public void AurocCountsTiesAsOneHalf()
    {
        // Keys {1, 0}, non-keys {1, 0.5}: tie 1/2, win, loss, loss -> 1.5 / 4.
        Assert.Equal(0.375, RankingMetrics.Auroc([1, 1, 0, 0.5], [T, F, T, F]), 12);
        // Everything tied: chance.
        Assert.Equal(0.5, RankingMetrics.Auroc([2, 2, 2, 2, 2], [T, F, F, T, F]), 12);
        // Key 1 vs non-keys {1, 1, 0}: 1/2 + 1/2 + 1 -> 2/3.
        Assert.Equal(2.0 / 3, RankingMetrics.Auroc([1, 1, 1, 0], [T, F, F, F]), 12);
    }

    [Fact]
    public void AveragePrecisionHandWorked()
    {
        // Descending: 0.9 key (P 1, R 1/2), 0.8 non-key, 0.7 key (P 2/3, R 1) -> 1/2 * 1 + 1/2 * 2/3 = 5/6.
        Assert.Equal(5.0 / 6, RankingMetrics.AveragePrecision([0.9, 0.8, 0.7, 0.1], [T, F, T, F]), 12);
        Assert.Equal(1.0, RankingMetrics.AveragePrecision([3, 1, 2], [T, F, T]), 12);
        // The key is last of three: P = 1/3 at recall 1.
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecision([0, 1, 2], [T, F, F]), 12);
    }

    [Fact]
    public void AveragePrecisionTiedScoresEnterTogether()
    {
        // Threshold 1: {key, non-key} -> P 1/2, R 1/2; threshold 0.5: non-key; threshold 0: key -> P 2/4, R 1. AP = 1/4 + 1/4.
        Assert.Equal(0.5, RankingMetrics.AveragePrecision([1, 1, 0, 0.5], [T, F, T, F]), 12);
        // All tied: one threshold, precision = key fraction.
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecision([0.5, 0.5, 0.5], [T, F, F]), 12);
        // A tie at the top between the two keys and one non-key: P 2/3 at R 1.
        Assert.Equal(2.0 / 3, RankingMetrics.AveragePrecision([5, 5, 5, 1], [T, T, F, F]), 12);
    }

    [Fact]
    public void UndefinedCasesAreNaNAndBadInputThrows()
    {
        Assert.True(double.IsNaN(RankingMetrics.Auroc([1, 2], [F, F])));
        Assert.True(double.IsNaN(RankingMetrics.Auroc([1, 2], [T, T])));
        Assert.True(double.IsNaN(RankingMetrics.AveragePrecision([1, 2], [F, F])));
        Assert.Equal(1.0, RankingMetrics.AveragePrecision([1, 2], [T, T]), 12);
        Assert.Throws<ArgumentException>(() => RankingMetrics.Auroc([1, 2, 3], [T, F]));
        var e = Assert.Throws<ArgumentException>(() => RankingMetrics.Auroc([1, double.NaN], [T, F]));
        Assert.Contains("score 1", e.Message);
    }

    [Fact]
    public void AurocEqualsBruteForcePairCountingWithTies()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 2 + rng.Next(30);
            var s = Enumerable.Range(0, n).Select(_ => (double)rng.Next(6)).ToArray(); // many ties
            var k = Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0).ToArray();
            if (k.All(x => x) || !k.Any(x => x)) continue;
            double wins = 0; int pairs = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (k[i] && !k[j]) { pairs++; wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0; }
            Assert.Equal(wins / pairs, RankingMetrics.Auroc(s, k), 12);
        }
    }

    [Fact]
    public void EnsembleNormalisesEachModelPerBagThenAverages()
    {
        // Two models, one bag of three tokens; model 2's scale is 10x and its sign differs on token 2.
        double[][] m1 = [[1, 2, 4]];
        double[][] m2 = [[10, -20, 0]];
        var raw = ExplanationQuality.Ensemble([m1, m2], ScoreVariant.Raw);
        Assert.Equal(new[] { (0.25 + 0.5) / 2, (0.5 - 1) / 2, (1 + 0) / 2.0 }, raw[0]);
        var abs = ExplanationQuality.Ensemble([m1, m2], ScoreVariant.Abs);
        Assert.Equal(new[] { (0.25 + 0.5) / 2, (0.5 + 1) / 2, (1 + 0) / 2.0 }, abs[0]);
        // All-zero scores stay zero (no division by zero).
        Assert.Equal(new double[] { 0, 0 }, ExplanationQuality.NormalisePerBag([0, 0]));
    }

    [Fact]
    public void ScoreAveragesScorableBagsPoolsAllTokensAndChecksKeySigns()
    {
        // Bag 0: keys A (+1) at 0 and N (-1) at 2; bag 1: no key (not scorable, but pooled).
        var b0 = new AttnXai.Sets.Tasks.Bag([2, 9, 4, 8], 0, [true, false, true, false], [1, 0, -1, 0]);
        var b1 = new AttnXai.Sets.Tasks.Bag([9, 8], 0, [false, false], [0, 0]);
        var q = ExplanationQuality.Score([b0, b1], [[0.9, 0.1, -0.5, 0.0], [0.3, 0.2]]);
        Assert.Equal(1, q.BagsScored);
        // Bag 0: key 0.9 beats both non-keys, key -0.5 loses to both -> 1/2.
        Assert.Equal(0.5, q.Auroc, 12);
        Assert.True(double.IsNaN(q.PerBagAuroc[1]));
        // Pooled non-keys {0.1, 0, 0.3, 0.2}: 0.9 wins 4, -0.5 wins 0 -> 4/8.
        Assert.Equal(0.5, q.PooledAuroc, 12);
        // Both keys have the sign of their polarity.
        Assert.Equal(1.0, q.SignAgreement, 12);
        var abs = ExplanationQuality.Score([b0, b1], [[0.9, 0.1, 0.5, 0.0], [0.3, 0.2]]);
        Assert.Equal(1.0, abs.Auroc, 12);
        Assert.Equal(0.5, abs.SignAgreement, 12); // N's positive score has the wrong sign
    }

    [Fact]
    public void SilentFailureNeedsHighAccuracyAndLowAuroc()
    {
        var s = new SetBenchmarkSettings { AccuracyThreshold = 0.95, AurocThreshold = 0.75 };
        Assert.True(SetBenchmark.Silent(s, 0.96, 0.70));
        Assert.True(SetBenchmark.Silent(s, 0.95, 0.0));
        Assert.False(SetBenchmark.Silent(s, 0.94, 0.70));
        Assert.False(SetBenchmark.Silent(s, 0.99, 0.75));
        Assert.False(SetBenchmark.Silent(s, 0.99, double.NaN));
    }

    [Fact]
    public void SignedMethodsGetAnAbsVariant()
    {
        Assert.Equal([ScoreVariant.Raw], ExplanationQuality.Variants("alpha-avg"));
        Assert.Equal([ScoreVariant.Raw], ExplanationQuality.Variants("G-l2"));
        Assert.Equal([ScoreVariant.Raw, ScoreVariant.Abs], ExplanationQuality.Variants("GxI"));
        Assert.Equal([ScoreVariant.Raw, ScoreVariant.Abs], ExplanationQuality.Variants("lime-delete"));
    }

    [Fact]
    public void A_new_unsigned_method_gets_no_abs_variant_without_any_edit_here()
    {
        using var registration = AttnXai.Explain.Explainers.ExplainerRegistry.Register(new AttnXai.Explain.Explainers.ExplainerInfo("test-sets-magnitude",
            "a magnitude, as a new method would declare it", Signed: false, typeof(AttnXai.Model.ITextClassifier), (_, _) => throw new NotSupportedException()));
        Assert.False(ExplanationQuality.IsSigned("test-sets-magnitude"));
        Assert.Equal([ScoreVariant.Raw], ExplanationQuality.Variants("test-sets-magnitude"));
    }
}

/// <summary>Tests that add methods to the catalogue for a while run alone, so that "all" elsewhere never sees them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CatalogueCollection
{
    public const string Name = "catalogue";
}
