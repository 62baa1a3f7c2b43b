using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AttnXai.Common.Random;
namespace AttnXai.Explain.Perturbation;

/// <summary>
/// lime's text neighbourhood, as a deterministic stream of masks: the first row is the original (all kept); each
/// other row draws s uniformly in {1..d}, then s distinct features uniformly without replacement, which are removed.
/// Rows drawn in several chunks equal the rows drawn at once (the stream only depends on the seed).
/// </summary>
public sealed class LimeSampler
{
    private readonly Xoshiro256StarStar _rng;
    private readonly int[] _identity;  // 0..d-1
    private readonly int[] _perm;      // the current row's shuffle
    private bool _originalEmitted;

    /// <summary>A sampler for <paramref name="featureCount"/> features seeded by <paramref name="seed"/>.</summary>
    public LimeSampler(int featureCount, ulong seed)
    {
        if (featureCount < 1)
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "There must be at least one feature (word) to perturb.");
        FeatureCount = featureCount;
        _rng = new Xoshiro256StarStar(seed);
        _identity = new int[featureCount];
        for (int j = 0; j < featureCount; j++) _identity[j] = j;
        _perm = new int[featureCount];
    }

    /// <summary>d.</summary>
    public int FeatureCount { get; }

    /// <summary>Rows produced so far.</summary>
    public long RowsProduced { get; private set; }

    /// <summary>Fills <paramref name="rows"/> (a whole number of rows of d flags) with the next rows of the stream.</summary>
    public void Fill(Span<bool> rows) => Fill(rows, []);

    /// <summary>
    /// As <see cref="Fill(Span{bool})"/>, also writing each row's number of kept flags into <paramref name="keptCounts"/>
    /// (one per row, or empty to skip).
    /// </summary>
    internal void Fill(Span<bool> rows, Span<int> keptCounts)
    {
        int d = FeatureCount;
        if (rows.Length % d != 0) throw new ArgumentException($"The buffer length {rows.Length} is not a multiple of d = {d}.", nameof(rows));
        int count = rows.Length / d;
        if (!keptCounts.IsEmpty && keptCounts.Length != count)
            throw new ArgumentException($"{keptCounts.Length} kept counts for {count} rows.", nameof(keptCounts));
        for (int i = 0; i < count; i++)
        {
            var row = rows.Slice(i * d, d);
            row.Fill(true);
            int removed = 0;
            if (_originalEmitted) removed = RemoveRandomSubset(row);
            else _originalEmitted = true;
            if (!keptCounts.IsEmpty) keptCounts[i] = d - removed;
        }
        RowsProduced += count;
    }

    /// <summary>
    /// Draws s uniformly in {1..d}, then removes a uniform random s-subset from <paramref name="row"/>: the first s
    /// entries of a partial Fisher-Yates shuffle of 0..d-1 (restarted from the identity for every row). Returns s.
    /// </summary>
    private int RemoveRandomSubset(Span<bool> row)
    {
        int d = FeatureCount;
        _identity.CopyTo(_perm, 0);
        int s = 1 + _rng.NextInt(d);
        _rng.ShufflePrefix(_perm.AsSpan(), s);
        // Unchecked access: the permutation holds 0..d-1.
        ref int perm = ref MemoryMarshal.GetArrayDataReference(_perm);
        ref bool flags = ref MemoryMarshal.GetReference(row);
        for (int j = 0; j < s; j++) Unsafe.Add(ref flags, Unsafe.Add(ref perm, j)) = false;
        return s;
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

    /// <summary>
    /// pi of a row by its number of kept features k = 0..d (a row's weight depends on nothing else): entry k is
    /// Weight(Distance(k, d), width), the same value as computed row by row.
    /// </summary>
    internal static double[] WeightsByKeptCount(int featureCount, double kernelWidth)
    {
        var table = new double[featureCount + 1];
        for (int k = 0; k <= featureCount; k++) table[k] = Weight(Distance(k, featureCount), kernelWidth);
        return table;
    }
}
