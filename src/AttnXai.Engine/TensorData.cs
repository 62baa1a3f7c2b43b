using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine;

/// <summary>Tensors to and from C# arrays, on any device and layout.</summary>
public static class TensorData
{
    /// <summary>The elements of <paramref name="t"/> in row-major order, copied to a new array, from any device and
    /// layout; converted to <typeparamref name="T"/> when the tensor holds another type (e.g. float32 to double).</summary>
    public static T[] ToArray<T>(this Tensor t) where T : unmanaged
    {
        var want = ScalarTypeOf<T>();
        if (t.dtype == want && t.device_type == DeviceType.CPU && t.is_contiguous()) return t.data<T>().ToArray();
        using var scope = NewDisposeScope();
        var c = t.to(want, CPU).contiguous();
        return c.data<T>().ToArray();
    }

    /// <summary>The tensor element type of a C# type.</summary>
    public static ScalarType ScalarTypeOf<T>() where T : unmanaged => default(T) switch
    {
        float => ScalarType.Float32,
        double => ScalarType.Float64,
        long => ScalarType.Int64,
        int => ScalarType.Int32,
        short => ScalarType.Int16,
        sbyte => ScalarType.Int8,
        byte => ScalarType.Byte,
        bool => ScalarType.Bool,
        _ => throw new NotSupportedException($"no tensor element type for {typeof(T).Name}"),
    };

    /// <summary>True when every element of a floating-point tensor is finite (integer tensors always are).</summary>
    public static bool AllFinite(this Tensor t)
    {
        if (!t.is_floating_point()) return true;
        using var scope = NewDisposeScope();
        return t.isfinite().all().item<bool>();
    }
}

/// <summary>Functions PyTorch has in torch.nn.functional that TorchSharp 0.107 lacks.</summary>
public static class Functional
{
    /// <summary>torch.nn.functional.embedding: the rows of <paramref name="weight"/> [D, d] picked by the int64
    /// indices <paramref name="input"/> (any shape), giving [...input.shape, d]; differentiable in the weight.</summary>
    public static Tensor embedding(Tensor input, Tensor weight)
    {
        using var scope = NewDisposeScope();
        using var flat = input.reshape(-1);
        var rows = weight.index_select(0, flat);
        return rows.view([.. input.shape, weight.size(1)]).MoveToOuterDisposeScope();
    }
}
