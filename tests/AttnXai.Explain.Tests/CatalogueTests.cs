using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

/// <summary>The explainer catalogue: what each method declares, name parsing, the removal variants, and methods added
/// from outside the library.</summary>
[Collection(CatalogueCollection.Name)]
public class CatalogueTests
{
    [Fact]
    public void The_paper_methods_are_listed_in_order_with_their_facts()
    {
        var families = ExplainerRegistry.Families;
        string[] paper = ["alpha-avg", "alpha-max", "G-avg", "G-l1", "G-l2", "GxI", "lime", "IG", "occlusion", "shap"];
        Assert.Equal(paper, families.Where(f => paper.Contains(f)));
        Assert.Equal("random", families[^1]);   // the baseline comes last
        foreach (var unsigned in new[] { "alpha-avg", "alpha-max", "G-l1", "G-l2" }) Assert.False(ExplainerRegistry.IsSigned(unsigned), unsigned);
        foreach (var signed in new[] { "G-avg", "GxI", "IG", "lime-delete", "lime-unk", "occlusion-unk", "shap-delete", "random" })
            Assert.True(ExplainerRegistry.IsSigned(signed), signed);
        Assert.Equal(typeof(IAttentionModel), ExplainerRegistry.InfoOf("alpha-max").Requires);
        Assert.Equal(typeof(ITextClassifier), ExplainerRegistry.InfoOf("lime-unk").Requires);
        Assert.Equal(["lime-delete", "lime-unk"], ExplainerRegistry.InfoOf("lime").Names);
        Assert.Contains(ExplainerRegistry.InfoOf("IG").Settings, s => s.Name == "IgSteps" && s.Default == "64");
    }

    [Fact]
    public void Settings_are_declared_once_on_the_methods_with_their_options_defaults_and_ranges()
    {
        var shared = ExplainerRegistry.SharedSettings;
        Assert.Equal(["--lime-samples", "--lime-runs", "--lime-kernel-width", "--ig-steps", "--ig-baseline", "--shap-samples"], shared.Select(s => s.Option));
        var defaults = new ExplainerSettings();
        foreach (var s in shared)   // the catalogue's default text is the settings object's default
            Assert.Equal(s.Default, Convert.ToString(s.Get!(defaults), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["5000", "5", "25", "64", "auto", "2048"], shared.Select(s => s.Default));
        Assert.Same(defaults, defaults.Validate());
        Assert.Equal("--lime-runs must be at least 1, got 0", Assert.Throws<ArgumentException>(() => (defaults with { LimeRuns = 0 }).Validate()).Message);
        Assert.Equal("--lime-samples must be between 2 and 1000000 (held in memory per run; use the large-sample limit for more), got 1",
            Assert.Throws<ArgumentException>(() => (defaults with { LimeSamples = 1 }).Validate()).Message);
        Assert.Equal("--ig-steps must be at most 10000, got 10001", Assert.Throws<ArgumentException>(() => (defaults with { IgSteps = 10_001 }).Validate()).Message);
        Assert.Equal("--lime-kernel-width must be a positive number, got -1", Assert.Throws<ArgumentException>(() => (defaults with { KernelWidth = -1 }).Validate()).Message);
        Assert.Equal("--ig-baseline must be unk, zero, pad, mask or auto, got 'x'", IntegratedGradientsExplainer.BaselineSetting.Problem("x"));
        var set = IntegratedGradientsExplainer.BaselineSetting.Set!(KernelShapExplainer.SamplesSetting.Set!(defaults, 100), "PAD");
        Assert.Equal((100, IgBaseline.Pad), (set.ShapSamples, set.IgBaseline));
    }

    [Fact]
    public void Names_parse_case_insensitively_and_unknown_names_list_the_known_ones()
    {
        Assert.Equal(("lime", RemovalMode.ReplaceWithUnk), Parse("LIME-unk"));
        Assert.Equal(("occlusion", RemovalMode.Delete), Parse(" occlusion-delete "));
        Assert.Equal(("gxi", null), (Parse("gxi").Item1.ToLowerInvariant(), Parse("gxi").Item2));
        var e = Assert.Throws<ArgumentException>(() => ExplainerRegistry.Parse("attention-rollout-x"));
        Assert.StartsWith("unknown explainer 'attention-rollout-x'; known: alpha-avg, alpha-max", e.Message);
        Assert.Contains("lime (or lime-delete, lime-unk)", e.Message);
        Assert.EndsWith(", or all", e.Message);
        Assert.Throws<ArgumentException>(() => ExplainerRegistry.Parse("lime-both"));

        static (string, RemovalMode?) Parse(string n)
        {
            var (info, mode) = ExplainerRegistry.Parse(n);
            return (info.Family, mode);
        }
    }

    [Fact]
    public void All_and_the_removal_variants_make_one_explainer_per_mode()
    {
        var both = new ExplainerSettings { Removals = RemovalNames.All };
        var all = ExplainerRegistry.Create(["all"], both).Select(e => e.Name).ToList();
        Assert.DoesNotContain("random", all);
        Assert.Contains("lime-delete", all);
        Assert.Contains("shap-unk", all);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal("random", ExplainerRegistry.Create(["all"], both, allIncludesBaselines: true)[^1].Name);
        Assert.Equal(["lime-delete"], ExplainerRegistry.Create(["lime"]).Select(e => e.Name));       // the default mode
        Assert.Equal(["lime-unk", "lime-delete"], ExplainerRegistry.Create(["lime-unk", "lime", "LIME-delete"], both).Select(e => e.Name));
        Assert.Throws<ArgumentException>(() => ExplainerRegistry.Create([" ", ""]));
        Assert.Equal(ExplainerRegistry.MethodNames().Count, ExplainerRegistry.MethodNames(includeBaselines: false).Count + 1);
    }

    /// <summary>A method defined outside the library (as a script would) becomes a name like any other.</summary>
    private sealed class Constant(double value) : WordExplainer
    {
        public override string Name => "test-constant";
        public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["value"] = value.ToString() };
        protected override (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document) =>
            (Enumerable.Repeat(value, document.WordCount).ToArray(), [], []);
    }

    [Fact]
    public void A_method_registered_from_outside_is_created_by_name_and_described_by_its_entry()
    {
        using var registration = ExplainerRegistry.Register(new ExplainerInfo("test-constant", "the same score for every word", Signed: false, typeof(ITextClassifier),
            (s, _) => new Constant(double.Parse(s.Extra.GetValueOrDefault("test-constant.value", "0.5"))))
        {
            Settings = [new("test-constant.value", "0.5", "the score")],
        });
        var ex = ExplainerRegistry.Create(["TEST-constant"], new ExplainerSettings { Extra = new Dictionary<string, string> { ["test-constant.value"] = "2" } }).Single();
        Assert.False(ex.Info.Signed);
        Assert.False(ExplainerRegistry.IsSigned("test-constant"));
        using var model = SmallModels.Create(1);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var x = ex.Explain(target, [target.Prepare("w2 w3 w2")])[0];
        Assert.Equal([2.0, 2.0], x.WordScores);
        Assert.Equal([2.0, 2.0, 2.0], x.TokenScores);
        // A name another method already answers to is refused.
        var clash = Assert.Throws<InvalidOperationException>(() => ExplainerRegistry.Register(new ExplainerInfo("lime-unk", "", true, typeof(ITextClassifier), (_, _) => null!)));
        Assert.Equal("two explainers are named 'lime-unk'", clash.Message);
    }
}

/// <summary>Tests that add methods to the catalogue for a while run alone, so that "all" elsewhere never sees them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CatalogueCollection
{
    public const string Name = "catalogue";
}
