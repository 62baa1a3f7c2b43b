using System.Security.Cryptography;
using System.Text;
using AttnXai.Common.Sharding;

/// <summary>Shards (I/N, their slices of the documents), the manifest and the checks and concatenation of a merge.</summary>
public sealed class ShardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnxai-shards-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("3/8", 3, 8)]
    [InlineData(" 8/8 ", 8, 8)]
    public void I_of_N_parses(string text, int i, int n) => Assert.Equal((i, n), (ShardSpec.Parse(text).Index, ShardSpec.Parse(text).Count));

    [Theory]
    [InlineData("3", "'3' is not I/N")]
    [InlineData("1/2/3", "'1/2/3' is not I/N")]
    [InlineData("a/4", "'a/4' is not I/N")]
    [InlineData("-1/4", "'-1/4' is not I/N")]
    [InlineData("1.5/4", "'1.5/4' is not I/N")]
    [InlineData("", "'' is not I/N")]
    [InlineData("0/4", "0/4: shards are numbered from 1")]
    [InlineData("5/4", "5/4: there is no shard 5 of 4 (I must be at most N)")]
    [InlineData("0/0", "0/0: the number of shards N must be at least 1")]
    public void Malformed_or_impossible_shards_are_refused_naming_the_text(string text, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => ShardSpec.Parse(text)).Message);

    [Theory]
    [InlineData(10, 1, 3)]
    [InlineData(10, 3, 3)]
    [InlineData(1000, 250, 4)]
    [InlineData(1001, 250, 5)]
    [InlineData(7, 2, 4)]
    [InlineData(7, 7, 1)]
    public void The_slices_are_contiguous_whole_chunks_in_order_that_cover_every_document_once(int documents, int chunk, int shards)
    {
        int next = 0;
        for (int i = 1; i <= shards; i++)
        {
            var r = new ShardSpec(i, shards).Slice(documents, chunk);
            Assert.Equal(next, r.Start.Value);
            Assert.True(r.End.Value > r.Start.Value, $"shard {i}/{shards} is empty");
            Assert.True(r.Start.Value % chunk == 0 && (r.End.Value % chunk == 0 || r.End.Value == documents), $"{r} cuts a chunk");
            next = r.End.Value;
        }
        Assert.Equal(documents, next);
        Assert.Equal(new Range(0, documents), ShardSpec.Whole.Slice(documents, chunk));
    }

    [Fact]
    public void Shards_are_as_even_as_whole_chunks_allow()
    {
        // 10 chunks over 3 shards: 3, 3, 4 (floor((I-1) C / N) to floor(I C / N)).
        Assert.Equal([(0, 3), (3, 6), (6, 10)], Enumerable.Range(1, 3).Select(i => new ShardSpec(i, 3).Slice(10)).Select(r => (r.Start.Value, r.End.Value)));
        // 5 chunks of 250 (the last of 1): 1, 2, 2 chunks.
        Assert.Equal([(0, 250), (250, 750), (750, 1001)], Enumerable.Range(1, 3).Select(i => new ShardSpec(i, 3).Slice(1001, 250)).Select(r => (r.Start.Value, r.End.Value)));
    }

    [Fact]
    public void More_shards_than_chunks_is_refused_naming_the_documents()
    {
        new ShardSpec(3, 10).CheckFits(10, 1, "the 10 documents of --count");
        var e = Assert.Throws<ArgumentException>(() => new ShardSpec(3, 12).CheckFits(10, 1, "the 10 documents of --count"));
        Assert.Equal("--shard 3/12: 12 shards for the 10 documents of --count: use at most 10 shards", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ShardSpec(1, 5).CheckFits(1000, 250, "1000 documents"));
        Assert.Equal("--shard 1/5: 5 shards for 1000 documents, which make 4 chunks of 250 (a shard computes whole chunks): use at most 4 shards or a smaller chunk size", e.Message);
    }

    [Fact]
    public void The_fingerprint_is_the_hash_of_the_named_files_hashes()
    {
        File.WriteAllText(Path.Combine(_dir, "a.txt"), "alpha");
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "beta");
        static string H(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
        string expected = "sha256:" + H($"a.txt {H("alpha")}\nb.txt {H("beta")}\n");
        Assert.Equal(expected, ShardManifest.Fingerprint(_dir, ["a.txt", "b.txt"]));
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "betA");
        Assert.NotEqual(expected, ShardManifest.Fingerprint(_dir, ["a.txt", "b.txt"]));
        Assert.Contains("c.txt: no such file", Assert.Throws<FileNotFoundException>(() => ShardManifest.Fingerprint(_dir, ["c.txt"])).Message);
    }

    // ---- parts and merge -------------------------------------------------------------------------------------------

    /// <summary>Writes part folder NAME: shard i/n of 10 documents, rows "k,value" for its documents, and its manifest.</summary>
    private string Part(string name, int i, int n, string model = "sha256:m", string seed = "1", string study = "demo", int documents = 10)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        var spec = new ShardSpec(i, n);
        var r = spec.Slice(documents);
        var csv = new StringBuilder("doc,value\n");
        for (int k = r.Start.Value; k < r.End.Value; k++) csv.Append($"{k},\"v,{k}\"\n");
        File.WriteAllText(Path.Combine(dir, "rows.csv"), csv.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "parts"));
        File.WriteAllText(Path.Combine(dir, "parts", $"chunk{i}.txt"), $"chunk {i}");
        new ShardManifest
        {
            Study = study, Shard = i, Shards = n, Documents = documents, First = r.Start.Value, End = r.End.Value, Model = "/m/" + model, ModelFingerprint = model,
            Settings = new() { ["seed"] = seed, ["docs"] = documents.ToString() }, Files = ["rows.csv", $"parts/chunk{i}.txt"],
            Seconds = new() { ["lime"] = i },
        }.Write(dir);
        return dir;
    }

    [Fact]
    public void A_complete_set_in_any_order_concatenates_rows_in_document_order_and_sums_the_times()
    {
        var parts = new[] { Part("c", 3, 3), Part("a", 1, 3), Part("b", 2, 3) };
        var set = ShardSet.Open(parts);
        Assert.Equal([1, 2, 3], set.Parts.Select(p => p.Manifest.Shard));
        var merged = Path.Combine(_dir, "out", "rows.csv");
        set.ConcatenateCsv("rows.csv", merged);
        Assert.Equal("doc,value\n" + string.Concat(Enumerable.Range(0, 10).Select(k => $"{k},\"v,{k}\"\n")), File.ReadAllText(merged));
        Assert.Equal(6.0, set.Seconds["lime"]);
        Assert.Equal(3, set.Gather("parts", Path.Combine(_dir, "out")).Count);
        Assert.Equal("chunk 2", File.ReadAllText(Path.Combine(_dir, "out", "parts", "chunk2.txt")));
        var m = ShardManifest.Read(parts[0]);
        Assert.Equal((3, 3, 6, 10), (m.Shard, m.Shards, m.First, m.End));
        Assert.Equal("1", m.Settings["seed"]);
    }

    [Fact]
    public void A_missing_shard_is_refused_by_name()
    {
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([Part("a", 1, 3), Part("c", 3, 3)]));
        Assert.Equal("shard 2/3 is missing (the parts given are 1/3 and 3/3)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([Part("b", 2, 4)]));
        Assert.Equal("shards 1/4, 3/4 and 4/4 are missing (the parts given are 2/4)", e.Message);
    }

    [Fact]
    public void A_duplicated_shard_is_refused_by_name()
    {
        var a = Part("a", 1, 2);
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, Part("b", 2, 2), Part("b-again", 2, 2)]));
        Assert.Equal($"shard 2/2 is given twice: {_dir}/b and {_dir}/b-again", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, a]));
        Assert.Equal($"shard 1/2 is given twice: {a} and {a}", e.Message);
    }

    [Fact]
    public void A_foreign_shard_is_refused_by_name_with_what_differs()
    {
        var a = Part("a", 1, 3);
        var c = Part("c", 3, 3);
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, Part("other-model", 2, 3, model: "sha256:x"), c]));
        Assert.Equal($"{_dir}/other-model (shard 2/3) is not a part of this run: computed with another model (/m/sha256:x, sha256:x; sha256:m in {a})", e.Message);
        // The run is what most parts agree on, even when the foreign part is given first.
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([Part("other-seed", 2, 3, seed: "2"), a, c]));
        Assert.Equal($"{_dir}/other-seed (shard 2/3) is not a part of this run: other settings (seed 2, 1 in {a})", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, Part("other-study", 2, 3, study: "explain"), c]));
        Assert.Equal($"{_dir}/other-study (shard 2/3) is not a part of this run: a shard of explain, not of demo as {a}", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, Part("of-four", 2, 4), c]));
        Assert.Equal($"{_dir}/of-four (shard 2/4) is not a part of this run: one of 4 shards, not 3 as {a}", e.Message);
    }

    [Fact]
    public void An_unfinished_or_damaged_part_is_refused_by_name()
    {
        var a = Part("a", 1, 2);
        var b = Part("b", 2, 2);
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, empty]));
        Assert.Equal($"{empty}: no shard.json: not the part folder of a finished shard (a shard writes it last)", e.Message);
        Assert.Equal($"{_dir}/nothing: no such folder", Assert.Throws<DirectoryNotFoundException>(() => ShardSet.Open([a, Path.Combine(_dir, "nothing")])).Message);
        File.Delete(Path.Combine(b, "parts", "chunk2.txt"));
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, b]));
        Assert.Equal($"{b} (shard 2/2): its part file parts/chunk2.txt is missing", e.Message);
        File.WriteAllText(Path.Combine(b, "shard.json"), "{ not json");
        Assert.StartsWith($"{b}/shard.json: not a shard manifest", Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, b])).Message);
    }

    [Fact]
    public void Parts_whose_headers_differ_are_not_concatenated()
    {
        var a = Part("a", 1, 2);
        var b = Part("b", 2, 2);
        File.WriteAllText(Path.Combine(b, "rows.csv"), "doc,other\n5,x\n");
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([a, b]).ConcatenateCsv("rows.csv", Path.Combine(_dir, "out.csv")));
        Assert.Equal($"{b} (shard 2/2): rows.csv has another header than in {a}", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "out.csv")));
    }
}
