using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

public class BadInputTests
{
    private static void AllFinite(IEnumerable<Explanation> xs)
    {
        foreach (var x in xs)
        {
            Assert.All(x.TokenScores, v => Assert.True(double.IsFinite(v), $"{x.Method}: {v}"));
            Assert.All(x.WordScores, v => Assert.True(double.IsFinite(v), $"{x.Method}: {v}"));
            Assert.All(x.Diagnostics.Values, v => Assert.True(double.IsFinite(v), $"{x.Method}: {v}"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! ... ??? ---")]
    public void EmptyText_IsRefused_WithAClearMessage(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => SmallModels.Document(SmallModels.Config(), text));
        Assert.Contains("no words", e.Message);
    }

    [Theory]
    [InlineData("qqq rrr qqq")]       // only unknown words
    [InlineData("w5")]                // a single word
    [InlineData("w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16")] // longer than L - 1 = 11 words
    public void HardTexts_AreExplained_ByEveryMethod_WithoutNaN(string text)
    {
        using var model = SmallModels.Create(3);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare(text);
        var settings = new ExplainerSettings { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk], LimeSamples = 300, LimeRuns = 2, IgSteps = 8 };
        foreach (var ex in ExplainerRegistry.Create(["all"], settings)) AllFinite(ex.Explain(target, [doc]));
        var study = DocumentStudy.Run(target, doc, new StudyOptions { Explainers = new() { LimeRuns = 2, LimeSamples = 300 }, LimitSamples = 2000 });
        Assert.All(study.Theorem51.Words, v => Assert.True(double.IsFinite(v)));
        if (text.StartsWith("qqq")) Assert.Contains(doc.Warnings, w => w.Contains("unknown"));
        if (text.StartsWith("w2"))
        {
            Assert.True(doc.Truncated);
            Assert.Equal(11, doc.TokenCount);
            Assert.Equal(15, doc.OriginalTokenCount);
            Assert.Contains(doc.Warnings, w => w.Contains("only the first 11"));
        }
        if (text == "w5") Assert.Equal(1, doc.WordCount);
    }

    [Fact]
    public void WrongLengthDocument_IsRefused()
    {
        using var model = SmallModels.Create(3);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = SmallModels.Document(SmallModels.Config(length: 20), "w2 w3");
        var e = Assert.Throws<ArgumentException>(() => target.Perturbation(doc, RemovalMode.Delete));
        Assert.Contains("length", e.Message);
    }
}
