namespace AttnXai.Faithfulness.Tests;

/// <summary>Orientation, classification, the top feature and the Wilson interval, on hand-worked cases.</summary>
public class ViolationRuleTests
{
    // (signed, predicted class, w, p before, p after, expected outcome); dC = before - after.
    [Theory]
    [InlineData(true, 1, 0.7, 0.8, 0.6, Outcome.Faithful)]     // supports pos, pos predicted, removing it lowers p(pos)
    [InlineData(true, 1, 0.7, 0.8, 0.9, Outcome.Violation)]    // ... but removing it raises p(pos)
    [InlineData(true, 1, -0.7, 0.8, 0.9, Outcome.Faithful)]    // opposes pos: removing it should raise p(pos)
    [InlineData(true, 0, 0.7, 0.8, 0.9, Outcome.Faithful)]     // supports pos, neg predicted: oriented -0.7; p(neg) rises
    [InlineData(true, 0, 0.7, 0.8, 0.6, Outcome.Violation)]    // oriented -0.7 but removing it lowers p(neg)
    [InlineData(true, 0, -0.7, 0.8, 0.6, Outcome.Faithful)]    // supports neg (oriented +0.7): p(neg) falls
    [InlineData(false, 0, 0.3, 0.8, 0.6, Outcome.Faithful)]    // unsigned: kept as is, whatever y^
    [InlineData(false, 1, 0.3, 0.8, 0.9, Outcome.Violation)]   // unsigned: removal raised p(y^)
    [InlineData(false, 0, 0.3, 0.8, 0.9, Outcome.Violation)]
    [InlineData(true, 1, 0.0, 0.8, 0.6, Outcome.Undecided)]    // a zero score
    [InlineData(true, 0, 0.5, 0.8, 0.8, Outcome.Undecided)]    // no change
    public void Hand_worked_outcomes(bool signed, int predicted, double w, double before, double after, Outcome expected)
    {
        double wo = Violation.Orient(w, predicted, signed);
        Assert.Equal(signed && predicted == 0 ? -w : w, wo);
        Assert.Equal(expected, Violation.Classify(wo, Violation.Change(before, after)));
    }

    [Fact]
    public void Tiny_products_that_underflow_are_still_classified_by_sign()
    {
        Assert.Equal(Outcome.Violation, Violation.Classify(1e-200, -1e-200));
        Assert.Equal(Outcome.Faithful, Violation.Classify(-1e-200, -1e-200));
    }

    [Fact]
    public void Unsigned_methods_are_the_attention_and_gradient_norms()
    {
        foreach (var m in new[] { "alpha-avg", "alpha-max", "G-l1", "G-l2", "g-l2" }) Assert.False(Violation.IsSigned(m));
        foreach (var m in new[] { "G-avg", "GxI", "IG", "lime-delete", "lime-unk", "occlusion-unk", "shap-delete", "random" }) Assert.True(Violation.IsSigned(m));
    }

    [Fact]
    public void The_top_feature_is_the_largest_magnitude_first_on_ties()
    {
        Assert.Equal(1, Violation.TopFeature([0.1, -0.9, 0.5]));
        Assert.Equal(0, Violation.TopFeature([0.4, -0.4, 0.4]));
        Assert.Equal(2, Violation.TopFeature([0, 0, 1e-300]));
        Assert.Equal(0, Violation.TopFeature([0, 0]));
    }

    [Fact]
    public void Nan_scores_and_logits_are_refused_with_where()
    {
        var e = Assert.Throws<ArgumentException>(() => Violation.TopFeature([0.1, double.NaN], "G-avg on document 'x.txt'"));
        Assert.Contains("G-avg on document 'x.txt'", e.Message);
        Assert.Contains("score 1", e.Message);
        Assert.Throws<ArgumentException>(() => Violation.Softmax(double.NaN, 0));
        Assert.Throws<ArgumentException>(() => Violation.Classify(double.PositiveInfinity, 0.1));
    }

    [Fact]
    public void Softmax_of_two_logits()
    {
        var (y, pn, pp) = Violation.Softmax(0.0, Math.Log(3));
        Assert.Equal(1, y);
        Assert.Equal(0.75, pp, 14);
        Assert.Equal(0.25, pn, 14);
        Assert.Equal(0, Violation.Softmax(2.0, -1.0).Predicted);
        Assert.Equal(1.0, Violation.Softmax(800, -800).PNegative);
    }

    // Hand-computed with z = 1.959964: centre = (p + z^2/2n) / (1 + z^2/n), half = z / (1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2).
    [Theory]
    [InlineData(0, 10, 0.0, 0.27753)]      // centre = half = 0.192073 / 1.384146 = 0.138768
    [InlineData(5, 10, 0.23659, 0.76341)]  // centre 0.5, half = (1.959964 / 1.384146) * sqrt(0.025 + 0.009604) = 0.263404
    [InlineData(10, 10, 0.72247, 1.0)]
    [InlineData(1, 4, 0.04559, 0.69936)]  // centre 0.730182 / 1.960365 = 0.372473, half 0.999795 * 0.326952 = 0.326885
    public void Wilson_interval_matches_hand_computed_values(int k, int n, double low, double high)
    {
        var (lo, hi) = Wilson.Interval(k, n);
        Assert.Equal(low, lo, 4);
        Assert.Equal(high, hi, 4);
    }

    [Fact]
    public void Wilson_interval_ends_exactly_at_zero_and_one()
    {
        // centre - half only rounds to 0 (it printed as 1.7e-18 for 0 of 1000): the bound is exactly 0, and 1 at n of n.
        foreach (int n in Enumerable.Range(0, 136).Select(i => 1 + 37 * i).Append(1000))
        {
            Assert.Equal(0.0, Wilson.Interval(0, n).Low);
            Assert.Equal(1.0, Wilson.Interval(n, n).High);
        }
    }

    [Fact]
    public void Wilson_interval_of_nothing_is_undefined_and_bad_counts_throw()
    {
        var (lo, hi) = Wilson.Interval(0, 0);
        Assert.True(double.IsNaN(lo) && double.IsNaN(hi));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(-1, 4));
    }

    [Fact]
    public void Summary_counts_violations_and_undecided_and_pools_the_mean()
    {
        InstanceResult I(string method, FeatureRemoval r, Outcome o) =>
            new("d", 1, 1, method, Violation.IsSigned(method), r, "w", [1], 1, 1, 0.9, 0.8, 0.1, o);
        var xs = new List<InstanceResult>
        {
            I("G-avg", FeatureRemoval.Delete, Outcome.Violation), I("G-avg", FeatureRemoval.Delete, Outcome.Faithful),
            I("G-avg", FeatureRemoval.Delete, Outcome.Undecided), I("G-avg", FeatureRemoval.Delete, Outcome.Violation),
            I("G-avg", FeatureRemoval.AttentionMask, Outcome.Faithful), I("G-avg", FeatureRemoval.AttentionMask, Outcome.Faithful),
            I("G-avg", FeatureRemoval.AttentionMask, Outcome.Faithful), I("G-avg", FeatureRemoval.AttentionMask, Outcome.Violation),
            I("alpha-avg", FeatureRemoval.Delete, Outcome.Faithful), I("alpha-avg", FeatureRemoval.AttentionMask, Outcome.Violation),
        };
        var rows = ViolationTest.Summarise(xs, ["G-avg", "alpha-avg"], [FeatureRemoval.Delete, FeatureRemoval.AttentionMask]);
        Assert.Equal(6, rows.Count);
        var d = rows[0];
        Assert.Equal(("G-avg", "delete", 4, 2, 1, 0.5), (d.Method, d.Removal, d.N, d.Violations, d.Undecided, d.Ratio));
        Assert.Equal(Wilson.Interval(2, 4), (d.WilsonLow, d.WilsonHigh));
        var a = rows[1];
        Assert.Equal(("attention", 4, 1, 0, 0.25), (a.Removal, a.N, a.Violations, a.Undecided, a.Ratio));
        var mean = rows[2];
        Assert.Equal(("mean", 8, 3, 1, 0.375), (mean.Removal, mean.N, mean.Violations, mean.Undecided, mean.Ratio));
        Assert.Equal((d.Ratio + a.Ratio) / 2, mean.Ratio);
        Assert.True(rows[3].Signed is false && rows[3].Method == "alpha-avg" && rows[3].Ratio == 0 && rows[4].Ratio == 1 && rows[5].Ratio == 0.5);
    }

    [Fact]
    public void Removal_names_parse_and_refuse_unknown_ones()
    {
        Assert.Equal(FeatureRemovals.All, FeatureRemovals.ParseList("delete, zero,attention"));
        Assert.Equal(FeatureRemovals.All, FeatureRemovals.ParseList("all"));
        Assert.Equal([FeatureRemoval.AttentionMask], FeatureRemovals.ParseList("attention,attention"));
        var e = Assert.Throws<ArgumentException>(() => FeatureRemovals.ParseList("delete,blur"));
        Assert.Contains("'blur'", e.Message);
        Assert.Throws<ArgumentException>(() => FeatureRemovals.ParseList(" , "));
    }
}
