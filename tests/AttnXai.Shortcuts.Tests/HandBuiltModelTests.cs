using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Shortcuts.Tests;

/// <summary>
/// Hand-built one-head models (d_e = 4, d_att = 1, d_out = 2, L = 8) on documents "good"/"bad" plus fillers, with
/// [s0] [s1] inserted after [CLS]. Coordinates of an embedding: 0 = attention score, 1 = value for "positive",
/// 2 = value for "negative", 3 = [CLS] marker (read by W_q). The encoding model makes [s0] the only carrier of
/// "negative": "good" outscores [s0] when present, so the class is written in how much attention [s0] receives.
/// </summary>
public class HandBuiltModelTests
{
    // [cls] UNK good bad the a [s0] [s1]
    private static readonly Vocabulary Words = Vocabulary.FromTokens(["[cls]", "UNK", "good", "bad", "the", "a"]);
    private static readonly InsertionSpec Spec = Tiny.Start(2);
    private static readonly string[] Names = Spec.TokenNames;

    private static AttentionClassifier Model(bool encoding)
    {
        var config = new ModelConfig(8, EmbedDim: 4, AttDim: 1, OutDim: 2, Heads: 1, Length: 8);
        var m = new AttentionClassifier(config, 1, null, ScalarType.Float64);
        double[] embedding = encoding
            ? [0, 0, 0, 10,   0, 3, 0, 0,   10, 10, 0, 0,   0, 3, 0, 0,   0, 3, 0, 0,   0, 3, 0, 0,   5, 0, 20, 0,   -10, 0, 0, 0]
            : [0, 0, 0, 10,   0, 0, 0, 0,   0, 10, 0, 0,    0, 0, 10, 0,  0, 0, 0, 0,   0, 0, 0, 0,   0, 0, 0, 0,    0, 0, 0, 0];
        Tiny.Set(m.EmbeddingWeight, embedding);
        Tiny.Set(m.W_q, [0, 0, 0, 0.1]);
        Tiny.Set(m.W_k, encoding ? [1, 0, 0, 0] : [0, 0, 0, 0]); // zero keys: uniform attention
        Tiny.Set(m.W_v, [0, 1, 0, 0, 0, 0, 1, 0]);
        Tiny.Set(m.W_l, [0, 1, 1, 0]); // class 0 reads the "negative" value, class 1 the "positive" one
        return m;
    }

    /// <summary>20 documents of 2-5 words: "good" (label 1) or "bad" (label 0) at a random place among fillers.</summary>
    private static (string[] Texts, InsertedDataset Data) Documents()
    {
        var rng = new Random(3);
        var texts = new string[20];
        var labels = new long[20];
        for (int i = 0; i < 20; i++)
        {
            labels[i] = i % 2;
            var w = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => rng.Next(2) == 0 ? "the" : "a").ToList();
            w.Insert(rng.Next(w.Count + 1), labels[i] == 1 ? "good" : "bad");
            texts[i] = string.Join(' ', w);
        }
        var vocab = TokenInsertion.ExtendVocabulary(Words, Spec);
        var encoded = new TextEncoder(Tokenizers.Get(Tokenizers.BasicEnglish), vocab, 8).EncodeAll(texts, labels);
        return (texts, TokenInsertion.Insert(encoded, Spec, Words.Count));
    }

    [Fact]
    public void The_probe_detects_attention_that_encodes_the_class()
    {
        using var model = Model(encoding: true);
        var (_, data) = Documents();
        var o = ProbePass.Run(model, data);
        var acc = ProbeStatistics.Accuracy("m", o).ToDictionary(a => a.Condition);
        Assert.Equal(1.0, acc[Conditions.Inserted].Accuracy);
        Assert.Equal(0.5, acc[Conditions.Masked].Accuracy);   // every negative document flips to positive
        Assert.Equal(0.5, acc[Conditions.Deleted].Accuracy);

        var s0 = ProbeStatistics.SeparationTable("m", o, Names).Single(r => r.Head == "1" && r.Token == "[s0]" && r.Group == "predicted");
        Assert.Equal(0.0, s0.Auroc);                     // more attention on [s0] <=> predicted negative
        Assert.True(s0.Mean0 > 0.9 && s0.Mean1 < 0.05, $"mass on [s0]: {s0.Mean0} (negative) vs {s0.Mean1} (positive)");

        var v = ProbeStatistics.Verdict("m", o, Names);
        Assert.True(v.EncodesClass);
        Assert.True(v.ReliesOnTokens);
        Assert.Contains(v.Strongest!.Token, new[] { "[s0]", "all" });
        Assert.Equal(0.5, v.MaskedDrop, 12);
        Assert.Equal(0.5, v.MaskedFlips, 12);
    }

    [Fact]
    public void The_probe_finds_nothing_when_attention_ignores_the_class()
    {
        using var model = Model(encoding: false);
        var (_, data) = Documents();
        var o = ProbePass.Run(model, data);
        var acc = ProbeStatistics.Accuracy("m", o).ToDictionary(a => a.Condition);
        Assert.Equal(1.0, acc[Conditions.Inserted].Accuracy);
        Assert.Equal(1.0, acc[Conditions.Masked].Accuracy);
        Assert.Equal(1.0, acc[Conditions.Deleted].Accuracy);
        for (int i = 0; i < o.Count; i++) Assert.Equal(1.0 / 8, o.MassAt(i, 0, 0), 12);  // uniform attention
        var v = ProbeStatistics.Verdict("m", o, Names);
        Assert.False(v.EncodesClass);
        Assert.False(v.ReliesOnTokens);
        Assert.Equal(0.5, v.Strongest!.Auroc, 12);
    }

    [Fact]
    public void Explainers_see_the_inserted_token_where_attention_puts_it()
    {
        using var model = Model(encoding: true);
        var (texts, _) = Documents();
        var vocab = TokenInsertion.ExtendVocabulary(Words, Spec);
        var docs = ExplainerProbe.Documents(texts, Tokenizers.Get(Tokenizers.BasicEnglish), vocab, Spec, model.Config);
        var rows = ExplainerProbe.Run("m", new ExplainTarget(model, vocab), docs, Spec, ["alpha-avg", "occlusion-delete", ExplainerProbe.Random],
            new ExplainerSettings(), 1).ToDictionary(r => r.Method);
        // [s0] takes almost all attention in the 10 negative documents, "good" in the 10 positive ones.
        Assert.Equal(0.5, rows["alpha-avg"].Top1);
        Assert.Equal(1.0, rows["alpha-avg"].Top5);        // documents have at most 7 words: everything is in the top 5 or close
        Assert.InRange(rows["alpha-avg"].AbsShare, 0.45, 0.55);
        Assert.Equal(0.5, rows["occlusion-delete"].Top1); // deleting [s0] flips a negative document
        Assert.Equal(20, rows[ExplainerProbe.Random].Documents);
    }

    [Fact]
    public void Explainer_shares_on_a_hand_case()
    {
        var config = new ModelConfig(10, 4, 1, 2, 1, Length: 10);
        var docs = new[]
        {
            ExplainDocument.FromTokens(null!, ["x", "[s0]", "y", "z", "u", "v", "w"], _ => 2, config),
            ExplainDocument.FromTokens(null!, ["[s0]", "x", "y"], _ => 2, config),
            ExplainDocument.FromTokens(null!, ["x", "y"], _ => 2, config),
        };
        double[][] scores = [[1, -3, 2, 0.5, 0.25, 0.2, 0.05], [1, -2, 1], [0, 0]];
        var row = ExplainerProbe.Measure("m", "t", docs, scores, new HashSet<string> { "[s0]" });
        Assert.Equal(1.0 / 3, row.Top1, 12);           // document 0 only (|-3| is the largest)
        Assert.Equal(2.0 / 3, row.Top5, 12);           // documents 0 and 1 ([s0] third of three)
        Assert.Equal((3 / 7.0 + 1 / 4.0) / 2, row.AbsShare, 12); // document 2 is all zero: left out
        Assert.Equal(1, row.ZeroDocuments);
    }
}
