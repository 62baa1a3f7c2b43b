using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;

namespace AttnXai.Shortcuts.Tests;

/// <summary>The insertion on hand-worked cases: L = 8, inserted ids 20 and 21 (k = 2), words 5, 6, 7.</summary>
public class InsertionTests
{
    private const long S0 = 20, S1 = 21, U = 1;

    private static InsertedDataset Insert(long[] words, InsertionSpec spec, int length = 8, bool mask = false) =>
        TokenInsertion.Insert(Tiny.Data(length, [words], mask: mask), spec, S0);

    [Fact]
    public void Start_puts_the_block_right_after_cls()
    {
        var r = Insert([5, 6, 7], Tiny.Start(2));
        Assert.Equal([0, S0, S1, 5, 6, 7, U, U], Tiny.Row(r.Data, 0));
        Assert.Equal([1, 2], r.Positions);
        Assert.Equal(5, r.Data.WordCounts[0]);
        Assert.False(r.Data.Truncated[0]);
    }

    [Fact]
    public void End_puts_the_block_after_the_last_word()
    {
        var r = Insert([5, 6, 7], new InsertionSpec { Count = 2, At = InsertAt.End });
        Assert.Equal([0, 5, 6, 7, S0, S1, U, U], Tiny.Row(r.Data, 0));
        Assert.Equal([4, 5], r.Positions);
    }

    [Fact]
    public void After_n_words_and_beyond_the_text()
    {
        var r = Insert([5, 6, 7], InsertionSpec.Parse(2, "2"));
        Assert.Equal([0, 5, 6, S0, S1, 7, U, U], Tiny.Row(r.Data, 0));
        Assert.Equal([3, 4], r.Positions);
        var beyond = Insert([5, 6, 7], InsertionSpec.Parse(2, "5"));   // 5 = L - 1 - k words fit before the block
        Assert.Equal([0, 5, 6, 7, S0, S1, U, U], Tiny.Row(beyond.Data, 0));
        // More than fit before the block in any document (L 8, k 2): every document would get it at its end.
        var e = Assert.Throws<ArgumentException>(() => Insert([5, 6, 7], InsertionSpec.Parse(2, "6")));
        Assert.Contains("--position 6: a document of length 8 holds at most 5 words before the 2 inserted tokens", e.Message);
    }

    [Fact]
    public void A_full_text_is_truncated_to_fit()
    {
        long[] seven = [2, 3, 4, 5, 6, 7, 8];
        var start = Insert(seven, Tiny.Start(2));
        Assert.Equal([0, S0, S1, 2, 3, 4, 5, 6], Tiny.Row(start.Data, 0));
        Assert.True(start.Data.Truncated[0]);
        Assert.Equal(7, start.Data.WordCounts[0]);
        var end = Insert(seven, new InsertionSpec { Count = 2, At = InsertAt.End });
        Assert.Equal([0, 2, 3, 4, 5, 6, S0, S1], Tiny.Row(end.Data, 0));
        Assert.Equal([6, 7], end.Positions);
        // k = L - 1: no word is left.
        var only = Insert([5, 6], Tiny.Start(7));
        Assert.Equal([0, 20, 21, 22, 23, 24, 25, 26], Tiny.Row(only.Data, 0));
    }

    [Fact]
    public void Mask_unknown_counts_and_labels_follow()
    {
        var d = Tiny.Data(8, [[5, U, 7, U, 9, 10, 11]], [1], mask: true);
        var r = TokenInsertion.Insert(d, Tiny.Start(3), S0);
        Assert.Equal([0, S0, S0 + 1, S0 + 2, 5, U, 7, U], Tiny.Row(r.Data, 0));
        Assert.Equal(2, r.Data.UnknownCounts[0]);
        Assert.Equal([true, true, true, true, true, true, true, true], r.Data.Mask!);
        Assert.Equal([1L], r.Data.Labels);
        var shortText = TokenInsertion.Insert(Tiny.Data(8, [[5]], mask: true), Tiny.Start(2), S0);
        Assert.Equal([true, true, true, true, false, false, false, false], shortText.Data.Mask!);
        Assert.Equal([true, false, false, true, false, false, false, false], shortText.AttentionMask(paddingMask: true));
        Assert.Equal([true, false, false, true, true, true, true, true], shortText.AttentionMask(paddingMask: false));
    }

    [Fact]
    public void Delete_removes_the_block_and_pads()
    {
        var r = Insert([5, 6, 7], InsertionSpec.Parse(2, "1"));
        Assert.Equal([0, 5, S0, S1, 6, 7, U, U], Tiny.Row(r.Data, 0));
        var d = TokenInsertion.Delete(r);
        Assert.Equal([0, 5, 6, 7, U, U, U, U], Tiny.Row(d, 0));
        Assert.Equal(3, d.WordCounts[0]);
        // Words dropped to make room do not come back.
        var full = TokenInsertion.Delete(Insert([2, 3, 4, 5, 6, 7, 8], Tiny.Start(2)));
        Assert.Equal([0, 2, 3, 4, 5, 6, U, U], Tiny.Row(full, 0));
    }

    [Fact]
    public void The_vocabulary_is_extended_at_the_end()
    {
        var v = Tiny.Vocabulary(6);
        var x = TokenInsertion.ExtendVocabulary(v, Tiny.Start(3));
        Assert.Equal(9, x.Count);
        for (int i = 0; i < 6; i++) Assert.Equal(v[i], x[i]);
        Assert.Equal(6, x.GetId("[s0]"));
        Assert.Equal(8, x.GetId("[s2]"));
        Assert.Equal(["[s0]", "[s1]", "[s2]"], Tiny.Start(3).TokenNames);
    }

    [Fact]
    public void Position_names_parse()
    {
        Assert.Equal(InsertAt.Start, InsertionSpec.Parse(4, "start").At);
        Assert.Equal(InsertAt.Start, InsertionSpec.Parse(4, "0").At);
        Assert.Equal(InsertAt.End, InsertionSpec.Parse(4, " END ").At);
        var n = InsertionSpec.Parse(3, "12");
        Assert.Equal((InsertAt.AfterWords, 12, 3, "12"), (n.At, n.AfterWords, n.Count, n.PositionName));
    }

    [Fact]
    public void Explainer_documents_match_the_encoded_insertion()
    {
        // The explainers' documents (token strings) and the encoded data (ids) place the tokens identically,
        // truncation included.
        var vocab = TokenInsertion.ExtendVocabulary(Tiny.Vocabulary(12), Tiny.Start(2));
        var config = new ModelConfig(vocab.Count, 4, 2, 2, 1, Length: 8);
        string[] texts = ["w2 w3 w4", "w5 zzz w6 w7 w8 w9 w10 w11 w2", "w3"];
        foreach (var spec in new[] { Tiny.Start(2), new InsertionSpec { Count = 2, At = InsertAt.End }, InsertionSpec.Parse(2, "2") })
        {
            var encoder = new TextEncoder(Tokenizers.Get(Tokenizers.BasicEnglish), vocab, 8);
            var inserted = TokenInsertion.Insert(encoder.EncodeAll(texts, [0, 1, 0]), spec, 12);
            var docs = ExplainerProbe.Documents(texts, Tokenizers.Get(Tokenizers.BasicEnglish), vocab, spec, config);
            for (int i = 0; i < texts.Length; i++)
            {
                Assert.Equal(Tiny.Row(inserted.Data, i), docs[i].Ids);
                for (int j = 0; j < 2; j++) Assert.Equal($"[s{j}]", docs[i].Tokens[inserted.Position(i, j) - 1]);
            }
        }
    }
}
