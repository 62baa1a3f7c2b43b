using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace AttnXai.Onnx;

/// <summary>
/// An ONNX graph indexed for walking: each value's producer and consumers, the initializers and the outputs of Constant
/// nodes (both "constants" here), with their contents as arrays. Errors are InvalidDataException naming the file.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _constantNodes = new(StringComparer.Ordinal);

    public OnnxGraph(string path, GraphProto graph)
    {
        Path = path;
        Graph = graph;
        foreach (var t in graph.Initializer) _initializers[t.Name] = t;
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) if (o.Length > 0) _producer[o] = n;
            foreach (var i in n.Input)
            {
                if (i.Length == 0) continue;
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                if (!list.Contains(n)) list.Add(n);
            }
            if (n.OpType == "Constant" && n.Output.Count == 1)
            {
                var value = n.Attribute.FirstOrDefault(a => a.Name == "value");
                if (value?.T is { } t) _constantNodes[n.Output[0]] = t;
            }
        }
    }

    /// <summary>The file the graph came from (for messages).</summary>
    public string Path { get; }
    public GraphProto Graph { get; }

    public InvalidDataException Error(string what) => new($"{Path}: {what}");

    public IReadOnlyList<NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var l) ? l : [];

    public NodeProto? Producer(string value) => _producer.GetValueOrDefault(value);

    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    public IEnumerable<TensorProto> Initializers => _initializers.Values;

    /// <summary>An initializer or a Constant node's value.</summary>
    public TensorProto? Constant(string name) => _initializers.GetValueOrDefault(name) ?? _constantNodes.GetValueOrDefault(name);

    /// <summary>The input of a two-input node other than <paramref name="value"/> (null when neither or both are it).</summary>
    public static string? Other(NodeProto node, string value)
    {
        if (node.Input.Count != 2) return null;
        if (node.Input[0] == value && node.Input[1] != value) return node.Input[1];
        if (node.Input[1] == value && node.Input[0] != value) return node.Input[0];
        return null;
    }

    public static long[] Shape(TensorProto t) => [.. t.Dims];

    /// <summary>A float initializer's values (float32, float16, bfloat16 or float64 stored), row-major.</summary>
    public float[] Floats(TensorProto t)
    {
        CheckInline(t);
        long count = t.Dims.Aggregate(1L, (a, b) => a * b);
        var type = (TensorProto.Types.DataType)t.DataType;
        var raw = t.RawData;
        float[] result;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                if (raw.Length > 0)
                {
                    CheckLength(t, raw, count, 4);
                    result = new float[count];
                    var span = raw.Span;
                    for (long i = 0; i < count; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(int)(i * 4)..]);
                }
                else result = [.. t.FloatData];
                break;
            case TensorProto.Types.DataType.Double:
                if (raw.Length > 0)
                {
                    CheckLength(t, raw, count, 8);
                    result = new float[count];
                    var span = raw.Span;
                    for (long i = 0; i < count; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(int)(i * 8)..]);
                }
                else result = t.DoubleData.Select(d => (float)d).ToArray();
                break;
            case TensorProto.Types.DataType.Float16:
            case TensorProto.Types.DataType.Bfloat16:
                {
                    // Stored as 16-bit patterns: raw bytes, or one per int32_data entry.
                    var bits = raw.Length > 0 ? ReadUInt16(t, raw, count) : t.Int32Data.Select(v => (ushort)v).ToArray();
                    result = type == TensorProto.Types.DataType.Float16
                        ? bits.Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray()
                        : bits.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
                    break;
                }
            default:
                throw Error($"initializer '{t.Name}' holds {type}, not floating-point numbers");
        }
        if (result.LongLength != count) throw Error($"initializer '{t.Name}' holds {result.LongLength} values for its shape [{string.Join(", ", t.Dims)}]");
        return result;
    }

    /// <summary>An integer constant's values (int64 or int32).</summary>
    public long[] Longs(TensorProto t)
    {
        CheckInline(t);
        long count = t.Dims.Aggregate(1L, (a, b) => a * b);
        var raw = t.RawData;
        long[] result = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Int64 when raw.Length > 0 => ReadLongs(t, raw, count, 8),
            TensorProto.Types.DataType.Int64 => [.. t.Int64Data],
            TensorProto.Types.DataType.Int32 when raw.Length > 0 => ReadLongs(t, raw, count, 4),
            TensorProto.Types.DataType.Int32 => t.Int32Data.Select(v => (long)v).ToArray(),
            var other => throw Error($"constant '{t.Name}' holds {other}, not integers"),
        };
        if (result.LongLength != count) throw Error($"constant '{t.Name}' holds {result.LongLength} values for its shape [{string.Join(", ", t.Dims)}]");
        return result;
    }

    /// <summary>A scalar (or one-element) float constant, or null when <paramref name="name"/> is not one.</summary>
    public double? ScalarFloat(string name)
    {
        var t = Constant(name);
        if (t is null || t.Dims.Aggregate(1L, (a, b) => a * b) != 1) return null;
        var type = (TensorProto.Types.DataType)t.DataType;
        if (type is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16))
            return null;
        return Floats(t)[0];
    }

    private void CheckInline(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw Error($"initializer '{t.Name}' is stored in an external data file, which is not supported (save the model with its weights inside)");
    }

    private void CheckLength(TensorProto t, ByteString raw, long count, int size)
    {
        if (raw.Length != count * size)
            throw Error($"initializer '{t.Name}' has {raw.Length} bytes for its shape [{string.Join(", ", t.Dims)}] of {size}-byte values");
    }

    private ushort[] ReadUInt16(TensorProto t, ByteString raw, long count)
    {
        CheckLength(t, raw, count, 2);
        var span = raw.Span;
        var result = new ushort[count];
        for (long i = 0; i < count; i++) result[i] = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(i * 2)..]);
        return result;
    }

    private long[] ReadLongs(TensorProto t, ByteString raw, long count, int size)
    {
        CheckLength(t, raw, count, size);
        var span = raw.Span;
        var result = new long[count];
        for (long i = 0; i < count; i++)
            result[i] = size == 8 ? BinaryPrimitives.ReadInt64LittleEndian(span[(int)(i * 8)..]) : BinaryPrimitives.ReadInt32LittleEndian(span[(int)(i * 4)..]);
        return result;
    }
}
