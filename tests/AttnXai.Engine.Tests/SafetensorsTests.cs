using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine.Tests;

/// <summary>SafetensorsFile: PyBridge's reader and writer behind a checked header and atomic writes. The layout is checked
/// by the test's own reading of the bytes as the format's specification describes them.</summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnxai-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Round_trip_of_every_type_and_the_bytes_follow_the_specification()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["w.f32"] = tensor(new float[] { 1.5f, -2.25f, 3f, float.Epsilon, 0f, 7f }, [2, 3]),
            ["a.f64"] = tensor(new double[] { Math.PI, -1e300 }, [2]),
            ["i64"] = tensor(new long[] { long.MinValue, 5, long.MaxValue }, [3]),
            ["i32"] = tensor(new int[] { -7, 9 }, [1, 2]),
            ["b"] = tensor(new bool[] { true, false, true }, [3]),
            ["u8"] = tensor(new byte[] { 0, 255 }, [2]),
            ["scalar"] = tensor(42L),
            ["empty"] = zeros([0, 4]),
        };
        SafetensorsFile.Save(P("x.safetensors"), tensors);
        Assert.Single(Directory.GetFiles(_dir));   // no temporary left behind

        // The specification: u64 LE header length, JSON header, data in the order of the offsets.
        var bytes = File.ReadAllBytes(P("x.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var f32 = doc.RootElement.GetProperty("w.f32");
        Assert.Equal("F32", f32.GetProperty("dtype").GetString());
        Assert.Equal([2L, 3L], f32.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var off = f32.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var raw = bytes.AsSpan((int)(8 + n + off[0]), (int)(off[1] - off[0]));
        Assert.Equal(new[] { 1.5f, -2.25f, 3f, float.Epsilon, 0f, 7f }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray());
        Assert.Equal("I64", doc.RootElement.GetProperty("i64").GetProperty("dtype").GetString());
        Assert.Equal("BOOL", doc.RootElement.GetProperty("b").GetProperty("dtype").GetString());

        var back = SafetensorsFile.Load(P("x.safetensors"));
        Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, back[name].dtype);
            Assert.Equal(t.shape, back[name].shape);
            Assert.True(t.eq(back[name]).all().ToBoolean(), name);
        }
        // Same tensors, same bytes.
        SafetensorsFile.Save(P("y.safetensors"), tensors);
        Assert.Equal(bytes, File.ReadAllBytes(P("y.safetensors")));
    }

    /// <summary>A file as AttnXai's own writer made them before TorchSharp: names sorted, a __metadata__ entry and the
    /// header padded with spaces to 8 bytes. Written here byte by byte.</summary>
    [Fact]
    public void Files_in_the_earlier_layout_with_metadata_and_padding_load()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(data, 0.25);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), -4);
        var header = """{"__metadata__":{"format":"attnxai.attention-classifier"},"W":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""";
        var h = Encoding.UTF8.GetBytes(header);
        int padded = (h.Length + 7) / 8 * 8;
        using (var s = File.Create(P("old.safetensors")))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(h);
            for (int i = h.Length; i < padded; i++) s.WriteByte((byte)' ');
            s.Write(data);
        }
        using var scope = NewDisposeScope();
        var t = Assert.Single(SafetensorsFile.Load(P("old.safetensors")));
        Assert.Equal("W", t.Key);
        Assert.Equal([0.25, -4.0], t.Value.ToArray<double>());
    }

    public static TheoryData<string, byte[], string> Corrupt()
    {
        static byte[] File(string header, int dataBytes, ulong? length = null)
        {
            var h = Encoding.UTF8.GetBytes(header);
            var b = new byte[8 + h.Length + dataBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(b, length ?? (ulong)h.Length);
            h.CopyTo(b, 8);
            return b;
        }
        const string ok = """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        return new()
        {
            { "short", [1, 2, 3], "shorter than its 8-byte header length" },
            { "huge length", File(ok, 8, ulong.MaxValue), "header length" },
            { "length past the end", File(ok, 8, 10_000), "header length" },
            { "not JSON", File("{\"x\": [", 8), "corrupt safetensors header" },
            { "array header", File("[1,2]", 8), "not a JSON object" },
            { "unknown dtype", File("""{"x":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}""", 8), "unsupported dtype 'Q7'" },
            { "negative dimension", File("""{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "negative dimension" },
            { "offsets past the data", File("""{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8), "do not fit" },
            { "shape and offsets disagree", File("""{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "do not fit" },
            { "overlap", File("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "do not fit" },
            { "duplicate name", File("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "names 'x' twice" },
            { "trailing bytes", File(ok, 12), "bytes of data after the last tensor" },
            { "absurd shape", File("""{"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8), "too large" },
        };
    }

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void Corrupt_files_are_refused_with_the_file_and_the_reason(string name, byte[] content, string expected)
    {
        var path = P(name.Replace(' ', '_') + ".safetensors");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Missing_file_and_non_finite_values()
    {
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Load(P("none.safetensors")));
        using var scope = NewDisposeScope();
        SafetensorsFile.Save(P("nan.safetensors"), new Dictionary<string, Tensor>
        {
            ["good"] = ones([3]),
            ["bad"] = tensor(new float[] { 1, float.NaN }, [2]),
        });
        Assert.Equal(2, SafetensorsFile.Load(P("nan.safetensors")).Count);   // allowed unless asked
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Load(P("nan.safetensors"), requireFinite: true));
        Assert.Contains("'bad'", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file()
    {
        using var scope = NewDisposeScope();
        SafetensorsFile.Save(P("keep.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones([2]) });
        var before = File.ReadAllBytes(P("keep.safetensors"));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Save(P("keep.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = ones([1]) }));
        Assert.Equal(before, File.ReadAllBytes(P("keep.safetensors")));
        Assert.Single(Directory.GetFiles(_dir));
    }
}
