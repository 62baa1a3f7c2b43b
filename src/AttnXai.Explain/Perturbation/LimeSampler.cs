using AttnXai.Common.Random;
namespace AttnXai.Explain;

/// <summary>
/// lime's text neighbourhood, as a deterministic stream of masks: the first row is the original (all kept); each
/// other row draws s uniformly in {1..d}, then s distinct features uniformly without replacement, which are removed.
/// Rows drawn in several chunks equal the rows drawn at once (the stream only depends on the seed).
/// </summary>
public sealed class LimeSampler
{
    private readonly Xoshiro256StarStar _rng;
    private readonly int[] _perm;
    private bool _originalEmitted;

    /// <summary>A sampler for <paramref name="featureCount"/> features seeded by <paramref name="seed"/>.</summary>
    public LimeSampler(int featureCount, ulong seed)
    {
        if (featureCount < 1)
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "There must be at least one feature (word) to perturb.");
        FeatureCount = featureCount;
        _rng = new Xoshiro256StarStar(seed);
        _perm = new int[featureCount];
    }

    /// <summary>d.</summary>
    public int FeatureCount { get; }

    /// <summary>Rows produced so far.</summary>
    public long RowsProduced { get; private set; }

    /// <summary>Fills <paramref name="rows"/> (a whole number of rows of d flags) with the next rows of the stream.</summary>
    public void Fill(Span<bool> rows)
    {
        int d = FeatureCount;
        if (rows.Length % d != 0) throw new ArgumentException($"The buffer length {rows.Length} is not a multiple of d = {d}.", nameof(rows));
        int count = rows.Length / d;
        for (int i = 0; i < count; i++)
        {
            var row = rows.Slice(i * d, d);
            row.Fill(true);
            if (!_originalEmitted) { _originalEmitted = true; continue; }
            int s = 1 + _rng.NextInt(d);
            for (int j = 0; j < d; j++) _perm[j] = j;
            // Partial Fisher-Yates: the first s entries become a uniform random s-subset.
            for (int j = 0; j < s; j++)
            {
                int r = j + _rng.NextInt(d - j);
                (_perm[j], _perm[r]) = (_perm[r], _perm[j]);
                row[_perm[j]] = false;
            }
        }
        RowsProduced += count;
    }

    /// <summary>The first <paramref name="count"/> rows for (d, seed), row-major.</summary>
    public static bool[] Sample(int featureCount, int count, ulong seed)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The sample count must be non-negative.");
        var sampler = new LimeSampler(featureCount, seed);
        long size = (long)count * featureCount;
        if (size > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} samples of {featureCount} features need {size} flags, more than one array holds.");
        var rows = new bool[size];
        sampler.Fill(rows);
        return rows;
    }
}

/// <summary>lime's distance and kernel for text.</summary>
public static class LimeKernel
{
    /// <summary>lime's default kernel width for text (nu = 25).</summary>
    public const double DefaultWidth = 25;

    /// <summary>
    /// D = 100 * cosine distance between a row with <paramref name="kept"/> of <paramref name="featureCount"/> features
    /// kept and the all-ones row = 100 (1 - sqrt(k/d)); 100 when nothing is kept (scikit-learn's convention for a
    /// zero vector).
    /// </summary>
    public static double Distance(int kept, int featureCount)
    {
        if (featureCount < 1 || kept < 0 || kept > featureCount)
            throw new ArgumentOutOfRangeException(nameof(kept), $"Need 0 <= kept <= d and d >= 1 (kept = {kept}, d = {featureCount}).");
        if (kept == 0) return 100;
        return 100 * (1 - Math.Sqrt((double)kept / featureCount));
    }

    /// <summary>pi = sqrt(exp(-D^2 / nu^2)), computed in that order as lime does.</summary>
    public static double Weight(double distance, double kernelWidth = DefaultWidth)
        => Math.Sqrt(Math.Exp(-(distance * distance) / (kernelWidth * kernelWidth)));

    /// <summary>The number of kept flags in a row.</summary>
    public static int KeptCount(ReadOnlySpan<bool> row)
    {
        return row.Count(true);
    }
}
