using System.Buffers.Binary;
using System.Text.Json;
using AttnXai.Common.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine;

/// <summary>
/// Hugging Face's safetensors format (an 8-byte little-endian header length N, N bytes of JSON naming each tensor's
/// dtype, shape and data_offsets, then the raw little-endian data), read and written by TorchSharp.PyBridge. This class
/// adds what PyBridge leaves to the caller: atomic writes (a complete file or none), a checked header (lengths, offsets,
/// shapes, duplicate names: a corrupt file is refused with its name and the reason instead of reading past the end or
/// allocating absurd tensors), non-finite values refused where asked, and one exception type for callers.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeader = 100L * 1024 * 1024;

    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Writes CPU copies of <paramref name="tensors"/> to <paramref name="path"/> atomically (a temporary file
    /// renamed into place). Names are written in ordinal order, so the same tensors give the same bytes.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' cannot name a tensor");
            ordered[name] = tensors[name];
        }
        using var scope = NewDisposeScope();
        foreach (var name in ordered.Keys.ToList())
        {
            var t = ordered[name].detach();
            if (t.device_type != DeviceType.CPU) t = t.cpu();
            ordered[name] = t.contiguous();
        }
        AtomicFile.Write(path, s => TorchSharp.PyBridge.Safetensors.SaveStateDict(s, ordered, leaveOpen: true));
    }

    /// <summary>Reads every tensor of <paramref name="path"/> as CPU tensors (in the caller's dispose scope, if any).
    /// Throws FileNotFoundException or InvalidDataException naming the file and what is wrong; with
    /// <paramref name="requireFinite"/>, a floating-point tensor holding NaN or infinity is an error naming it.</summary>
    public static Dictionary<string, Tensor> Load(string path, bool requireFinite = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var stream = File.OpenRead(path);
        try { CheckHeader(stream); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        stream.Position = 0;
        var loaded = TorchSharp.PyBridge.Safetensors.LoadStateDict(stream, leaveOpen: true);
        var result = new Dictionary<string, Tensor>(loaded, StringComparer.Ordinal);
        if (requireFinite)
        {
            foreach (var (name, t) in result.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                if (!t.AllFinite())
                {
                    foreach (var x in result.Values) x.Dispose();
                    throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values (a diverged training?)");
                }
        }
        return result;
    }

    /// <summary>The tensors a file names, with dtype code and shape, after checking the whole layout: the header length
    /// fits the file, the header is a JSON object without a name given twice, every dtype is known, shapes are
    /// non-negative, and the data offsets tile the data exactly (in order, no gap, no overlap, nothing after).</summary>
    public static IReadOnlyList<(string Name, string DType, long[] Shape)> CheckHeader(Stream stream)
    {
        Span<byte> len = stackalloc byte[8];
        if (stream.ReadAtLeast(len, 8, throwOnEndOfStream: false) != 8)
            throw new InvalidDataException("not a safetensors file: shorter than its 8-byte header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        long total = stream.Length;
        if (headerLen < 2 || headerLen > MaxHeader || (long)headerLen > total - 8)
            throw new InvalidDataException($"corrupt safetensors header length {headerLen} (the file has {total} bytes)");
        var header = new byte[headerLen];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length)
            throw new InvalidDataException("truncated safetensors header");
        long dataLen = total - 8 - (long)headerLen;

        var specs = new List<(string Name, string DType, long[] Shape, long Begin, long End)>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the safetensors header is not a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                // JSON allows a key twice; a reader would silently keep one of the two.
                if (!seen.Add(prop.Name)) throw new InvalidDataException($"the header names '{prop.Name}' twice");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                        if (m.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"metadata '{m.Name}' is not a string");
                    continue;
                }
                var v = prop.Value;
                if (v.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"tensor '{prop.Name}' is not described by an object");
                var code = v.GetProperty("dtype").GetString() ?? "";
                if (!ElementSizes.ContainsKey(code)) throw new InvalidDataException($"tensor '{prop.Name}' has unsupported dtype '{code}'");
                var shape = v.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"tensor '{prop.Name}' has a negative dimension");
                var offs = v.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (offs.Length != 2) throw new InvalidDataException($"tensor '{prop.Name}': data_offsets must have 2 entries");
                specs.Add((prop.Name, code, shape, offs[0], offs[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"corrupt safetensors header: {e.Message}", e);
        }

        long expectedBegin = 0;
        foreach (var sp in specs.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            long need;
            try { need = checked(sp.Shape.Aggregate(1L, (a, b) => checked(a * b)) * ElementSizes[sp.DType]); }
            catch (OverflowException) { throw new InvalidDataException($"tensor '{sp.Name}': shape [{string.Join(", ", sp.Shape)}] of {sp.DType} is too large"); }
            if (sp.Begin != expectedBegin || sp.End < sp.Begin || sp.End - sp.Begin != need || sp.End > dataLen)
                throw new InvalidDataException($"tensor '{sp.Name}': data_offsets [{sp.Begin}, {sp.End}] do not fit its shape [{string.Join(", ", sp.Shape)}] of {sp.DType} ({need} bytes) within {dataLen} data bytes");
            expectedBegin = sp.End;
        }
        if (expectedBegin != dataLen) throw new InvalidDataException($"{dataLen - expectedBegin} bytes of data after the last tensor");
        return specs.Select(s => (s.Name, s.DType, s.Shape)).ToList();
    }
}
