using System.Text;
using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text.WordPiece;
using Microsoft.ML.Tokenizers;

namespace AttnXai.Data.Tests;

/// <summary>The MiniLM vocabulary and Hugging Face's tokenizer, shared by the reference tests.</summary>
public sealed class WordPieceReferenceFixture : IDisposable
{
    public WordPieceReferenceFixture()
    {
        VocabPath = WordPieceReference.MiniLmVocab();
        Mine = BertWordPieceTokenizer.FromVocabulary(VocabPath);
        Hf = new WordPieceReference(VocabPath);
        Hf128 = new WordPieceReference(VocabPath, truncateTo: 128);
    }

    public string VocabPath { get; }
    public BertWordPieceTokenizer Mine { get; }
    public WordPieceReference Hf { get; }
    public WordPieceReference Hf128 { get; }

    public void Dispose()
    {
        Hf.Dispose();
        Hf128.Dispose();
    }
}

/// <summary>
/// BertWordPieceTokenizer against Hugging Face's own Rust tokenizer (Tokenizers.DotNet 1.4.1, tokenizers 0.22) on
/// all-MiniLM-L6-v2's real vocabulary: identical ids on hand cases, on every code point of the common Unicode blocks,
/// and on IMDB reviews (full length and truncated to 128). Microsoft.ML.Tokenizers' BertTokenizer is run on the same
/// inputs to show that the comparison does catch its differences (newline merge, dropped symbols, kept accents).
/// </summary>
public class WordPieceReferenceTests(WordPieceReferenceFixture f) : IClassFixture<WordPieceReferenceFixture>
{
    /// <summary>Hand cases, each aimed at one rule.</summary>
    public static readonly string[] HandCases =
    [
        "Hello, World!", "Café NAÏVE résumé Ångström Øresund ﬁne", "I loved it.<br /><br />The end", "$5 and 10% off",
        "a=b", "x<y>z", "a^b`c|d~e+f", "tabs\tand\nnew\r\nlines\u2028here\u00A0and\u3000there", "under_score and hy-phen",
        "supercalifragilisticexpialidocious " + new string('x', 100) + " " + new string('y', 101),
        "unaffable xyzzyplugh qwertyuiop", "中国人 日本語 한국어 ｶﾀｶﾅ", "\U0002B825x \U0002B925x", "emoji 😀😂 🥰 ☺ ❤️ 👍🏽",
        "ctrl\u0000\u0001\u0007\u001F\u007F\u0085\u000B\u000C\uFFFD\u200B\u200D\u00AD\uFEFF\uE000 end", "", "   ", "\t\n\r ",
        "İstanbul ΣΊΣΥΦΟΣ ǅ Ⅻ Ⓐ ß ẞ", "x² ½ №5 ©2020 ™ °C", "a [SEP] b [CLS] [sep] [MASK]x[UNK]", "e\u0301 n\u0303 a\u030A",
        "“quotes” ‘single’ «guillemets» — dash … ellipsis • bullet", "don't can't won't", "http://www.imdb.com/title/tt0453418/",
        "3.14 1,000,000 10-15 1/2", "\U0001D400\U0001D401 𝔘𝔫𝔦", "Ⅷ ⅷ ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "a\u0300\u0301\u0302b",
    ];

    private static void AssertSame(WordPieceReference hf, long[] mine, string text)
    {
        var expected = hf.Encode(text);
        if (!expected.SequenceEqual(mine))
            Assert.Fail($"text {Escape(text)}:\n  Hugging Face: {hf.Show(expected)}\n  AttnXai:      {hf.Show(mine)}");
    }

    private static string Escape(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    [Fact]
    public void HandCasesGiveHuggingFacesIds()
    {
        foreach (var text in HandCases) AssertSame(f.Hf, f.Mine.EncodeWithSpecials(text), text);
    }

    [Fact]
    public void TruncatedHandCasesGiveHuggingFacesIds()
    {
        using var hf8 = new WordPieceReference(f.VocabPath, truncateTo: 8);
        foreach (var text in HandCases) AssertSame(hf8, f.Mine.EncodeWithSpecials(text, 8), text);
        // A word cut in the middle keeps its first pieces: "supercalifragilisticexpialidocious" is 12 pieces.
        var cut = f.Mine.Tokenize("supercalifragilisticexpialidocious", 3);
        Assert.Equal(3, cut.Tokens.Length);
        Assert.Single(cut.Words);
        Assert.True(cut.TotalTokens > 3);
    }

    [Fact]
    public void TokenizeAgreesWithEncodeWithSpecials()
    {
        foreach (var text in HandCases)
        {
            var t = f.Mine.Tokenize(text);
            Assert.Equal(f.Mine.EncodeWithSpecials(text)[1..^1], t.Ids);
            Assert.Equal(t.Ids.Select(i => f.Mine.TokenOf(i)), t.Tokens);
            Assert.Equal(t.Words.Length, t.TotalWords);
            Assert.True(t.WordOfToken.Zip(t.WordOfToken.Skip(1)).All(p => p.Second == p.First || p.Second == p.First + 1));
        }
    }

    /// <summary>Every code point of the blocks a review can plausibly hold (Latin, Greek, Cyrillic, Hebrew, general
    /// punctuation to supplemental punctuation, CJK symbols and kana, Hangul syllables, compatibility ideographs,
    /// half/full-width forms, emoji, the start of CJK extension B and the extension E boundary), each inside a word, alone
    /// and repeated.</summary>
    [Fact]
    public void EveryCodePointOfTheCommonBlocksGivesHuggingFacesIds()
    {
        (int From, int To)[] blocks =
        [
            (0x0001, 0x05FF), (0x1E00, 0x2E42), (0x3000, 0x30FF), (0x3400, 0x3420), (0x4E00, 0x4E40), (0xAC00, 0xD7A3),
            (0xE000, 0xE010), (0xF900, 0xFAFF), (0xFB00, 0xFFFD), (0x1D400, 0x1D7FF), (0x1F000, 0x1FAFF),
            (0x20000, 0x20010), (0x2B810, 0x2B930),
        ];
        int checkedCount = 0;
        var sb = new StringBuilder();
        var batch = new List<int>();
        foreach (var (from, to) in blocks)
            for (int cp = from; cp <= to; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                batch.Add(cp);
                sb.Append(Probe(cp));
                if (batch.Count == 256) Flush();
            }
        Flush();
        Assert.True(checkedCount > 23_000, $"{checkedCount} code points");

        static string Probe(int cp)
        {
            var c = char.ConvertFromUtf32(cp);
            return $"a{c}b {c} E{c}x{c}{c}. ";
        }

        void Flush()
        {
            var text = sb.ToString();
            if (!f.Hf.Encode(text).SequenceEqual(f.Mine.EncodeWithSpecials(text)))
                foreach (var cp in batch) AssertSame(f.Hf, f.Mine.EncodeWithSpecials(Probe(cp)), Probe(cp)); // names the code point
            checkedCount += batch.Count;
            sb.Clear();
            batch.Clear();
        }
    }

    /// <summary>The reference test has teeth: Microsoft.ML.Tokenizers' BertTokenizer (lower-casing, accent stripping
    /// asked for) differs from Hugging Face on the cases the wrapper exists for, and the same comparison flags it.</summary>
    [Fact]
    public void TheComparisonCatchesMicrosoftMlTokenizersDifferences()
    {
        var ml = BertTokenizer.Create(f.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        long[] Ml(string text) => ml.EncodeToIds(text).Select(i => (long)i).ToArray();
        foreach (var text in new[] { "good\nfilm", "tab\tseparated", "x<y", "$5", "a=b", "Café", "한국어" })
        {
            Assert.NotEqual(f.Hf.Encode(text), Ml(text));
            AssertSame(f.Hf, f.Mine.EncodeWithSpecials(text), text);
        }
        Assert.Equal(f.Hf.Encode("goodfilm"), Ml("good\nfilm")); // the newline merge
    }

    [SharedDataFact]
    public void ImdbReviewsGiveHuggingFacesIds()
    {
        var data = ImdbReader.Read(RepoPaths.SharedImdbArchive()!);
        var all = data.Train.Concat(data.Test).ToList();
        // Every 10th review of the 50,000 (5,000 reviews over both splits and labels), and every review with a run of
        // more than 50 letters (IMDB's longest word is 72 letters, under the 100 of WordPiece).
        var longRun = new System.Text.RegularExpressions.Regex(@"[^\s\p{P}]{51,}");
        var sample = all.Where((r, i) => i % 10 == 0 || longRun.IsMatch(r.Text)).Select(r => r.Text).ToList();
        Assert.True(sample.Count >= 5000, $"{sample.Count} reviews");
        // Variants of 500 of them: spaces alternately as newlines and tabs (the newline merge of Microsoft.ML), and a
        // 101-letter and a 100-letter word inserted in the middle.
        var variants = sample.Take(500).SelectMany(text => new[]
        {
            string.Concat(text.Split(' ').Select((w, i) => i == 0 ? w : (i % 2 == 0 ? "\n" : "\t") + w)),
            text.Insert(text.Length / 2, " " + new string('q', 101) + " Long" + new string('o', 96) + "ng "),
        }).ToList();
        var ml = BertTokenizer.Create(f.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        int mlDiffers = 0, cutMidWord = 0, compared = 0;
        var failures = new List<string>();
        foreach (var text in sample.Concat(variants))
        {
            compared++;
            var expected = f.Hf.Encode(text);
            var mine = f.Mine.EncodeWithSpecials(text);
            if (!expected.SequenceEqual(mine) && failures.Count < 5)
                failures.Add($"{Escape(text[..Math.Min(300, text.Length)])}\n  HF: {f.Hf.Show(expected)}\n  me: {f.Hf.Show(mine)}");
            var expected128 = f.Hf128.Encode(text);
            if (!expected128.SequenceEqual(f.Mine.EncodeWithSpecials(text, 128)) && failures.Count < 5)
                failures.Add($"(max 128) {Escape(text[..Math.Min(300, text.Length)])}\n  HF: {f.Hf128.Show(expected128)}");
            if (!ml.EncodeToIds(text).Select(i => (long)i).SequenceEqual(expected)) mlDiffers++;
            var t = f.Mine.Tokenize(text, 126);
            if (t.Truncated && t.WordOfToken.Count(w => w == t.WordOfToken[^1]) < Pieces(t.Words[^1])) cutMidWord++;
        }
        Assert.True(failures.Count == 0, $"{failures.Count}+ of {compared} texts differ:\n{string.Join("\n", failures)}");
        Assert.Equal(sample.Count + 1000, compared);
        // The sample holds what the wrapper is for: Microsoft.ML alone differs on many texts, some are cut mid-word.
        Assert.True(mlDiffers > compared / 10, $"Microsoft.ML's BertTokenizer differs on only {mlDiffers} texts");
        Assert.True(cutMidWord > 0, "no review cut in the middle of a word");

        int Pieces(string word) => f.Mine.Tokenize(word).Tokens.Length;
    }
}
