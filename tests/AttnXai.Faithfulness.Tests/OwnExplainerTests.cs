using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;

namespace AttnXai.Faithfulness.Tests;

/// <summary>Explainers declared in this test assembly, never registered: found by name and by instance, run through
/// the explain path (<see cref="ExplainRun"/>) and the faithfulness violation test.</summary>
[Collection(CatalogueCollection.Name)]
public class OwnExplainerTests
{
    private static readonly string[] Texts = ["w2 w3 w4", "w5 w6 w5 w7", "w8 w9", "w10 w11 w12 w10", "w13 w14 w15 w16"];

    [Fact]
    public void An_explainer_made_with_new_uses_its_own_catalogue_entry_and_runs_through_explain_and_the_violation_test()
    {
        using var model = Tiny.Model(4);
        var target = new ExplainTarget(model, Tiny.Vocabulary);
        var docs = Texts.Select(t => Tiny.Doc(model, t, t)).ToArray();
        var own = new AttentionTimesGradientNorm();
        Assert.Same(AttentionTimesGradientNorm.Catalogue[0], own.Info);
        Assert.False(own.Info.Signed);

        var builtIn = ExplainerRegistry.Create(["alpha-avg", "G-l2"], new ExplainerSettings { Aggregation = WordAggregation.Last });
        var run = ExplainRun.Run(target, docs, [own, .. builtIn], study: null);
        Assert.Equal(["test-alpha-x-gnorm", "alpha-avg", "G-l2"], run.Explainers.Select(e => e.Name));
        foreach (var xs in run.Explanations)
        {
            Assert.Equal("test-alpha-x-gnorm", xs[0].Method);
            for (int t = 0; t < xs[0].TokenScores.Length; t++)
                Assert.Equal(xs[1].TokenScores[t] * xs[2].TokenScores[t], xs[0].TokenScores[t], 12);
        }

        var test = ViolationTest.Run(target, docs.Select(d => new TestDocument(d, 1)).ToArray(), [own, .. builtIn], FeatureRemovals.All);
        Assert.Equal(["test-alpha-x-gnorm", "alpha-avg", "G-l2"], test.Methods);
        var instances = test.Instances.Where(x => x.Method == "test-alpha-x-gnorm").ToList();
        Assert.Equal(docs.Length * FeatureRemovals.All.Count, instances.Count);
        Assert.All(instances, x => Assert.False(x.Signed));   // the class's own entry says unsigned: never turned
        Assert.All(instances, x => Assert.Equal(x.Score, x.OrientedScore));
        Assert.Contains(test.Summary, r => r.Method == "test-alpha-x-gnorm" && r.Removal == ViolationTest.MeanRemoval && r.N == instances.Count);
    }

    [Fact]
    public void An_explainer_is_found_by_name_without_registration_but_all_stays_the_catalogue()
    {
        using var model = Tiny.Model(5);
        var target = new ExplainTarget(model, Tiny.Vocabulary);
        var docs = Texts.Select(t => Tiny.Doc(model, t, t)).ToArray();
        // By name: the faithfulness test's explainers, as `--methods` would name them.
        var explainers = FaithfulnessStudy.Explainers(["test-gradient-sum", "G-avg"], seed: 0);
        Assert.IsType<GradientSum>(explainers[0]);
        Assert.True(ExplainerRegistry.IsSigned("TEST-gradient-sum"));
        Assert.True(Violation.IsSigned("test-gradient-sum"));
        var run = ExplainRun.Run(target, docs, explainers, study: null);
        int d = model.Config.EmbedDim;
        foreach (var xs in run.Explanations)
            for (int j = 0; j < xs[0].WordScores.Length; j++) Assert.Equal(d * xs[1].WordScores[j], xs[0].WordScores[j], 12);   // sum = d x mean
        var test = ViolationTest.Run(target, docs.Select(x => new TestDocument(x, 0)).ToArray(), explainers, FeatureRemovals.All);
        Assert.All(test.Instances.Where(x => x.Method == "test-gradient-sum"), x => Assert.True(x.Signed));
        // The same top words as G-avg (a positive multiple), so the same outcomes.
        Assert.Equal(test.Instances.Where(x => x.Method == "G-avg").Select(x => (x.Document, x.TopWord, x.Outcome)),
            test.Instances.Where(x => x.Method == "test-gradient-sum").Select(x => (x.Document, x.TopWord, x.Outcome)));

        // "all" and the listings stay the library's catalogue, whatever was looked up before.
        Assert.DoesNotContain("test-gradient-sum", ExplainerRegistry.MethodNames());
        Assert.DoesNotContain(ExplainerRegistry.Create(["all"], allIncludesBaselines: true), e => e.Name.StartsWith("test-", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_name_and_an_explainer_without_an_entry_are_one_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => ExplainerRegistry.Create(["test-no-such-method"]));
        Assert.StartsWith("unknown explainer 'test-no-such-method'; known: alpha-avg, alpha-max", e.Message);
        var plain = Assert.Throws<ArgumentException>(() => new Uncatalogued().Info);
        Assert.Contains("explainer 'test-uncatalogued' (Uncatalogued) has no catalogue entry: implement ICataloguedExplainer", plain.Message);
        using var model = Tiny.Model(4);
        var target = new ExplainTarget(model, Tiny.Vocabulary);
        Assert.Throws<ArgumentException>(() => new Uncatalogued().Explain(target, [Tiny.Doc(model, "w2 w3")]));
    }

    /// <summary>alpha-avg_t x ||g_t||_2: attention scaled by the gradient's size (unsigned, needs attention maps).</summary>
    private sealed class AttentionTimesGradientNorm() : TokenExplainer(WordAggregation.Last), ICataloguedExplainer
    {
        public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
        [
            new("test-alpha-x-gnorm", "mean [CLS] attention on the token times the L2 norm of the gradient at it", Signed: false, typeof(IAttentionModel),
                (_, _) => new AttentionTimesGradientNorm()),
        ];

        public override string Name => "test-alpha-x-gnorm";

        protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
        {
            var passes = ModelPasses.Run(target.Model, documents, gradients: true, attention: true);
            int L = target.Inputs.Length;
            return [.. documents.Select((doc, b) =>
            {
                var (a, g) = (passes[b].Attention!, passes[b].Gradient!);
                int H = a.Length / L, D = g.Length / L;
                var s = new double[doc.TokenCount];
                for (int t = 0; t < s.Length; t++)   // token t sits at position t + 1 ([CLS] at 0)
                {
                    double alpha = 0, norm = 0;
                    for (int h = 0; h < H; h++) alpha += a[h * L + t + 1] / H;
                    for (int k = 0; k < D; k++) norm += g[(t + 1) * D + k] * g[(t + 1) * D + k];
                    s[t] = alpha * Math.Sqrt(norm);
                }
                return (s, (Dictionary<string, double>?)null);
            })];
        }
    }

    /// <summary>The sum of g_t's coordinates (signed; any model): only ever made by name in these tests.</summary>
    private sealed class GradientSum() : TokenExplainer(WordAggregation.Last), ICataloguedExplainer
    {
        public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
        [
            new("test-gradient-sum", "sum of the coordinates of the gradient at the token", Signed: true, typeof(ITextClassifier), (_, _) => new GradientSum()),
        ];

        public override string Name => "test-gradient-sum";

        protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
        {
            var passes = ModelPasses.Run(target.Model, documents, gradients: true);
            int L = target.Inputs.Length;
            return [.. documents.Select((doc, b) =>
            {
                var g = passes[b].Gradient!;
                int D = g.Length / L;
                return (Enumerable.Range(0, doc.TokenCount).Select(t => g.AsSpan((t + 1) * D, D).ToArray().Sum()).ToArray(), (Dictionary<string, double>?)null);
            })];
        }
    }

    /// <summary>An explainer that declares no catalogue entry.</summary>
    private sealed class Uncatalogued() : TokenExplainer(WordAggregation.Last)
    {
        public override string Name => "test-uncatalogued";

        protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents) =>
            [.. documents.Select(d => (new double[d.TokenCount], (Dictionary<string, double>?)null))];
    }
}
