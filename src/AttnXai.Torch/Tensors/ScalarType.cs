namespace AttnXai.Torch;

/// <summary>Element types, with libtorch's (c10::ScalarType) numbering.</summary>
public enum ScalarType : sbyte
{
    Byte = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

internal static class ScalarTypes
{
    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unsupported element type"),
    };

    public static ScalarType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? ScalarType.Float32 :
        typeof(T) == typeof(double) ? ScalarType.Float64 :
        typeof(T) == typeof(long) ? ScalarType.Int64 :
        typeof(T) == typeof(int) ? ScalarType.Int32 :
        typeof(T) == typeof(bool) ? ScalarType.Bool :
        typeof(T) == typeof(byte) ? ScalarType.Byte :
        typeof(T) == typeof(short) ? ScalarType.Int16 :
        typeof(T) == typeof(sbyte) ? ScalarType.Int8 :
        throw new NotSupportedException($"no tensor element type for {typeof(T).Name}");

    public static bool IsFloatingPoint(ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;
}
