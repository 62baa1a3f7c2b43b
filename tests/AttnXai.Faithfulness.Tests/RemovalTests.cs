using AttnXai.Explain.Explainers;
using AttnXai.Model;

namespace AttnXai.Faithfulness.Tests;

/// <summary>The three removals' probabilities against the float64 loop reference, built without the library's helpers.</summary>
public class RemovalTests
{
    private static readonly string[] Texts = ["w2 w3 w2 zzz w5", "w4 w4 w6 w7 w8 w9 w10", "w11", "w12 zzz w12 w13"];

    private static long Id(ModelConfig c, string token) => Tiny.Vocabulary.TryGetId(token, out int id) ? id : c.UnkId;

    /// <summary>L ids: [CLS], the tokens, UNK padding.</summary>
    private static long[] Encode(ModelConfig c, IReadOnlyList<string> tokens)
    {
        var ids = Enumerable.Repeat(c.UnkId, c.Length).ToArray();
        ids[0] = c.ClsId;
        for (int t = 0; t < tokens.Count; t++) ids[t + 1] = Id(c, tokens[t]);
        return ids;
    }

    private static bool[] Prefix(int length, int count) => Enumerable.Range(0, length).Select(t => t < count).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_removal_matches_the_loop_reference(bool paddingMask)
    {
        using var model = Tiny.Model(11, paddingMask);
        var c = model.Config;
        var reference = new LoopReference(model);
        var rm = new RemovalModel(model, batchSize: 5); // several batches
        var requests = new List<RemovalRequest>();
        var expected = new List<double>();
        foreach (var text in Texts)
        {
            var doc = Tiny.Doc(model, text, text);
            var tokens = text.Split(' ');
            requests.Add(RemovalRequest.Original(doc));
            expected.Add(reference.PositiveProbability(Encode(c, tokens), null, paddingMask ? Prefix(c.Length, 1 + tokens.Length) : null));
            foreach (var word in tokens.Distinct())
            {
                int j = Array.IndexOf(doc.Words, word);
                var positions = Enumerable.Range(0, tokens.Length).Where(t => tokens[t] == word).Select(t => t + 1).ToHashSet();
                Assert.Equal(positions.Order(), RemovalModel.Positions(doc, j));
                // delete: the other words, shifted left
                var kept = tokens.Where(t => t != word).ToArray();
                requests.Add(new RemovalRequest(doc, j, FeatureRemoval.Delete));
                expected.Add(reference.PositiveProbability(Encode(c, kept), null, paddingMask ? Prefix(c.Length, 1 + kept.Length) : null));
                // zero: W_e of the word's positions set to 0, PE kept
                requests.Add(new RemovalRequest(doc, j, FeatureRemoval.ZeroEmbedding));
                expected.Add(reference.PositiveProbability(Encode(c, tokens), positions, paddingMask ? Prefix(c.Length, 1 + tokens.Length) : null));
                // attention: the word's positions out of the softmax
                var inSoftmax = paddingMask ? Prefix(c.Length, 1 + tokens.Length) : Enumerable.Repeat(true, c.Length).ToArray();
                foreach (int t in positions) inSoftmax[t] = false;
                requests.Add(new RemovalRequest(doc, j, FeatureRemoval.AttentionMask));
                expected.Add(reference.PositiveProbability(Encode(c, tokens), null, inSoftmax));
            }
        }
        var logits = rm.Logits(requests);
        Assert.Equal(expected.Count, logits.Length);
        for (int i = 0; i < logits.Length; i++)
        {
            double p = Violation.Softmax(logits[i].Negative, logits[i].Positive).PPositive;
            Assert.True(Math.Abs(p - expected[i]) < 1e-12, $"request {i} ({requests[i].Removal}, word {requests[i].Word}): {p} vs reference {expected[i]}");
        }
        // The removals do change the output (so the comparison above is not trivially true).
        Assert.True(expected.Distinct().Count() > expected.Count / 2);
    }

    [Fact]
    public void Float32_model_agrees_with_the_reference_to_float_precision()
    {
        using var model = Tiny.Model(5, dtype: TorchSharp.torch.ScalarType.Float32);
        var reference = new LoopReference(model);
        var doc = Tiny.Doc(model, "w2 w3 w2 w4");
        var c = model.Config;
        var logits = new RemovalModel(model).Logits([new RemovalRequest(doc, 0, FeatureRemoval.ZeroEmbedding)]);
        double expected = reference.PositiveProbability(Encode(c, ["w2", "w3", "w2", "w4"]), new HashSet<int> { 1, 3 });
        Assert.Equal(expected, Violation.Softmax(logits[0].Negative, logits[0].Positive).PPositive, 5);
    }

    [Fact]
    public void A_word_outside_the_document_is_refused()
    {
        using var model = Tiny.Model(3);
        var doc = Tiny.Doc(model, "w2 w3", "d1");
        var e = Assert.Throws<ArgumentException>(() => new RemovalModel(model).Logits([new RemovalRequest(doc, 2, FeatureRemoval.Delete)]));
        Assert.Contains("d1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RemovalModel.Positions(doc, 5));
    }
}
