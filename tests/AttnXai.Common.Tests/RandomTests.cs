using AttnXai.Common.Random;

namespace AttnXai.Common.Tests;

public class SplitMix64Tests
{
    [Fact]
    public void MatchesTheReferenceSequenceForSeedZero()
    {
        // The first outputs of SplitMix64 started at 0 (the published reference values).
        var r = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, r.NextUInt64());
    }

    [Fact]
    public void BoundedIntsStayInRangeAndPermutationsArePermutations()
    {
        var r = new SplitMix64(7);
        for (int i = 0; i < 10_000; i++) Assert.InRange(r.NextInt(3), 0, 2);
        var p = new SplitMix64(7).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
    }
}

public class PrngTests
{
    [Fact]
    public void SplitMix64_matches_the_published_reference_sequence_for_seed_zero()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64.Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64.Next(ref state));
    }

    [Fact]
    public void NextInt_is_in_range_and_roughly_uniform()
    {
        var rng = new Xoshiro256StarStar(123);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[rng.NextInt(7)]++;
        double chi2 = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);
        Assert.True(chi2 < 22.5, $"chi2 = {chi2} (6 dof, p = 0.001 critical value 22.46)");
    }

    [Fact]
    public void ShufflePrefix_swaps_with_the_same_draws_as_NextInt_calls_and_leaves_the_stream_where_they_would()
    {
        var fast = new Xoshiro256StarStar(77);
        var plain = new Xoshiro256StarStar(77);
        for (int round = 0; round < 200; round++)
        {
            int n = 1 + round % 40, count = round % (n + 1);
            var items = Enumerable.Range(0, n).ToArray();
            var expected = Enumerable.Range(0, n).ToArray();
            fast.ShufflePrefix(items.AsSpan(), count);
            for (int j = 0; j < count; j++)
            {
                int r = j + plain.NextInt(n - j);
                (expected[j], expected[r]) = (expected[r], expected[j]);
            }
            Assert.Equal(expected, items);
            Assert.Equal(plain.NextUInt64(), fast.NextUInt64());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => fast.ShufflePrefix(new int[3].AsSpan(), 4));
    }

    [Fact]
    public void Derived_seeds_are_distinct_and_deterministic()
    {
        var seeds = Enumerable.Range(0, 100).Select(r => SplitMix64.Derive(5, r)).ToArray();
        Assert.Equal(100, seeds.Distinct().Count());
        Assert.Equal(seeds[3], SplitMix64.Derive(5, 3));
        Assert.NotEqual(SplitMix64.Derive(5, 0), SplitMix64.Derive(6, 0));
    }
}
