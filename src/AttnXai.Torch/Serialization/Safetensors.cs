using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AttnXai.Common.IO;

namespace AttnXai.Torch;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data that
/// follows) plus an optional "__metadata__" string map, then the raw little-endian, row-major tensor data.
/// </summary>
public static class Safetensors
{
    private const long MaxHeader = 100L * 1024 * 1024;

    private static readonly Dictionary<ScalarType, string> Codes = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    /// <summary>One tensor as stored: element type, shape and raw bytes.</summary>
    public sealed record Entry(ScalarType DType, long[] Shape, byte[] Data);

    /// <summary>Writes tensors (on any device) and metadata to path, atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SaveEntries(path, tensors.ToDictionary(kv => kv.Key, kv => ToEntry(kv.Value)), metadata);

    public static void SaveEntries(string path, IReadOnlyDictionary<string, Entry> entries, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, s => Write(s, entries, metadata));

    public static void Write(Stream stream, IReadOnlyDictionary<string, Entry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = entries.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                if (name == "__metadata__") throw new ArgumentException("'__metadata__' cannot name a tensor");
                var e = entries[name];
                long expected = e.Shape.Aggregate(1L, (a, b) => a * b) * ScalarTypes.ElementSize(e.DType);
                if (expected != e.Data.LongLength) throw new ArgumentException($"tensor '{name}': {e.Data.LongLength} bytes for shape [{string.Join(", ", e.Shape)}] of {e.DType}");
                w.WriteStartObject(name);
                w.WriteString("dtype", Codes[e.DType]);
                w.WriteStartArray("shape");
                foreach (var s in e.Shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Data.LongLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Data.LongLength;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        var header = json.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(header);
        for (int k = header.Length; k < padded; k++) stream.WriteByte((byte)' ');
        foreach (var name in names) stream.Write(entries[name].Data);
    }

    /// <summary>Reads every tensor of a file into CPU tensors (owned by the caller's dispose scope, if any).</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        var entries = ReadEntries(path, out metadata);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, e) in entries) result[name] = FromEntry(e);
        return result;
    }

    public static Dictionary<string, Entry> ReadEntries(string path, out Dictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var s = File.OpenRead(path);
        try { return Read(s, out metadata); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static Dictionary<string, Entry> Read(Stream stream, out Dictionary<string, string> metadata)
    {
        Span<byte> len = stackalloc byte[8];
        if (stream.ReadAtLeast(len, 8, throwOnEndOfStream: false) != 8) throw new InvalidDataException("not a safetensors file: shorter than its 8-byte header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        long total = stream.CanSeek ? stream.Length : long.MaxValue;
        if (headerLen == 0 || headerLen > MaxHeader || (long)headerLen > total - 8)
            throw new InvalidDataException($"corrupt safetensors header length {headerLen} (file is {total} bytes)");
        var header = new byte[headerLen];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length) throw new InvalidDataException("truncated safetensors header");

        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var specs = new List<(string Name, ScalarType DType, long[] Shape, long Begin, long End)>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("safetensors header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new InvalidDataException($"metadata '{m.Name}' is not a string");
                    continue;
                }
                var v = prop.Value;
                var code = v.GetProperty("dtype").GetString();
                var dtype = Codes.FirstOrDefault(kv => kv.Value == code);
                if (dtype.Value is null) throw new InvalidDataException($"tensor '{prop.Name}' has unsupported dtype '{code}'");
                var shape = v.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"tensor '{prop.Name}' has a negative dimension");
                var offs = v.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (offs.Length != 2) throw new InvalidDataException($"tensor '{prop.Name}': data_offsets must have 2 entries");
                // JSON allows a key twice; a reader would silently keep one of the two tensors.
                if (specs.Any(sp => sp.Name == prop.Name)) throw new InvalidDataException($"the header names tensor '{prop.Name}' twice");
                specs.Add((prop.Name, dtype.Key, shape, offs[0], offs[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"corrupt safetensors header: {e.Message}", e);
        }

        var data = new MemoryStream();
        stream.CopyTo(data);
        var bytes = data.GetBuffer();
        long dataLen = data.Length;
        // The data must be exactly covered by the tensors, in order, without gaps or overlaps.
        long expectedBegin = 0;
        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var sp in specs.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            long need;
            try { need = checked(sp.Shape.Aggregate(1L, (a, b) => checked(a * b)) * ScalarTypes.ElementSize(sp.DType)); }
            catch (OverflowException) { throw new InvalidDataException($"tensor '{sp.Name}': shape [{string.Join(", ", sp.Shape)}] of {sp.DType} is too large"); }
            if (sp.Begin != expectedBegin || sp.End < sp.Begin || sp.End - sp.Begin != need || sp.End > dataLen)
                throw new InvalidDataException($"tensor '{sp.Name}': data_offsets [{sp.Begin}, {sp.End}] do not fit its shape [{string.Join(", ", sp.Shape)}] of {sp.DType} ({need} bytes) within {dataLen} data bytes");
            result[sp.Name] = new Entry(sp.DType, sp.Shape, bytes.AsSpan((int)sp.Begin, (int)need).ToArray());
            expectedBegin = sp.End;
        }
        if (expectedBegin != dataLen) throw new InvalidDataException($"{dataLen - expectedBegin} bytes of data after the last tensor");
        return result;
    }

    public static Entry ToEntry(Tensor t)
    {
        var dtype = t.dtype;
        byte[] data = dtype switch
        {
            ScalarType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            ScalarType.Int64 => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
            ScalarType.Int32 => MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan()).ToArray(),
            ScalarType.Int16 => MemoryMarshal.AsBytes(t.ToArray<short>().AsSpan()).ToArray(),
            ScalarType.Int8 => MemoryMarshal.AsBytes(t.ToArray<sbyte>().AsSpan()).ToArray(),
            ScalarType.Byte => t.ToArray<byte>(),
            ScalarType.Bool => MemoryMarshal.AsBytes(t.ToArray<bool>().AsSpan()).ToArray(),
            // No C# element type for these: reinterpret the 16-bit patterns as int16 (no conversion).
            ScalarType.Float16 or ScalarType.BFloat16 => HalfBits(t),
            _ => throw new NotSupportedException($"saving {dtype} tensors is not supported"),
        };
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        return new Entry(dtype, t.shape, data);
    }

    public static Tensor FromEntry(Entry e) => e.DType switch
    {
        ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(e.Data).ToArray(), e.Shape),
        ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(e.Data).ToArray(), e.Shape),
        ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(e.Data).ToArray(), e.Shape),
        ScalarType.Int32 => torch.tensor(MemoryMarshal.Cast<byte, int>(e.Data).ToArray(), e.Shape),
        ScalarType.Int16 => torch.tensor(MemoryMarshal.Cast<byte, short>(e.Data).ToArray(), e.Shape),
        ScalarType.Int8 => torch.tensor(MemoryMarshal.Cast<byte, sbyte>(e.Data).ToArray(), e.Shape),
        ScalarType.Byte => torch.tensor(e.Data, e.Shape),
        ScalarType.Bool => torch.tensor(e.Data.Select(b => b != 0).ToArray(), e.Shape),
        ScalarType.Float16 or ScalarType.BFloat16 => FromHalfBits(e),
        _ => throw new NotSupportedException($"loading {e.DType} tensors is not supported"),
    };

    private static byte[] HalfBits(Tensor t)
    {
        using var bits = Interop.Op.Get("aten::view", "dtype").Call(t, ScalarType.Int16);
        return MemoryMarshal.AsBytes(bits.ToArray<short>().AsSpan()).ToArray();
    }

    private static Tensor FromHalfBits(Entry e)
    {
        using var bits = torch.tensor(MemoryMarshal.Cast<byte, short>(e.Data).ToArray(), e.Shape);
        return Interop.Op.Get("aten::view", "dtype").Call(bits, e.DType);
    }
}
