using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;

namespace AttnXai.Faithfulness.Tests;

/// <summary>The test end to end on given scores, checked against the loop reference's probabilities.</summary>
[Collection(CatalogueCollection.Name)]
public class RunTests
{
    private static readonly string[] Candidates =
        ["w2 w3 w4", "w5 w6 w5 w7", "w8 w9", "w10 w11 w12 w10", "w13 w14 w15 w16", "w17 w18 w19", "w3 w8 w13 w18", "w4 w9 w14 w19 w2"];

    private static long[] Encode(ModelConfig c, IEnumerable<string> tokens)
    {
        var ids = Enumerable.Repeat(c.UnkId, c.Length).ToArray();
        ids[0] = c.ClsId;
        int t = 1;
        foreach (var tok in tokens) ids[t++] = Tiny.Vocabulary.TryGetId(tok, out int id) ? id : c.UnkId;
        return ids;
    }

    [Fact]
    public void Outcomes_follow_the_reference_for_both_predicted_classes_signed_and_unsigned()
    {
        var (model, p) = BothClasses();
        using var _ = model;
        var reference = new LoopReference(model);
        var c = model.Config;
        int pos = Array.FindIndex(p, x => x > 0.5), neg = Array.FindIndex(p, x => x < 0.5);
        var docs = new[] { pos, neg }.Select(i => new TestDocument(Tiny.Doc(model, Candidates[i], Candidates[i]), 1)).ToArray();
        // Scores: the top word is the largest |w| (a negative one for the signed method on the first document).
        var signedScores = docs.Select((d, i) => Enumerable.Range(0, d.Document.WordCount).Select(j => j == 1 ? (i == 0 ? -2.0 : 1.5) : 0.1).ToArray()).ToArray();
        var unsignedScores = docs.Select(d => Enumerable.Range(0, d.Document.WordCount).Select(j => j == 0 ? 0.9 : 0.2).ToArray()).ToArray();
        var result = ViolationTest.FromScores(new RemovalModel(model), docs, [("G-avg", signedScores), ("alpha-avg", unsignedScores)], FeatureRemovals.All);
        Assert.Equal(2 * 2 * 3, result.Instances.Count);
        foreach (var x in result.Instances)
        {
            var doc = docs.Single(d => d.Id == x.Document).Document;
            var tokens = doc.Tokens;
            int j = Array.IndexOf(doc.Words, x.TopWord);
            Assert.Equal(x.Method == "G-avg" ? 1 : 0, j);
            double before = reference.PositiveProbability(Encode(c, tokens));
            double after = x.Removal switch
            {
                FeatureRemoval.Delete => reference.PositiveProbability(Encode(c, tokens.Where(t => t != x.TopWord))),
                FeatureRemoval.ZeroEmbedding => reference.PositiveProbability(Encode(c, tokens), x.Positions.ToHashSet()),
                _ => reference.PositiveProbability(Encode(c, tokens), null, Enumerable.Range(0, c.Length).Select(t => !x.Positions.Contains(t)).ToArray()),
            };
            int yHat = before > 0.5 ? 1 : 0;
            Assert.Equal(yHat, x.Predicted);
            double pb = yHat == 1 ? before : 1 - before, pa = yHat == 1 ? after : 1 - after;
            Assert.Equal(pb, x.PBefore, 12);
            Assert.Equal(pa, x.PAfter, 12);
            Assert.Equal(pb - pa, x.Change, 12);
            double w = x.Method == "G-avg" ? signedScores[Array.IndexOf(docs, docs.Single(d => d.Id == x.Document))][1] : 0.9;
            Assert.Equal(w, x.Score);
            double wo = x.Method == "G-avg" && yHat == 0 ? -w : w;   // unsigned scores are never turned
            Assert.Equal(wo, x.OrientedScore);
            var expected = Math.Sign(wo) * Math.Sign(pb - pa) < 0 ? Outcome.Violation : Outcome.Faithful;
            Assert.Equal(expected, x.Outcome);
        }
        Assert.Contains(result.Instances, x => x.Predicted == 0);
        Assert.Contains(result.Instances, x => x.Predicted == 1);
        Assert.Equal(2 * 4, result.Summary.Count);
    }

    /// <summary>The first tiny model from seed 21 on that calls one candidate positive and another negative, with the
    /// positive probability of each candidate.</summary>
    private static (AttentionClassifier Model, double[] P) BothClasses()
    {
        for (long seed = 21; seed < 60; seed++)
        {
            var m = Tiny.Model(seed);
            var r = new LoopReference(m);
            var p = Candidates.Select(t => r.PositiveProbability(Encode(m.Config, t.Split(' ')))).ToArray();
            if (p.Any(x => x > 0.5) && p.Any(x => x < 0.5)) return (m, p);
            m.Dispose();
        }
        throw new InvalidOperationException("no seed in 21..59 gives both predicted classes");
    }

    [Fact]
    public void A_new_unsigned_method_is_scored_as_unsigned_without_any_edit_here()
    {
        using var registration = ExplainerRegistry.Register(new ExplainerInfo("test-magnitude", "a magnitude, as a new method would declare it", Signed: false,
            typeof(ITextClassifier), (_, _) => throw new NotSupportedException()));
        var (model, p) = BothClasses();
        using var _ = model;
        var docs = new[] { Array.FindIndex(p, x => x > 0.5), Array.FindIndex(p, x => x < 0.5) }
            .Select(i => new TestDocument(Tiny.Doc(model, Candidates[i], Candidates[i]), 1)).ToArray();
        var scores = docs.Select(d => Enumerable.Range(0, d.Document.WordCount).Select(j => j == 0 ? 0.9 : 0.2).ToArray()).ToArray();
        var result = ViolationTest.FromScores(new RemovalModel(model), docs, [("test-magnitude", scores)], FeatureRemovals.All);
        Assert.Contains(result.Instances, x => x.Predicted == 0);
        Assert.All(result.Instances, x => Assert.False(x.Signed));
        Assert.All(result.Instances, x => Assert.Equal(x.Score, x.OrientedScore));   // never turned towards class 0
        Assert.All(result.Summary, r => Assert.False(r.Signed));
    }

    [Fact]
    public void Random_baseline_is_seeded_normal_and_order_independent()
    {
        var cfg = new ModelConfig(Tiny.V, EmbedDim: 6, AttDim: 4, OutDim: 3, Heads: 2, Length: 256, PaddingMask: false, InitRange: 0.8);
        var docA = ExplainDocument.FromTokens("", Enumerable.Range(0, 255).Select(i => $"a{i}").ToArray(), _ => cfg.UnkId, cfg, "A");
        var docB = ExplainDocument.FromTokens("", ["b", "c", "b"], _ => cfg.UnkId, cfg, "B");
        var r = new RandomExplainer(7);
        Assert.Equal(r.Scores(docA), new RandomExplainer(7).Scores(docA));
        Assert.NotEqual(r.Scores(docA), new RandomExplainer(8).Scores(docA));
        Assert.NotEqual(r.Scores(docA)[..2], r.Scores(docB));
        var ab = r.Explain(null!, [docA, docB]);
        var ba = r.Explain(null!, [docB, docA]);
        Assert.Equal(ab[0].WordScores, ba[1].WordScores);
        Assert.Equal(ab[1].WordScores, ba[0].WordScores);
        Assert.Equal(2, ab[1].WordScores.Length);
        Assert.Equal(ab[1].WordScores[0], ab[1].TokenScores[2]); // both "b" occurrences get the word's score
        // Roughly N(0, 1) over 8 x 255 draws.
        var all = Enumerable.Range(0, 8).SelectMany(s => new RandomExplainer((ulong)s).Scores(docA)).ToArray();
        double mean = all.Average(), variance = all.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.1, 0.1);
        Assert.InRange(variance, 0.85, 1.15);
    }

    [Fact]
    public void Same_seed_same_results_through_the_run()
    {
        using var model = Tiny.Model(4);
        var target = new ExplainTarget(model, Tiny.Vocabulary);
        var docs = Candidates.Select(t => new TestDocument(Tiny.Doc(model, t, t), 0)).ToArray();
        var explainers = FaithfulnessStudy.Explainers(["random", "occlusion-delete", "G-l2"], 9);
        var a = ViolationTest.Run(target, docs, explainers, FeatureRemovals.All, chunkSize: 3);
        var b = ViolationTest.Run(target, docs, FaithfulnessStudy.Explainers(["random", "occlusion-delete", "G-l2"], 9), FeatureRemovals.All);
        Assert.Equal(FaithfulnessWriters.DocumentsCsv(a).ToString(), FaithfulnessWriters.DocumentsCsv(b).ToString());
        var c = ViolationTest.Run(target, docs, FaithfulnessStudy.Explainers(["random"], 10), FeatureRemovals.All);
        Assert.NotEqual(
            a.Instances.Where(x => x.Method == "random").Select(x => x.Score),
            c.Instances.Select(x => x.Score));
        Assert.Equal(["random", "occlusion-delete", "G-l2"], a.Methods);
    }
}

/// <summary>Bad input gives an error naming what and where.</summary>
public class BadInputTests
{
    [Fact]
    public void Unknown_method_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Explainers(["G-avg", "attention-rollout"], 0));
        Assert.Contains("'attention-rollout'", e.Message);
        Assert.Contains("random", e.Message);
        Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Explainers([" "], 0));
        Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Explainers(["lime"], 0, new ExplainerSettings { LimeRuns = 0 }));
    }

    [Fact]
    public void All_means_every_family_in_both_modes_and_random()
    {
        var names = FaithfulnessStudy.Explainers(["all"], 0).Select(e => e.Name).ToArray();
        // Every method of the catalogue, in its order, the perturbation methods in both removal modes, then random.
        Assert.Equal(ExplainerRegistry.MethodNames(), names);
        Assert.Equal("random", names[^1]);
        foreach (var m in new[] { "alpha-avg", "alpha-max", "G-avg", "G-l1", "G-l2", "GxI", "AttGrad", "lime-delete", "lime-unk", "IG", "occlusion-delete", "occlusion-unk", "shap-delete", "shap-unk" })
            Assert.Contains(m, names);
    }

    [Fact]
    public void Missing_model_folder_is_named()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnxai-no-such-model-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => FaithfulnessStudy.Run(new FaithfulnessSettings { ModelDirectory = dir, OutputDirectory = dir + "-out" }));
        Assert.Contains(dir, e.Message);
        Assert.False(Directory.Exists(dir + "-out"));
    }

    [Fact]
    public void No_documents_all_unknown_documents_and_nan_scores_are_refused()
    {
        using var model = Tiny.Model(2);
        var rm = new RemovalModel(model);
        Assert.Contains("no document", Assert.Throws<ArgumentException>(() => ViolationTest.FromScores(rm, [], [], FeatureRemovals.All)).Message);
        var unknown = new TestDocument(Tiny.Doc(model, "zzz yyy zzz", "reviews/7_1.txt"));
        var e = Assert.Throws<ArgumentException>(() => ViolationTest.FromScores(rm, [unknown], [("G-avg", [[1.0, 2.0]])], FeatureRemovals.All));
        Assert.Contains("reviews/7_1.txt", e.Message);
        Assert.Contains("unknown", e.Message);
        var ok = new TestDocument(Tiny.Doc(model, "w2 w3", "reviews/8_9.txt"));
        e = Assert.Throws<ArgumentException>(() => ViolationTest.FromScores(rm, [ok], [("lime-delete", [[1.0, double.NaN]])], FeatureRemovals.All));
        Assert.Contains("lime-delete", e.Message);
        Assert.Contains("reviews/8_9.txt", e.Message);
        e = Assert.Throws<ArgumentException>(() => ViolationTest.FromScores(rm, [ok], [("G-avg", [[1.0]])], FeatureRemovals.All));
        Assert.Contains("1 scores for 2 distinct words", e.Message);
        Assert.Throws<ArgumentException>(() => ViolationTest.FromScores(rm, [ok], [("G-avg", [[1.0, 2.0]])], []));
    }
}

/// <summary>Tests that add methods to the catalogue for a while run alone, so that "all" elsewhere never sees them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CatalogueCollection
{
    public const string Name = "catalogue";
}
