using AttnXai.Explain.Metrics;
namespace AttnXai.Explain.Tests;

public class AgreementTests
{
    [Fact]
    public void Errors_on_hand_worked_vectors()
    {
        double[] a = [1.0, -2.0, 0.5, 0.0];
        double[] b = [1.5, -2.0, 0.0, 4.0];
        // differences 0.5, 0, 0.5, 4
        Assert.Equal(4.0, Agreement.MaxAbsError(a, b));
        // elementwise relative: 0.5/1.5, 0, 0.5/0.5 = 1, 4/4 = 1
        Assert.Equal(1.0, Agreement.MaxRelativeError(a, b), 1e-15);
        Assert.Equal(4.0 / 4.0, Agreement.MaxErrorRelativeToScale(a, b), 1e-15);
        Assert.Equal(Math.Sqrt(0.25 + 0.25 + 16), Agreement.L2Distance(a, b), 1e-14);
        Assert.Equal(Math.Sqrt(16.5) / Math.Sqrt(2.25 + 4 + 16), Agreement.RelativeL2(a, b), 1e-14);
        // scale-relative differs from elementwise-relative when small coordinates disagree
        double[] c = [10.0, 1e-6];
        double[] r = [10.0, 2e-6];
        Assert.Equal(0.5, Agreement.MaxRelativeError(c, r), 1e-12);
        Assert.Equal(1e-7, Agreement.MaxErrorRelativeToScale(c, r), 1e-18);
        // both zero: no error, no division by zero
        Assert.Equal(0.0, Agreement.MaxRelativeError([0.0], [0.0]));
        Assert.Equal(0.0, Agreement.RelativeL2([0.0], [0.0]));
    }

    [Fact]
    public void Pearson_of_perfectly_correlated_and_anticorrelated_vectors()
    {
        double[] x = [1, 2, 3, 4, 5];
        Assert.Equal(1.0, Agreement.Pearson(x, x.Select(v => 3 * v - 7).ToArray()), 1e-15);
        Assert.Equal(-1.0, Agreement.Pearson(x, x.Select(v => -0.5 * v + 2).ToArray()), 1e-15);
        // hand-worked: x = [1,2,3], y = [1,3,2]: sxy = 1, sxx = syy = 2 -> 0.5
        Assert.Equal(0.5, Agreement.Pearson([1, 2, 3], [1, 3, 2]), 1e-15);
        Assert.True(double.IsNaN(Agreement.Pearson([1, 1, 1], [1, 2, 3])));
    }

    [Fact]
    public void Spearman_uses_average_ranks_for_ties()
    {
        Assert.Equal([1.0, 2.5, 2.5, 4.0], Agreement.Ranks([10, 20, 20, 30]));
        Assert.Equal([3.0, 1.0, 3.0, 3.0], Agreement.Ranks([5, -1, 5, 5]));
        // a = [1,2,2,3] -> ranks [1,2.5,2.5,4]; b = [1,2,3,4] -> ranks [1,2,3,4].
        // centred: [-1.5,0,0,1.5] and [-1.5,-0.5,0.5,1.5]: sxy = 4.5, saa = 4.5, sbb = 5 -> 4.5 / sqrt(22.5)
        Assert.Equal(4.5 / Math.Sqrt(22.5), Agreement.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 1e-15);
        // monotone but nonlinear: Spearman 1, Pearson below 1
        double[] x = [0.1, 0.5, 1, 2, 4];
        double[] y = x.Select(Math.Exp).ToArray();
        Assert.Equal(1.0, Agreement.Spearman(x, y), 1e-15);
        Assert.True(Agreement.Pearson(x, y) < 0.99);
        Assert.Equal(-1.0, Agreement.Spearman(x, y.Select(v => -v).ToArray()), 1e-15);
    }

    [Fact]
    public void Sign_agreement_counts_zero_as_its_own_sign()
    {
        Assert.Equal(0.5, Agreement.SignAgreement([1, -1, 0, 2], [3, 1, 0, -2]), 1e-15);
        Assert.Equal(0.0, Agreement.SignAgreement([0.0], [1e-300]));
    }

    [Fact]
    public void Top_k_overlap_by_magnitude()
    {
        double[] a = [0.1, -5, 3, 0.2, -0.05];
        double[] b = [4, -6, 0.3, 0.1, 0.0];
        Assert.Equal([1, 2], Agreement.TopKIndices(a, 2)); // |-5|, |3|
        Assert.Equal([1, 0], Agreement.TopKIndices(b, 2));
        Assert.Equal(0.5, Agreement.TopKOverlap(a, b, 2), 1e-15);
        Assert.Equal(1.0, Agreement.TopKOverlap(a, b, 1), 1e-15);
        Assert.Equal(2.0 / 3.0, Agreement.TopKOverlap(a, b, 3), 1e-15); // {1,2,3} vs {1,0,2}
        Assert.Equal(1.0, Agreement.TopKOverlap(a, b, 5));
        Assert.Equal([0, 1], Agreement.TopKIndices([1, -1, 1], 2)); // ties by lower index
        Assert.Throws<ArgumentOutOfRangeException>(() => Agreement.TopKOverlap(a, b, 6));
    }

    [Fact]
    public void Compare_bundles_every_measure()
    {
        double[] a = [1, -2, 0.5, 3];
        double[] b = [1.1, -1.9, 0.4, 2.8];
        var r = Agreement.Compare(a, b, topK: 10);
        Assert.Equal(4, r.Length);
        Assert.Equal(4, r.TopK);
        Assert.Equal(Agreement.MaxAbsError(a, b), r.MaxAbsError);
        Assert.Equal(Agreement.MaxRelativeError(a, b), r.MaxRelativeError);
        Assert.Equal(Agreement.MaxErrorRelativeToScale(a, b), r.MaxErrorRelativeToScale);
        Assert.Equal(Agreement.L2Distance(a, b), r.L2Distance);
        Assert.Equal(Agreement.RelativeL2(a, b), r.RelativeL2);
        Assert.Equal(Agreement.Pearson(a, b), r.Pearson);
        Assert.Equal(1.0, r.Spearman, 1e-15);
        Assert.Equal(1.0, r.SignAgreement);
        Assert.Equal(1.0, r.TopKOverlap);
    }

    [Fact]
    public void Bad_input_is_rejected_with_a_clear_message()
    {
        var len = Assert.Throws<ArgumentException>(() => Agreement.Compare([1.0, 2.0], [1.0]));
        Assert.Contains("length", len.Message);
        var empty = Assert.Throws<ArgumentException>(() => Agreement.Pearson([], []));
        Assert.Contains("empty", empty.Message);
        var nan = Assert.Throws<ArgumentException>(() => Agreement.L2Distance([1.0, double.NaN], [1.0, 2.0]));
        Assert.Contains("NaN at index 1", nan.Message);
        Assert.Throws<ArgumentException>(() => Agreement.Spearman([1.0], [double.NaN]));
    }
}

public class SummaryStatisticsTests
{
    [Fact]
    public void Quartiles_interpolate_linearly()
    {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        var s = SummaryStatistics.Of([4.0, 1.0, 3.0, 2.0]);
        Assert.Equal(4, s.Count);
        Assert.Equal(1.0, s.Min);
        Assert.Equal(1.75, s.Q1, 1e-15);
        Assert.Equal(2.5, s.Median, 1e-15);
        Assert.Equal(3.25, s.Q3, 1e-15);
        Assert.Equal(4.0, s.Max);
        Assert.Equal(2.5, s.Mean, 1e-15);
        Assert.Equal([0, 2, 3, 1], s.WorstIndices);

        // [10, 0, 5, 7, 1]: sorted [0,1,5,7,10], h = 1, 2, 3 -> 1, 5, 7
        var t = SummaryStatistics.Of([10.0, 0.0, 5.0, 7.0, 1.0], worstCount: 2, higherIsWorse: false);
        Assert.Equal((1.0, 5.0, 7.0), (t.Q1, t.Median, t.Q3));
        Assert.Equal([1, 4], t.WorstIndices); // the smallest values
        Assert.Equal(4.6, t.Mean, 1e-15);
    }

    [Fact]
    public void Quantile_of_sorted_values()
    {
        double[] x = [0, 10, 20];
        Assert.Equal(5.0, SummaryStatistics.QuantileOfSorted(x, 0.25), 1e-15);
        Assert.Equal(0.0, SummaryStatistics.QuantileOfSorted(x, 0));
        Assert.Equal(20.0, SummaryStatistics.QuantileOfSorted(x, 1));
        Assert.Equal(7.0, SummaryStatistics.QuantileOfSorted([7.0], 0.75));
    }

    [Fact]
    public void NaN_values_are_counted_and_left_out()
    {
        var s = SummaryStatistics.Of([double.NaN, 3.0, 1.0, double.NaN], worstCount: 5);
        Assert.Equal(2, s.Count);
        Assert.Equal(2, s.NaNCount);
        Assert.Equal(2.0, s.Median);
        Assert.Equal([1, 2], s.WorstIndices);
        Assert.Throws<ArgumentException>(() => SummaryStatistics.Of([double.NaN]));
        Assert.Throws<ArgumentException>(() => SummaryStatistics.Of([]));
    }
}
