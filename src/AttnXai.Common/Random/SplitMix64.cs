namespace AttnXai.Common.Random;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit counter advanced by the golden-ratio increment
/// 0x9E3779B97F4A7C15, each output being the counter passed through a fixed bit mixer. Implemented here so that
/// every shuffle and sample in AttnXai is a documented function of its seed on every platform and .NET version
/// (System.Random with a seed promises that only for its legacy algorithm). Two shapes: a generator object
/// (shuffles, permutations) and static functions of an explicit state (seed expansion, seed derivation).
/// </summary>
public sealed class SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Next(ref _state);

    /// <summary>Advances <paramref name="state"/> by the golden-ratio increment and returns the mixed value.</summary>
    public static ulong Next(ref ulong state)
    {
        state += Gamma;
        return Mix(state);
    }

    /// <summary>
    /// A uniform integer in [0, bound), without modulo bias: outputs below (2^64 mod bound) are rejected so that
    /// the accepted range is a whole multiple of bound, then the remainder is returned.
    /// </summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        ulong n = (ulong)bound;
        ulong threshold = (0UL - n) % n; // = 2^64 mod n
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return (int)(r % n);
        }
    }

    /// <summary>
    /// Fisher-Yates shuffle in place: for i from n-1 down to 1, swap item i with item NextInt(i + 1).
    /// </summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The permutation of 0..count-1 produced by <see cref="Shuffle{T}"/> on the identity.</summary>
    public int[] Permutation(int count)
    {
        var p = new int[count];
        for (int i = 0; i < count; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }

    /// <summary>The SplitMix64 output function (a bijection of 64-bit values).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A seed for a sub-stream (e.g. an epoch) derived from a base seed: Mix(seed + Gamma * (stream + 1)),
    /// i.e. the (stream + 1)-th output of a SplitMix64 started at seed.
    /// </summary>
    public static ulong Derive(ulong seed, ulong stream) => Mix(seed + Gamma * (stream + 1));

    /// <summary><see cref="Derive(ulong, ulong)"/> for a non-negative index (e.g. a LIME run); distinct indices give distinct seeds.</summary>
    public static ulong Derive(ulong seed, int index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "The index must be non-negative.");
        return Derive(seed, (ulong)index);
    }
}
