using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

/// <summary>
/// The safetensors format, from its specification: 8-byte little-endian unsigned header length N, then N bytes of
/// UTF-8 JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}} (may be
/// padded with trailing spaces), then the data buffer; offsets are relative to the start of the data buffer.
/// </summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnxai-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    // ---- files built by hand ---------------------------------------------------------------------------------

    private static byte[] File(string json, byte[] data, int padTo = 1)
    {
        var header = Encoding.UTF8.GetBytes(json);
        int n = (header.Length + padTo - 1) / padTo * padTo;
        var file = new byte[8 + n + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)n);
        header.CopyTo(file, 8);
        for (int k = header.Length; k < n; k++) file[8 + k] = (byte)' ';
        data.CopyTo(file, 8 + n);
        return file;
    }

    private static byte[] Le(params float[] v) { var b = new byte[v.Length * 4]; for (int k = 0; k < v.Length; k++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * k), v[k]); return b; }
    private static byte[] Le(params double[] v) { var b = new byte[v.Length * 8]; for (int k = 0; k < v.Length; k++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * k), v[k]); return b; }
    private static byte[] Le(params long[] v) { var b = new byte[v.Length * 8]; for (int k = 0; k < v.Length; k++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 * k), v[k]); return b; }
    private static byte[] Le(params int[] v) { var b = new byte[v.Length * 4]; for (int k = 0; k < v.Length; k++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * k), v[k]); return b; }
    private static byte[] Le(params short[] v) { var b = new byte[v.Length * 2]; for (int k = 0; k < v.Length; k++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * k), v[k]); return b; }
    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void Reads_a_file_built_byte_by_byte_from_the_specification()
    {
        // Tensors listed in the header in a different order from their data, whitespace in the JSON, a 0-d tensor,
        // an empty tensor, and a header padded with spaces to a multiple of 8.
        var data = Concat(
            Le(1.5f, -2f, 0.25f, 8f, 1e-3f, float.MaxValue), // "w": F32 [2, 3]       bytes 0..24
            Le(-7L, long.MaxValue),                          // "ids": I64 [2]        bytes 24..40
            Le(Math.PI),                                     // "scalar": F64 []     bytes 40..48
            [1, 0, 1],                                       // "mask": BOOL [3, 1]   bytes 48..51
            Le(-3, 4),                                       // "i32": I32 [2]        bytes 51..59
            Le((short)-2),                                   // "i16": I16 [1]        bytes 59..61
            [0xFF, 0x80],                                    // "u8": U8 [2]; "i8": I8 [] at 63
            [0x80]);                                         // "i8" = -128           bytes 63..64
        const string json = """
            { "mask": {"dtype": "BOOL", "shape": [3, 1], "data_offsets": [48, 51]},
              "__metadata__": {"format": "pt", "note": "hand made"},
              "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [64, 64]},
              "scalar": {"dtype": "F64", "shape": [], "data_offsets": [40, 48]},
              "ids": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
              "i32": {"dtype": "I32", "shape": [2], "data_offsets": [51, 59]},
              "i16": {"dtype": "I16", "shape": [1], "data_offsets": [59, 61]},
              "u8": {"dtype": "U8", "shape": [2], "data_offsets": [61, 63]},
              "i8": {"dtype": "I8", "shape": [], "data_offsets": [63, 64]} }
            """;
        var path = PathOf("hand.safetensors");
        System.IO.File.WriteAllBytes(path, File(json, data, padTo: 8));

        using var scope = torch.NewDisposeScope();
        var t = Safetensors.Load(path, out var meta);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "hand made" }, meta);
        Assert.Equal(new[] { "empty", "i16", "i32", "i8", "ids", "mask", "scalar", "u8", "w" }, t.Keys.Order());
        Assert.Equal(ScalarType.Float32, t["w"].dtype);
        T.Shape(t["w"], 2, 3);
        Assert.Equal(new[] { 1.5f, -2f, 0.25f, 8f, 1e-3f, float.MaxValue }, t["w"].ToArray<float>());
        Assert.Equal(new[] { -7L, long.MaxValue }, t["ids"].ToArray<long>());
        Assert.Equal(0, t["scalar"].dim());
        Assert.Equal(Math.PI, t["scalar"].item<double>());
        Assert.Equal(ScalarType.Bool, t["mask"].dtype);
        T.Shape(t["mask"], 3, 1);
        Assert.Equal(new[] { true, false, true }, t["mask"].ToArray<bool>());
        Assert.Equal(new[] { -3, 4 }, t["i32"].ToArray<int>());
        Assert.Equal(ScalarType.Int16, t["i16"].dtype);
        Assert.Equal(-2L, t["i16"].item<long>());
        Assert.Equal(ScalarType.Byte, t["u8"].dtype);
        Assert.Equal(new byte[] { 255, 128 }, t["u8"].ToArray<byte>());
        Assert.Equal(ScalarType.Int8, t["i8"].dtype);
        Assert.Equal(-128L, t["i8"].item<long>());
        T.Shape(t["empty"], 0, 4);
    }

    [Fact]
    public void Reads_an_unpadded_header_without_metadata()
    {
        var path = PathOf("plain.safetensors");
        System.IO.File.WriteAllBytes(path, File("""{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""", Le(0.5, -0.5)));
        using var scope = torch.NewDisposeScope();
        var t = Safetensors.Load(path, out var meta);
        Assert.Empty(meta);
        Assert.Equal(new[] { 0.5, -0.5 }, t["x"].ToArray<double>());
    }

    [Fact]
    public void Reads_half_precision_bits()
    {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.0 = 0x3F80, 0.5 = 0x3F00
        var path = PathOf("half.safetensors");
        var json = """{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""";
        System.IO.File.WriteAllBytes(path, File(json, Le(unchecked((short)0x3C00), unchecked((short)0xC000), (short)0x3F80, (short)0x3F00)));
        using var scope = torch.NewDisposeScope();
        var t = Safetensors.Load(path);
        Assert.Equal(ScalarType.Float16, t["h"].dtype);
        Assert.Equal(new[] { 1.0, -2.0 }, t["h"].ToArray<double>());
        Assert.Equal(ScalarType.BFloat16, t["b"].dtype);
        Assert.Equal(new[] { 1.0, 0.5 }, t["b"].ToArray<double>());
    }

    // ---- round trips -----------------------------------------------------------------------------------------

    [Fact]
    public void Everything_written_is_read_back_identically()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f64"] = torch.tensor(new[] { Math.E, double.NegativeInfinity, double.NaN, -0.0, double.Epsilon, 1e300 }, [3, 2]),
            ["f32"] = torch.tensor(new[] { 1.25f, float.NaN, -3e-38f }, [3]),
            ["f16"] = torch.tensor(new[] { 1.0, -2.5, 65504, Math.Pow(2, -14) }).to(ScalarType.Float16),
            ["bf16"] = torch.tensor(new[] { 1.0, -2.5, 1.0 / 256, -65536 }).to(ScalarType.BFloat16),
            ["i64"] = torch.tensor(new[] { long.MinValue, 0, long.MaxValue }),
            ["i32"] = torch.tensor(new[] { int.MinValue, int.MaxValue }),
            ["i16"] = torch.tensor(new short[] { short.MinValue, 1, short.MaxValue }),
            ["i8"] = torch.tensor(new sbyte[] { sbyte.MinValue, -1, sbyte.MaxValue }, [1, 3]),
            ["u8"] = torch.tensor(new byte[] { 0, 1, 255 }),
            ["bool"] = torch.tensor(new[] { true, false, false, true }, [2, 2]),
            ["scalar"] = torch.tensor(new[] { 42.0f }, []),
            ["empty"] = torch.zeros([2, 0, 3]),
            ["transposed"] = torch.tensor(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]).t(), // non-contiguous
            ["dotted.name/with unicode é"] = torch.ones([1]),
        };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["quote\"and\\slash"] = "é\n" };
        var path = PathOf("rt.safetensors");
        Safetensors.Save(path, tensors, meta);
        var back = Safetensors.Load(path, out var meta2);
        Assert.Equal(meta, meta2);
        Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            var b = back[name];
            Assert.Equal(t.dtype, b.dtype);
            Assert.Equal(t.shape, b.shape);
            Assert.Equal(Raw(t), Raw(b));
        }
        T.Close([1, 4, 2, 5, 3, 6], back["transposed"], 0);
        // all exactly representable in 16 bits
        T.Close([1, -2.5, 65504, Math.Pow(2, -14)], back["f16"], 0);
        T.Close([1, -2.5, 1.0 / 256, -65536], back["bf16"], 0);
    }

    /// <summary>The raw bytes of the elements, row-major (floats compared bit for bit, so NaN and -0 count).</summary>
    private static byte[] Raw(Tensor t) => Safetensors.ToEntry(t).Data;

    [Fact]
    public void Writer_output_matches_the_specification_when_parsed_by_hand()
    {
        using var scope = torch.NewDisposeScope();
        var path = PathOf("spec.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>
        {
            ["b"] = torch.tensor(new[] { 1L, -2L }),
            ["a"] = torch.tensor(new[] { 0.5f, -1f, 3f }, [3, 1]),
            ["c"] = torch.tensor(new[] { true }, []),
        }, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = System.IO.File.ReadAllBytes(path);

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8); // the data buffer starts 8-byte aligned
        var header = bytes.AsSpan(8, (int)n);
        var text = Encoding.UTF8.GetString(header);
        var trimmed = text.TrimEnd(' ');
        Assert.True(text.Length - trimmed.Length < 8, "at most 7 padding spaces");
        Assert.EndsWith("}", trimmed);
        Assert.StartsWith("{", text);

        using var doc = JsonDocument.Parse(trimmed);
        var root = doc.RootElement;
        Assert.Equal("v", root.GetProperty("__metadata__").GetProperty("k").GetString());
        var data = bytes[(8 + (int)n)..];
        void Expect(string name, string dtype, long[] shape, byte[] content)
        {
            var e = root.GetProperty(name);
            Assert.Equal(dtype, e.GetProperty("dtype").GetString());
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));
            var offs = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            Assert.Equal(2, offs.Length);
            Assert.Equal(content, data[offs[0]..offs[1]].ToArray());
        }
        Expect("a", "F32", [3, 1], Le(0.5f, -1f, 3f));
        Expect("b", "I64", [2], Le(1L, -2L));
        Expect("c", "BOOL", [], [1]);
        // the tensors exactly cover the data buffer
        Assert.Equal(12 + 16 + 1, data.Length);
        Assert.Equal(4, root.EnumerateObject().Count());
    }

    [Fact]
    public void Writer_rejects_a_tensor_named_metadata_and_inconsistent_entries()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Safetensors.Save(PathOf("x"), new Dictionary<string, Tensor> { ["__metadata__"] = torch.ones([1]) }));
        Assert.Throws<ArgumentException>(() => Safetensors.SaveEntries(PathOf("y"),
            new Dictionary<string, Safetensors.Entry> { ["a"] = new(ScalarType.Float32, [2], new byte[4]) }));
        Assert.False(System.IO.File.Exists(PathOf("x")));
        Assert.False(System.IO.File.Exists(PathOf("y")));
    }

    [Fact]
    public void Missing_file_is_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => Safetensors.Load(PathOf("nope.safetensors")));
    }

    // ---- corrupt files ---------------------------------------------------------------------------------------

    private const string Good = """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    public static TheoryData<string, byte[], string> Corrupt()
    {
        var good = File(Good, Le(1f, 2f));
        byte[] WithLength(ulong n) { var b = (byte[])good.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(b, n); return b; }
        string Entry(string dtype, string shape, string offsets) => "{\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
        return new TheoryData<string, byte[], string>
        {
            { "empty file", [], "shorter than its 8-byte header length" },
            { "5 bytes", [1, 2, 3, 4, 5], "shorter than its 8-byte header length" },
            { "truncated header", good[..20], "header length" },
            { "truncated data", good[..^3], "do not fit" },
            { "extra data", Concat(good, [0, 0, 0, 0]), "4 bytes of data after the last tensor" },
            { "header length zero", WithLength(0), "header length 0" },
            { "header length too large", WithLength(1UL << 40), "header length 1099511627776" },
            { "header length 2^64-1", WithLength(ulong.MaxValue), "header length 18446744073709551615" },
            { "bad JSON", File("""{"x":{"dtype":"F32",""", Le(1f)), "corrupt safetensors header" },
            { "not UTF-8 JSON", File("\u00ff\u00fe", []), "corrupt safetensors header" },
            { "JSON array", File("[1, 2]", []), "not a JSON object" },
            { "entry not an object", File("""{"x": 3}""", []), "corrupt safetensors header" },
            { "missing dtype", File("""{"x":{"shape":[1],"data_offsets":[0,4]}}""", Le(1f)), "corrupt safetensors header" },
            { "unknown dtype", File(Entry("F8_E4M3", "[2]", "[0,2]"), [1, 2]), "unsupported dtype 'F8_E4M3'" },
            { "dtype not a string", File(Entry("F32", "[2]", "[0,8]").Replace("\"F32\"", "32"), Le(1f, 2f)), "corrupt safetensors header" },
            { "offsets past the data", File(Entry("F32", "[2]", "[0,8]"), Le(1f)), "data_offsets [0, 8] do not fit" },
            { "offsets too short for the shape", File(Entry("F32", "[3]", "[0,8]"), Le(1f, 2f)), "do not fit its shape [3]" },
            { "offsets reversed", File(Entry("F32", "[0]", "[8,0]"), Le(1f, 2f)), "do not fit" },
            { "offsets not starting at 0", File(Entry("F32", "[1]", "[4,8]"), Le(1f, 2f)), "do not fit" },
            { "negative offsets", File(Entry("F32", "[2]", "[-8,0]"), Le(1f, 2f)), "do not fit" },
            { "three offsets", File(Entry("F32", "[2]", "[0,4,8]"), Le(1f, 2f)), "data_offsets must have 2 entries" },
            { "offsets not integers", File(Entry("F32", "[2]", "[0,8.5]"), Le(1f, 2f)), "corrupt safetensors header" },
            { "negative dimension", File(Entry("F32", "[-2]", "[0,8]"), Le(1f, 2f)), "negative dimension" },
            { "shape overflowing 64 bits", File(Entry("F32", "[4294967296,4294967296]", "[0,0]"), []), "too large" },
            { "byte size overflowing 64 bits", File(Entry("F64", "[2305843009213693952]", "[0,0]"), []), "too large" },
            { "overlapping tensors", File("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Le(1f, 2f)), "'y'" },
            { "a tensor named twice", File("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Le(1f, 2f)), "names tensor 'x' twice" },
            { "metadata not a string", File("""{"__metadata__":{"a":1}}""", []), "metadata 'a' is not a string" },
        };
    }

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void Corrupt_files_raise_invalid_data_naming_the_problem(string what, byte[] file, string expected)
    {
        var path = PathOf("corrupt.safetensors");
        System.IO.File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message); // the file is named
        Assert.False(string.IsNullOrEmpty(what));
        using var s = new MemoryStream(file);
        Assert.Throws<InvalidDataException>(() => Safetensors.Read(s, out _));
    }

    [Fact]
    public void Good_file_of_the_corrupt_cases_is_accepted()
    {
        // guards the theory above: its starting point is valid
        var path = PathOf("good.safetensors");
        System.IO.File.WriteAllBytes(path, File(Good, Le(1f, 2f)));
        using var scope = torch.NewDisposeScope();
        Assert.Equal(new[] { 1f, 2f }, Safetensors.Load(path)["x"].ToArray<float>());
    }
}
