using System.Text;
using AttnXai.Data.Text;

namespace AttnXai.Data.Tests;

public class VocabularyTests
{
    private static readonly string[] Texts = ["b a a", "c b a", "d", "e c"];

    [Fact]
    public void SpecialsFirstThenDescendingFrequencyTiesByOrdinalOrder()
    {
        // counts: a 3, b 2, c 2, d 1, e 1
        var v = Vocabulary.Build(Texts, BasicEnglishTokenizer.Instance);
        Assert.Equal(["[cls]", "UNK", "a", "b", "c", "d", "e"], v.Tokens);
        Assert.Equal(0, v.GetId("[cls]"));
        Assert.Equal(1, v.GetId("UNK"));
        Assert.Equal(2, v.GetId("a"));
        Assert.Equal(Vocabulary.UnkId, v.GetId("zebra"));
        Assert.False(v.TryGetId("zebra", out _));
    }

    [Fact]
    public void MinFrequencyAndMaxSize()
    {
        var v = Vocabulary.Build(Texts, BasicEnglishTokenizer.Instance, new VocabularyOptions { MinFrequency = 2 });
        Assert.Equal(["[cls]", "UNK", "a", "b", "c"], v.Tokens);
        v = Vocabulary.Build(Texts, BasicEnglishTokenizer.Instance, new VocabularyOptions { MaxSize = 4 });
        Assert.Equal(["[cls]", "UNK", "a", "b"], v.Tokens);
    }

    [Fact]
    public void SpecialsInTheTextAreNotDuplicated()
    {
        var v = Vocabulary.Build(["[CLS] x [cls]"], BasicEnglishTokenizer.Instance);
        Assert.Equal(["[cls]", "UNK", "x"], v.Tokens);
    }

    [Fact]
    public void BuildDoesNotDependOnParallelPartitioning()
    {
        var texts = Enumerable.Range(0, 3000).Select(i => $"w{i % 37} w{i % 11} common").ToArray();
        var a = Vocabulary.Build(texts, BasicEnglishTokenizer.Instance);
        var counter = new TokenCounter(BasicEnglishTokenizer.Instance);
        foreach (var t in texts) counter.Add(t);
        Assert.Equal(counter.ToVocabulary().Tokens, a.Tokens);
    }

    [Fact]
    public void RoundTripThroughTheTextFile()
    {
        using var dir = new TempDir();
        var v = Vocabulary.Build(["Ünïcode words, and the: 'quotes' ΟΔΟΣ"], BasicEnglishTokenizer.Instance);
        var path = dir.File("vocab.txt");
        v.Save(path);
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // no temporary file left
        var text = File.ReadAllText(path, Encoding.UTF8);
        Assert.StartsWith("[cls]\nUNK\n", text);
        Assert.EndsWith("\n", text);
        var back = Vocabulary.Load(path);
        Assert.Equal(v.Tokens, back.Tokens);
        Assert.Equal(v.GetId("ünïcode"), back.GetId("ünïcode"));
    }

    [Theory]
    [InlineData("[cls]\nUNK\na\nb\na\n", 5, "duplicate token 'a' (first on line 3)")]
    [InlineData("[cls]\nUNK\na\n\nb\n", 4, "empty line")]
    [InlineData("UNK\n[cls]\na\n", 1, "first line must be the special token '[cls]'")]
    [InlineData("[cls]\na\nUNK\n", 2, "second line must be the special token 'UNK'")]
    [InlineData("[cls]\n", 2, "second line must be the special token 'UNK'")]
    public void BadFilesAreRejectedNamingFileAndLine(string content, int line, string problem)
    {
        using var dir = new TempDir();
        var path = dir.Write("vocab.txt", content);
        var e = Assert.Throws<DataException>(() => Vocabulary.Load(path));
        Assert.StartsWith($"{path}: line {line}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void MissingEmptyAndNonUtf8FilesAreRejected()
    {
        using var dir = new TempDir();
        var missing = dir.File("none.txt");
        var e = Assert.Throws<DataException>(() => Vocabulary.Load(missing));
        Assert.StartsWith(missing, e.Message);

        var empty = dir.Write("empty.txt", "");
        e = Assert.Throws<DataException>(() => Vocabulary.Load(empty));
        Assert.Contains("empty", e.Message);

        var bad = dir.Write("bad.txt", [.. "[cls]\nUNK\n"u8, 0xFF, (byte)'\n']);
        e = Assert.Throws<DataException>(() => Vocabulary.Load(bad));
        Assert.StartsWith($"{bad}: line 3: ", e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void CrlfAndBomAreTolerated()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.txt", [0xEF, 0xBB, 0xBF, .. "[cls]\r\nUNK\r\nx\r\n"u8]);
        Assert.Equal(["[cls]", "UNK", "x"], Vocabulary.Load(path).Tokens);
    }
}

public class EncoderTests
{
    private static readonly Vocabulary Vocab = Vocabulary.FromTokens(["[cls]", "UNK", "a", "b", "c", "d", "e", "f", "g", "."]);

    /// <summary>Typed text spelled as the special tokens ("[cls]", "UNK") is ordinary words the vocabulary does not
    /// hold: unknown, never the [CLS] token at a word's position.</summary>
    [Fact]
    public void A_word_spelled_as_a_special_token_is_an_unknown_word()
    {
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 6).Encode("[cls] a [CLS]");
        Assert.Equal(["[cls]", "a", "[cls]"], enc.Tokens);
        Assert.Equal([0L, 1, 2, 1, 1, 1], enc.Ids);
        Assert.Equal(2, enc.UnknownCount);
        Assert.False(Vocab.TryGetWordId("[cls]", out int id));
        Assert.Equal(Vocabulary.UnkId, id);
        Assert.True(Vocab.TryGetWordId("a", out id));
        Assert.Equal(2, id);
        Assert.True(Vocab.TryGetId("[cls]", out id));   // the vocabulary itself still holds the special token
        Assert.Equal(Vocabulary.ClsId, id);
    }

    [Fact]
    public void ClsThenWordsThenUnkPadding()
    {
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 6).Encode("A zz b.");
        Assert.Equal([0L, 2, 1, 3, 9, 1], enc.Ids);
        Assert.Equal(["a", "zz", "b", "."], enc.Tokens);
        Assert.Equal(4, enc.WordCount);
        Assert.Equal(5, enc.RealLength);
        Assert.Equal(1, enc.UnknownCount);
        Assert.False(enc.Truncated);
        Assert.Null(enc.Mask);
        Assert.True(enc.HasKnownWords);
    }

    [Fact]
    public void KeepsTheFirstLengthMinusOneWords()
    {
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 6).Encode("a b c d e f g");
        Assert.Equal([0L, 2, 3, 4, 5, 6], enc.Ids);
        Assert.Equal(5, enc.WordCount);
        Assert.True(enc.Truncated);

        var exactly = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 6).Encode("a b c d e");
        Assert.False(exactly.Truncated);
    }

    [Fact]
    public void PaperLengthKeeps255Words()
    {
        var text = string.Join(' ', Enumerable.Repeat("a b c", 100)); // 300 words
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab).Encode(text);
        Assert.Equal(256, enc.Ids.Length);
        Assert.Equal(255, enc.WordCount);
        Assert.True(enc.Truncated);
        Assert.Equal(0, enc.Ids[0]);
        Assert.Equal(2, enc.Ids[1]);
        Assert.Equal(2, enc.Ids[253]); // word 253 is the 85th "a"
        Assert.Equal(3, enc.Ids[254]);
        Assert.Equal(4, enc.Ids[255]);
    }

    [Fact]
    public void OptionalPaddingMask()
    {
        var enc = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 5, includeMask: true).Encode("b c");
        Assert.Equal([0L, 3, 4, 1, 1], enc.Ids);
        Assert.Equal([true, true, true, false, false], enc.Mask!);
    }

    [Fact]
    public void EmptyAndAllUnknownTextsAreRepresentable()
    {
        var encoder = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 4, includeMask: true);
        var empty = encoder.Encode("  <br /> ");
        Assert.True(empty.IsEmpty);
        Assert.False(empty.AllUnknown);
        Assert.False(empty.HasKnownWords);
        Assert.Equal([0L, 1, 1, 1], empty.Ids);
        Assert.Equal([true, false, false, false], empty.Mask!);

        var unknown = encoder.Encode("xx yy");
        Assert.False(unknown.IsEmpty);
        Assert.True(unknown.AllUnknown);
        Assert.False(unknown.HasKnownWords);
        Assert.Equal(2, unknown.UnknownCount);
        Assert.Equal([0L, 1, 1, 1], unknown.Ids);
    }

    [Fact]
    public void CleanedPipelineKeepsTheFirst255CleanedTokens()
    {
        var text = string.Join(", ", Enumerable.Range(0, 300).Select(i => $"W{i}"));
        var enc = new TextEncoder(CleanedTokenizer.Instance, Vocab).Encode(text);
        Assert.Equal(255, enc.Tokens.Length);
        Assert.Equal("w0", enc.Tokens[0]);
        Assert.Equal("w254", enc.Tokens[254]);
    }

    [Fact]
    public void EncodeAllMatchesEncode()
    {
        var texts = Enumerable.Range(0, 500).Select(i => string.Join(' ', Enumerable.Range(0, i % 9).Select(k => "abcdefgz"[(i + k) % 8].ToString()))).ToArray();
        var labels = texts.Select((_, i) => (long)(i % 2)).ToArray();
        var encoder = new TextEncoder(BasicEnglishTokenizer.Instance, Vocab, length: 7, includeMask: true);
        var all = encoder.EncodeAll(texts, labels);
        Assert.Equal(500 * 7, all.Ids.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            var one = encoder.Encode(texts[i]);
            Assert.Equal(one.Ids, all.Row(i).ToArray());
            Assert.Equal(one.Mask, all.Mask!.AsSpan(i * 7, 7).ToArray());
            Assert.Equal(one.WordCount, all.WordCounts[i]);
            Assert.Equal(one.UnknownCount, all.UnknownCounts[i]);
            Assert.Equal(one.Truncated, all.Truncated[i]);
        }
        Assert.Equal(labels, all.Labels);
        Assert.Equal(texts.Count(t => t.Length == 0), all.EmptyCount);
    }
}
