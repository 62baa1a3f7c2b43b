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
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose 256-bit state is expanded from <paramref name="seed"/> with SplitMix64.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64.Next(ref x);
        _s1 = SplitMix64.Next(ref x);
        _s2 = SplitMix64.Next(ref x);
        _s3 = SplitMix64.Next(ref x);
        // SplitMix64 cannot return four zeros in a row, so the state is never all zero.
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
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

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    /// <remarks>Inlined into callers' loops (samplers draw millions); the rare rejection step is a separate call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int bound)
    {
        if (bound <= 0) ThrowNonPositiveBound(bound);
        ulong n = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), n, out ulong low);
        if (low < n) high = Reject(n, high, low);
        return (int)high;
    }

    /// <summary>Lemire's rejection step: redraws while the low word falls below 2^64 mod n.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong Reject(ulong n, ulong high, ulong low)
    {
        ulong threshold = (0UL - n) % n;
        while (low < threshold)
            high = Math.BigMul(NextUInt64(), n, out low);
        return high;
    }

    [DoesNotReturn]
    private static void ThrowNonPositiveBound(int bound) =>
        throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
