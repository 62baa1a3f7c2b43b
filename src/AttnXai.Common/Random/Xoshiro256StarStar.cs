using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AttnXai.Common.Random;

/// <summary>
/// xoshiro256** pseudo-random generator (Blackman and Vigna), seeded through SplitMix64. Implemented here so that
/// sampled perturbations are bit-identical across .NET versions and platforms (System.Random makes no such promise).
/// Not thread-safe; not cryptographic.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private State _state;

    /// <summary>Creates a generator whose 256-bit state is expanded from <paramref name="seed"/> with SplitMix64.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _state = new State(SplitMix64.Next(ref x), SplitMix64.Next(ref x), SplitMix64.Next(ref x), SplitMix64.Next(ref x));
        // SplitMix64 cannot return four zeros in a row, so the state is never all zero.
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64() => _state.Next();

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    /// <remarks>Inlined into callers' loops.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int bound)
    {
        if (bound <= 0) ThrowNonPositiveBound(bound);
        return State.NextInt(ref _state, (ulong)bound);
    }

    /// <summary>
    /// The first <paramref name="count"/> steps of a Fisher-Yates shuffle of <paramref name="items"/>: for
    /// j = 0..count-1, items[j] is swapped with items[j + NextInt(items.Length - j)] (the same draws as those calls, in
    /// that order), so items[0..count) becomes a uniform random count-subset of the items in random order. The state
    /// stays in registers meanwhile (a loop of NextInt calls reloads and stores it for every draw).
    /// </summary>
    public void ShufflePrefix<T>(Span<T> items, int count)
    {
        int n = items.Length;
        if ((uint)count > (uint)n) throw new ArgumentOutOfRangeException(nameof(count), count, $"a prefix of at most {n} items");
        var state = _state;
        for (int j = 0; j < count; j++)
        {
            int r = j + State.NextInt(ref state, (ulong)(n - j));
            (items[j], items[r]) = (items[r], items[j]);
        }
        _state = state;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    [DoesNotReturn]
    private static void ThrowNonPositiveBound(int bound) =>
        throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");

    /// <summary>The 256-bit state and its step, as a value (a local copy lives in registers).</summary>
    private struct State(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        private ulong _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Next()
        {
            ulong result = RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }

        /// <summary>
        /// Lemire's method: the high word of next * n, redrawn while the low word is below 2^64 mod n (rare). The
        /// state is only used here and in <see cref="Next"/>, both inlined, so a local state stays in registers.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int NextInt(ref State state, ulong n)
        {
            ulong high = Math.BigMul(state.Next(), n, out ulong low);
            if (low < n)
            {
                ulong threshold = (0UL - n) % n;
                while (low < threshold)
                    high = Math.BigMul(state.Next(), n, out low);
            }
            return (int)high;
        }

        private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
    }
}
