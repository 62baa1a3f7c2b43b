using System.IO.Compression;
using System.Text;
using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;

namespace AttnXai.Data.Tests;

public class ImdbReaderTests
{
    private static void AssertSmall(ImdbDataset d)
    {
        Assert.Equal(
            ["train/neg/0_3.txt", "train/neg/5_4.txt", "train/neg/11_1.txt", "train/pos/1_10.txt", "train/pos/2_9.txt"],
            d.Train.Select(r => r.RelativePath));
        Assert.Equal(["test/neg/1_1.txt", "test/neg/3_2.txt", "test/pos/10_7.txt"], d.Test.Select(r => r.RelativePath));
        var r0 = d.Train[0];
        Assert.Equal((ImdbSplit.Train, 0, 0, 3, "Bad plot; bad ending"), (r0.Split, r0.Label, r0.Id, r0.Rating, r0.Text));
        var pos = d.Train[4];
        Assert.Equal((1, 2, 9), (pos.Label, pos.Id, pos.Rating));
        Assert.Equal("", d.Train[1].Text); // the empty review is kept
        Assert.Equal(0, d.InvalidUtf8Count);
    }

    [Fact]
    public void ReadsGzipArchiveSkippingNonReviewsInCanonicalOrder()
    {
        using var dir = new TempDir();
        var path = dir.Write("aclImdb_v1.tar.gz", Archives.Build(Archives.SmallImdb()));
        AssertSmall(ImdbReader.Read(path));
    }

    [Fact]
    public void ReadsPlainTarAndArchiveOrderDoesNotMatter()
    {
        using var dir = new TempDir();
        var entries = Archives.SmallImdb();
        entries.Reverse();
        var path = dir.Write("imdb.tar", Archives.Build(entries, gzip: false));
        AssertSmall(ImdbReader.Read(path));
    }

    [Fact]
    public void ReadsFolderLayoutGivenTheAclImdbFolderOrItsParent()
    {
        using var dir = new TempDir();
        foreach (var (name, content) in Archives.SmallImdb())
            if (content != null) dir.Write(name, content);
        AssertSmall(ImdbReader.Read(dir.Path));
        AssertSmall(ImdbReader.Read(dir.File("aclImdb")));
    }

    [Fact]
    public void EmptyReviewEncodesToClsAndPadding()
    {
        using var dir = new TempDir();
        var path = dir.Write("a.tar.gz", Archives.Build([Archives.Text("aclImdb/train/neg/7_2.txt", ""), Archives.Text("aclImdb/train/pos/8_9.txt", "x")]));
        var d = ImdbReader.Read(path);
        var review = Assert.Single(d.Train, r => r.Label == 0);
        Assert.Equal("", review.Text);
        var vocab = Vocabulary.FromTokens(["[cls]", "UNK", "x"]);
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, vocab, length: 4).Encode(review.Text);
        Assert.True(enc.IsEmpty);
        Assert.Equal([0L, 1, 1, 1], enc.Ids);
    }

    [Fact]
    public void TruncatedGzipIsReportedWithTheFileName()
    {
        using var dir = new TempDir();
        var full = Archives.Build(Archives.SmallImdb());
        foreach (int cut in new[] { full.Length - 3, full.Length - 30, full.Length / 2 })
        {
            var path = dir.Write($"cut{cut}.tar.gz", full[..cut]);
            var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
            Assert.Equal(path, e.File);
            Assert.StartsWith(path, e.Message);
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void NotAnArchiveIsReported()
    {
        using var dir = new TempDir();
        var path = dir.Write("aclImdb_v1.tar.gz", "this is not an archive at all");
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("not a gzip-compressed tar archive", e.Message);
    }

    [Fact]
    public void CorruptGzipDataIsReported()
    {
        using var dir = new TempDir();
        var bytes = Archives.Build(Archives.SmallImdb());
        for (int i = 20; i < bytes.Length - 20; i += 7) bytes[i] ^= 0x5a;
        var path = dir.Write("bad.tar.gz", bytes);
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Matches("corrupt|truncated", e.Message);
    }

    [Theory]
    [InlineData("aclImdb/train/pos/notes.md")]
    [InlineData("aclImdb/train/pos/12.txt")]
    [InlineData("aclImdb/test/neg/3_x.txt")]
    [InlineData("aclImdb/test/neg/3_11.txt")]
    [InlineData("aclImdb/train/neg/sub/1_2.txt")]
    public void UnexpectedNameInAReviewFolderIsReportedWithTheEntry(string name)
    {
        using var dir = new TempDir();
        var entries = Archives.SmallImdb();
        entries.Insert(5, Archives.Text(name, "text"));
        var path = dir.Write("aclImdb_v1.tar.gz", Archives.Build(entries));
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains($"entry '{name}'", e.Message);
        Assert.Contains("review folder", e.Message + e.Problem);
    }

    [Fact]
    public void UnexpectedFileInAReviewFolderOnDiskIsReported()
    {
        using var dir = new TempDir();
        dir.Write("aclImdb/train/pos/1_9.txt", "good");
        var bad = dir.Write("aclImdb/train/pos/.DS_Store", "x");
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(dir.Path));
        Assert.StartsWith(bad, e.Message);
        Assert.Contains("unexpected name", e.Message);
    }

    [Fact]
    public void DuplicateReviewIsReported()
    {
        using var dir = new TempDir();
        var path = dir.Write("d.tar.gz", Archives.Build(
            [Archives.Text("aclImdb/train/pos/1_9.txt", "a"), Archives.Text("./aclImdb/train/pos/1_9.txt", "b")]));
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("same split, label and id", e.Message);
    }

    [Fact]
    public void NonUtf8ByteIsRejectedByDefaultNamingEntryAndOffset()
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes("caf? ok").ToArray();
        bytes[3] = 0xE9; // Latin-1 é: not valid UTF-8
        var path = dir.Write("u.tar.gz", Archives.Build([("aclImdb/test/pos/4_8.txt", bytes)]));
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("entry 'aclImdb/test/pos/4_8.txt'", e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Contains("0xE9", e.Message);
        Assert.Contains("offset 3", e.Message);
    }

    /// <summary>A part with one label only (test/neg missing, or empty) is an incomplete copy: refused, naming it.</summary>
    [Fact]
    public void A_part_with_one_label_is_refused_naming_the_missing_folder()
    {
        using var dir = new TempDir();
        var archive = dir.Write("one.tar.gz", Archives.Build([Archives.Text("aclImdb/train/pos/1_9.txt", "good"), Archives.Text("aclImdb/train/neg/1_1.txt", "bad"),
            Archives.Text("aclImdb/test/pos/2_8.txt", "great"), Archives.Text("aclImdb/test/pos/3_8.txt", "fine")]));
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(archive));
        Assert.Contains("test/neg holds no review while test/pos holds 2: an incomplete copy of IMDB", e.Message);
        var folder = Path.Combine(dir.Path, "aclImdb");
        foreach (var (name, text) in new[] { ("train/pos/1_9.txt", "good"), ("train/neg/1_1.txt", "bad"), ("test/neg/2_2.txt", "awful") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllText(Path.Combine(folder, name), text);
        }
        Directory.CreateDirectory(Path.Combine(folder, "test", "pos"));   // present, empty
        Assert.Contains("test/pos holds no review while test/neg holds 1", Assert.Throws<DataException>(() => ImdbReader.Read(folder)).Message);
        // A copy without a test part at all is a training copy: read as before.
        Directory.Delete(Path.Combine(folder, "test"), recursive: true);
        Assert.Equal(2, ImdbReader.Read(folder).Train.Count);
    }

    [Fact]
    public void NonUtf8ByteCanBeReplacedAndCounted()
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes("caf? ok ?").ToArray();
        bytes[3] = 0xE9;
        bytes[^1] = 0xFF;
        var path = dir.Write("u.tar.gz", Archives.Build([("aclImdb/test/pos/4_8.txt", bytes), Archives.Text("aclImdb/test/pos/5_8.txt", "fine é"), Archives.Text("aclImdb/test/neg/6_2.txt", "dull")]));
        var d = ImdbReader.Read(path, new ImdbReadOptions { InvalidUtf8 = InvalidUtf8Handling.Replace });
        var pos = d.Test.Where(r => r.Label == 1).ToArray();
        Assert.Equal("caf\uFFFD ok \uFFFD", pos[0].Text);
        Assert.Equal(2, pos[0].InvalidUtf8Count);
        Assert.Equal("fine é", pos[1].Text);
        Assert.Equal(2, d.InvalidUtf8Count);
    }

    [Fact]
    public void NonUtf8ByteInAFolderNamesTheFile()
    {
        using var dir = new TempDir();
        var bad = dir.Write("aclImdb/train/neg/3_1.txt", new byte[] { (byte)'a', 0xC3 });
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(dir.Path));
        Assert.StartsWith(bad, e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Fact]
    public void MissingPathAndEmptyArchiveAreReported()
    {
        using var dir = new TempDir();
        var missing = dir.File("nope.tar.gz");
        var e = Assert.Throws<DataException>(() => ImdbReader.Read(missing));
        Assert.StartsWith(missing, e.Message);
        Assert.Contains("no such file or folder", e.Message);

        var onlyExtras = dir.Write("x.tar.gz", Archives.Build([Archives.Text("aclImdb/README", "r")]));
        e = Assert.Throws<DataException>(() => ImdbReader.Read(onlyExtras));
        Assert.StartsWith(onlyExtras, e.Message);
        Assert.Contains("no labelled review", e.Message);
    }

    [SharedDataFact]
    public void ReadsTheRealArchive()
    {
        var path = RepoPaths.SharedImdbArchive()!;
        var d = ImdbReader.Read(path);
        Assert.Equal(25_000, d.Train.Count);
        Assert.Equal(25_000, d.Test.Count);
        Assert.Equal(12_500, d.Train.Count(r => r.Label == 1));
        Assert.Equal(12_500, d.Train.Count(r => r.Label == 0));
        Assert.Equal(12_500, d.Test.Count(r => r.Label == 1));
        Assert.Equal(12_500, d.Test.Count(r => r.Label == 0));
        Assert.Equal(0, d.InvalidUtf8Count);
        Assert.All(d.Train.Concat(d.Test), r => Assert.True(r.Label == 1 ? r.Rating >= 7 : r.Rating <= 4));

        var fig4 = d.Test.Single(r => r.RelativePath == "test/neg/9657_4.txt");
        var tokens = CleanedTokenizer.Instance.Tokenize(fig4.Text);
        Assert.Equal(99, tokens.Length);
        Assert.Equal(71, tokens.Distinct(StringComparer.Ordinal).Count());

        var split = d.SplitTrain();
        Assert.Equal(20_000, split.Train.Count);
        Assert.Equal(5_000, split.Validation.Count);
    }
}
