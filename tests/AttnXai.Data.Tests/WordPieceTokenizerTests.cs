using AttnXai.Data.Text;
using AttnXai.Data.Text.WordPiece;

namespace AttnXai.Data.Tests;

/// <summary>BertWordPieceTokenizer on a small hand-made vocabulary: hand-worked words, tokens and ids.</summary>
public class WordPieceTokenizerTests : IDisposable
{
    private static readonly string[] SmallVocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cafe", "play", "##ing", "##s", "<", ">", "$", "5", "=",
        "a", "##a", "b", "x", "y", "br", "/", "!", ",", ".", "un", "##aff", "##able", "中", "国", "hello", "world", "[", "]",
        "sep", "\U0001F600", "##\U0001F600", "Café", "i", "naive", "ᄒ", "##ᅡ", "##ᆫ",
    ];

    private readonly TempDir _dir = new();
    private readonly BertWordPieceTokenizer _tok;

    public WordPieceTokenizerTests()
    {
        _tok = BertWordPieceTokenizer.FromVocabulary(_dir.Write("vocab.txt", string.Join("\n", SmallVocab) + "\n"));
    }

    public void Dispose() => _dir.Dispose();

    private static long Id(string token) => Array.IndexOf(SmallVocab, token);

    private void AssertTokens(string text, string[] words, string[] tokens)
    {
        var t = _tok.Tokenize(text);
        Assert.Equal(words, t.Words);
        Assert.Equal(tokens, t.Tokens);
        Assert.Equal(tokens.Select(Id), t.Ids);
        Assert.Equal(tokens.Length, t.TotalTokens);
        Assert.Equal(words.Length, t.TotalWords);
        Assert.False(t.Truncated);
    }

    [Fact]
    public void SpecialsComeFromTheVocabulary()
    {
        Assert.Equal(new SpecialTokens(Cls: 2, Unk: 1, Pad: 0, Sep: 3, Mask: 4), _tok.Special);
        Assert.Equal("wordpiece-uncased", _tok.Name);
        Assert.Equal(SmallVocab.Length, _tok.VocabularySize);
        Assert.Equal(6L, _tok.IdOf("cafe"));
        Assert.Null(_tok.IdOf("coffee"));
        Assert.Equal("##ing", _tok.TokenOf(8));
    }

    [Fact]
    public void LowerCasesStripsAccentsAndSplitsWordPieces()
    {
        AssertTokens("Café PLAYING!", ["cafe", "playing", "!"], ["cafe", "play", "##ing", "!"]);
        AssertTokens("naïve", ["naive"], ["naive"]);
        Assert.Equal([0, 1, 1, 2], _tok.Tokenize("Café PLAYING!").WordOfToken);
    }

    [Fact]
    public void AsciiSymbolsArePunctuation()
    {
        // Microsoft.ML.Tokenizers' BertTokenizer drops < > $ = (its pre-tokenizer keeps \w+ and \p{P} only).
        AssertTokens("<br />", ["<", "br", "/", ">"], ["<", "br", "/", ">"]);
        AssertTokens("$5", ["$", "5"], ["$", "5"]);
        AssertTokens("a=b", ["a", "=", "b"], ["a", "=", "b"]);
        AssertTokens("x<y", ["x", "<", "y"], ["x", "<", "y"]);
    }

    [Fact]
    public void TabsAndNewlinesSeparateWords()
    {
        // Microsoft.ML.Tokenizers' BertNormalizer deletes \t \n \r as control characters, which would give "ab" here.
        AssertTokens("a\tb\nx\r\ny", ["a", "b", "x", "y"], ["a", "b", "x", "y"]);
        AssertTokens("a\u2028b\u00A0x\u3000y", ["a", "b", "x", "y"], ["a", "b", "x", "y"]);
    }

    [Fact]
    public void ControlAndFormatCharactersAreRemoved()
    {
        // NUL, U+FFFD, a C0 control, zero-width space (Cf), soft hyphen (Cf) and a private-use character vanish,
        // joining their neighbours; vertical tab and form feed are controls here, not whitespace.
        AssertTokens("x\u0000y", ["xy"], ["[UNK]"]);
        AssertTokens("pl\u200Bay\u00ADing\uFFFD\u0007\uE000", ["playing"], ["play", "##ing"]);
        AssertTokens("a\u000Bb\u000Ca", ["aba"], ["[UNK]"]);
    }

    [Fact]
    public void WordsLongerThan100CodePointsAreUnknown()
    {
        AssertTokens(new string('a', 100), [new string('a', 100)], ["a", .. Enumerable.Repeat("##a", 99)]);
        AssertTokens(new string('a', 101), [new string('a', 101)], ["[UNK]"]);
        // 60 emoji are 120 UTF-16 units but 60 code points: WordPiece runs (Microsoft.ML would count 120 > 100).
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 60));
        AssertTokens(emoji, [emoji], ["\U0001F600", .. Enumerable.Repeat("##\U0001F600", 59)]);
        var tooMany = string.Concat(Enumerable.Repeat("\U0001F600", 101));
        AssertTokens(tooMany, [tooMany], ["[UNK]"]);
    }

    [Fact]
    public void AWordWithAnUnknownPieceIsOneUnknownToken()
    {
        AssertTokens("unaffable", ["unaffable"], ["un", "##aff", "##able"]);
        AssertTokens("unaffablex plays", ["unaffablex", "plays"], ["[UNK]", "play", "##s"]);
    }

    [Fact]
    public void CjkIdeographsAreWordsOfTheirOwn()
    {
        AssertTokens("中国人", ["中", "国", "人"], ["中", "国", "[UNK]"]);
        // U+2B825 (extension E) is not spaced: the Rust crate's range starts at U+2B920.
        AssertTokens("x\U0002B825", ["x\U0002B825"], ["[UNK]"]);
        AssertTokens("x\U0002B925", ["x", "\U0002B925"], ["x", "[UNK]"]);
        // Hangul syllables decompose to jamo under NFD and stay decomposed (no recomposition).
        AssertTokens("한", ["\u1112\u1161\u11AB"], ["ᄒ", "##ᅡ", "##ᆫ"]);
    }

    [Fact]
    public void EmojiAreNotPunctuation()
    {
        AssertTokens("hello\U0001F600 world", ["hello\U0001F600", "world"], ["hello", "##\U0001F600", "world"]);
        AssertTokens("cafe\U0001F970", ["cafe\U0001F970"], ["[UNK]"]);
        AssertTokens("\U0001F600!", ["\U0001F600", "!"], ["\U0001F600", "!"]);
    }

    [Fact]
    public void EmptyAndWhitespaceOnlyTextHaveNoTokens()
    {
        foreach (var text in new[] { "", " ", " \t\n\r\u00A0 ", "\u0000\u200B" })
        {
            var t = _tok.Tokenize(text);
            Assert.Empty(t.Words);
            Assert.Empty(t.Ids);
            Assert.Equal((0, 0), (t.TotalTokens, t.TotalWords));
            Assert.Equal([2L, 3L], _tok.EncodeWithSpecials(text, 8));
        }
    }

    [Fact]
    public void TruncationKeepsTheFirstPiecesOfACutWord()
    {
        var t = _tok.Tokenize("the playing cafe", maxTokens: 2);
        Assert.Equal(["the", "playing"], t.Words);
        Assert.Equal(["the", "play"], t.Tokens);
        Assert.Equal([0, 1], t.WordOfToken);
        Assert.Equal((4, 3), (t.TotalTokens, t.TotalWords));
        Assert.True(t.Truncated);
        Assert.Empty(_tok.Tokenize("the", 0).Words);
        Assert.Equal([2L, Id("the"), Id("play"), 3L], _tok.EncodeWithSpecials("the playing cafe", 4));
        Assert.Equal([2L, Id("the"), Id("play"), Id("##ing"), Id("cafe"), 3L], _tok.EncodeWithSpecials("the playing cafe"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tok.EncodeWithSpecials("x", 1));
    }

    [Fact]
    public void WordSpansCoverEveryToken()
    {
        var t = _tok.Tokenize("The café, playing; un-affable.");
        Assert.Equal(["the", "cafe", ",", "playing", ";", "un", "-", "affable", "."], t.Words);
        for (int w = 0; w < t.Words.Length; w++)
        {
            var pieces = Enumerable.Range(0, t.Tokens.Length).Where(i => t.WordOfToken[i] == w).Select(i => t.Tokens[i]).ToArray();
            Assert.NotEmpty(pieces);
            if (!pieces.Contains("[UNK]")) Assert.Equal(t.Words[w], string.Concat(pieces.Select(p => p.StartsWith("##") ? p[2..] : p)));
        }
    }

    [Fact]
    public void SpecialTokensWrittenInTheTextAreRecognisedCaseSensitively()
    {
        AssertTokens("a [SEP] b", ["a", "[SEP]", "b"], ["a", "[SEP]", "b"]);
        AssertTokens("x[MASK]y", ["x", "[MASK]", "y"], ["x", "[MASK]", "y"]);
        AssertTokens("[sep]", ["[", "sep", "]"], ["[", "sep", "]"]);
        var split = BertWordPieceTokenizer.FromVocabulary(_tok.VocabularyPath, new BertWordPieceOptions { SplitSpecialTokens = true });
        Assert.Equal(["[", "sep", "]"], split.Tokenize("[SEP]").Tokens);
    }

    [Fact]
    public void ACasedVocabularyKeepsCaseAndAccents()
    {
        var cased = BertWordPieceTokenizer.FromVocabulary(_tok.VocabularyPath, BertWordPieceOptions.Cased);
        Assert.Equal("wordpiece-cased", cased.Name);
        var t = cased.Tokenize("Café cafe CAFE");
        Assert.Equal(["Café", "cafe", "CAFE"], t.Words);
        Assert.Equal(["Café", "cafe", "[UNK]"], t.Tokens);
        // Lower-casing without accent stripping (strip_accents false): the accent stays.
        var lowerOnly = BertWordPieceTokenizer.FromVocabulary(_tok.VocabularyPath, new BertWordPieceOptions { StripAccents = false });
        Assert.Equal(["café"], lowerOnly.Tokenize("CAFÉ").Words);
        // U+0130 lower-cases to "i" + U+0307 (Rust's full mapping) when accents are kept, to "i" when stripped.
        Assert.Equal(["i\u0307"], lowerOnly.Tokenize("\u0130").Words);
        Assert.Equal(["i"], _tok.Tokenize("\u0130").Words);
    }

    [Fact]
    public void IsThreadSafe()
    {
        var texts = Enumerable.Range(0, 200).Select(i => $"The café {i}, PLAYING <br /> x<y {new string('a', i % 120)} 中国").ToArray();
        var expected = texts.Select(t => _tok.EncodeWithSpecials(t)).ToArray();
        var got = new long[texts.Length][];
        Parallel.For(0, texts.Length * 4, i => got[i % texts.Length] = _tok.EncodeWithSpecials(texts[i % texts.Length]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], got[i]);
    }
}
