using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttnXai.Explain.Perturbation;

/// <summary>
/// Float64 arithmetic with rows of flags (mask rows, true = 1 = kept) without converting them. When
/// Vector&lt;double&gt; has 4 lanes (AVX2), every 4 flags become a vector of 0s and 1s read from a 16-entry table: the
/// 4 flag bytes, read as one little-endian uint, are packed into a 4-bit index by one multiplication
/// (byte i lands on bit 24 + i). Otherwise, and for the last d mod 4 flags, flag by flag.
/// </summary>
internal static class BinaryRows
{
    private static readonly bool Packed = Vector<double>.Count == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian;
    private static readonly Vector<double>[] FlagVectors = Packed ? BuildFlagVectors() : [];

    private static Vector<double>[] BuildFlagVectors()
    {
        var table = new Vector<double>[16];
        Span<double> lanes = stackalloc double[4];
        for (int index = 0; index < 16; index++)
        {
            for (int lane = 0; lane < 4; lane++) lanes[lane] = (index >> lane) & 1;
            table[index] = new Vector<double>(lanes);
        }
        return table;
    }

    private static readonly Vector<ulong>[] FlagMasks = Packed ? BuildFlagMasks() : [];

    private static Vector<ulong>[] BuildFlagMasks()
    {
        var table = new Vector<ulong>[16];
        Span<ulong> lanes = stackalloc ulong[4];
        for (int index = 0; index < 16; index++)
        {
            for (int lane = 0; lane < 4; lane++) lanes[lane] = ((index >> lane) & 1) == 1 ? ulong.MaxValue : 0;
            table[index] = new Vector<ulong>(lanes);
        }
        return table;
    }

    /// <summary>The 4-bit index of flags j..j+3 (flag i on bit i).</summary>
    private static int Nibble(ref byte row, int j) => (int)((Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref row, j)) * 0x01020408u) >> 24);

    /// <summary>1 for true, 0 for false, without a branch.</summary>
    public static int Flag(bool b) => Unsafe.As<bool, byte>(ref b);

    /// <summary>Flags j..j+3 of a row as a vector of 0s and 1s (Packed only).</summary>
    private static Vector<double> FourFlags(ref byte row, int j) => FlagVectors[Nibble(ref row, j)];

    /// <summary>acc += v x, x the row's flags as 0/1.</summary>
    public static void AddScaled(ReadOnlySpan<bool> row, double v, Span<double> acc)
    {
        int d = row.Length, j = 0;
        if (acc.Length < d) throw new ArgumentException("the accumulator is shorter than the row", nameof(acc));
        if (Packed)
        {
            ref byte flags = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(row));
            ref double a = ref MemoryMarshal.GetReference(acc);
            var scale = new Vector<double>(v);
            for (; j + 4 <= d; j += 4)
                (Vector.LoadUnsafe(ref a, (nuint)j) + scale * FourFlags(ref flags, j)).StoreUnsafe(ref a, (nuint)j);
        }
        for (; j < d; j++) acc[j] += v * Flag(row[j]);
    }

    /// <summary>beta . x, x the row's flags as 0/1.</summary>
    public static double Dot(ReadOnlySpan<bool> row, ReadOnlySpan<double> beta)
    {
        int d = row.Length, j = 0;
        if (beta.Length < d) throw new ArgumentException("the coefficients are shorter than the row", nameof(beta));
        double s = 0;
        if (Packed)
        {
            ref byte flags = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(row));
            ref double b = ref MemoryMarshal.GetReference(beta);
            var sum = Vector<double>.Zero;
            for (; j + 4 <= d; j += 4) sum += Vector.LoadUnsafe(ref b, (nuint)j) * FourFlags(ref flags, j);
            s = Vector.Sum(sum);
        }
        for (; j < d; j++) s += beta[j] * Flag(row[j]);
        return s;
    }

    /// <summary>words[j] |= bit for every kept flag j of the row.</summary>
    public static void OrBit(ReadOnlySpan<bool> row, ulong bit, Span<ulong> words)
    {
        int d = row.Length, j = 0;
        if (words.Length < d) throw new ArgumentException("fewer words than flags", nameof(words));
        if (Packed)
        {
            ref byte flags = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(row));
            ref ulong w = ref MemoryMarshal.GetReference(words);
            var bits = new Vector<ulong>(bit);
            for (; j + 4 <= d; j += 4)
                (Vector.LoadUnsafe(ref w, (nuint)j) | (bits & FlagMasks[Nibble(ref flags, j)])).StoreUnsafe(ref w, (nuint)j);
        }
        for (; j < d; j++) words[j] |= bit * (ulong)Flag(row[j]);
    }
}
