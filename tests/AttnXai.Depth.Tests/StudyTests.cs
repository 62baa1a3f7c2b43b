using AttnXai.Common.IO;
using AttnXai.Common.Sharding;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Depth.Tests;

/// <summary>
/// A tiny study end to end (a tiny aclImdb folder, tiny models trained by the study, five documents): the outputs and
/// their headers, the theorems' self-checks on the trained models, resumption after a deleted part file (same bytes),
/// and a rerun with another setting refused naming it.
/// </summary>
public sealed class StudyTests
{
    private static readonly string[] Good = ["good", "great", "fine", "lovely", "superb"];
    private static readonly string[] Bad = ["bad", "awful", "poor", "boring", "dull"];
    private static readonly string[] Fillers = ["the", "film", "movie", "a", "was", "plot", "actor", "and", "it", "is"];

    private static string TinyImdb(string root)
    {
        var rng = new Random(3);
        var dir = Path.Combine(root, "aclImdb");
        foreach (var (part, count) in new[] { ("train", 80), ("test", 12) })
            for (int i = 0; i < count; i++)
            {
                bool pos = i % 2 == 0;
                var words = Enumerable.Range(0, rng.Next(4, 12)).Select(_ => Fillers[rng.Next(Fillers.Length)])
                    .Concat(Enumerable.Range(0, 2).Select(_ => (pos ? Good : Bad)[rng.Next(5)])).OrderBy(_ => rng.Next());
                var path = Path.Combine(dir, part, pos ? "pos" : "neg", $"{i}_{(pos ? 9 : 2)}.txt");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, string.Join(' ', words));
            }
        return dir;
    }

    private static DepthSettings Settings(string outDir, string data) => new()
    {
        OutputDirectory = outDir,
        DataPath = data,
        Models = [DepthModel.Paper(), DepthModel.Transformer(1), DepthModel.Transformer(2)],
        Recipe = new DepthRecipe
        {
            Data = new DataOptions { Length = 16, ValidationCount = 16 },
            EmbedDim = 8, AttDim = 4, OutDim = 4, PaperHeads = 2,
            ModelDim = 8, Heads = 2, HeadDim = 4, FeedForwardDim = 16, Dropout = 0,
            Paper = new TrainingOptions { Epochs = 1, LearningRate = 1e-2 },
            Transformer = new TrainingOptions { Epochs = 1, LearningRate = 1e-2 },
        },
        Docs = 5,
        ChunkSize = 2,
        Methods = ["alpha-avg", "rollout", "grad-rollout", "G-l2", "lime-unk", "random"],
        LimeSamples = 40,
        IgSteps = 4,
    };

    private static readonly string[] Deterministic =
        ["documents.csv", "agreement.csv", "violations.csv", "erasure.csv", "theory.csv", "agreement_summary.csv", "violation_summary.csv", "erasure_summary.csv", "theory_summary.csv", DepthReport.HeadlineFile];

    [Fact]
    public void A_tiny_study_runs_resumes_with_the_same_bytes_and_refuses_other_settings()
    {
        using var tmp = new TempFolder();
        var data = TinyImdb(tmp.Path);
        var outDir = Path.Combine(tmp.Path, "run");
        var s = Settings(outDir, data);
        var files = new DepthStudy(s).Run();

        // The outputs and their headers.
        foreach (var f in Deterministic.Append(DepthReport.ModelsFile).Append(DepthReport.TimingFile).Append(DepthReport.ReportFile))
            Assert.Contains(Path.Combine(outDir, f), files);
        foreach (var (table, header) in DepthStudy.Tables)
        {
            var (h, rows) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, table + ".csv")));
            Assert.Equal(header, h);
            Assert.NotEmpty(rows);
        }
        var (dh, docs) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, "documents.csv")));
        Assert.Equal(3 * 5, docs.Count);
        Assert.Equal(["paper", "transformer-1", "transformer-2"], docs.Select(r => r[0]).Distinct());
        // The same documents for every model.
        Assert.Equal(docs.Where(r => r[0] == "paper").Select(r => r[2]), docs.Where(r => r[0] == "transformer-2").Select(r => r[2]));
        // Every pair of the six methods on every document of every model.
        var (_, agreement) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, "agreement.csv")));
        Assert.Equal(3 * 5 * 15, agreement.Count);

        // The theorems' self-checks on trained float64 copies: Theorem 4.1 on the last layer is exact for the layer's
        // own inputs on every model, and for the input embeddings on the one-layer paper model only.
        var (th, theory) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, "theory.csv")));
        Assert.Equal(15, theory.Count);
        int input = Array.IndexOf(th, "thm41_rel_l2_input"), layer = Array.IndexOf(th, "thm41_rel_l2_layer"), lime = Array.IndexOf(th, "thm51_rel_l2");
        foreach (var r in theory)
        {
            Assert.True(Csv.D(r[layer]) < 1e-8, $"{r[0]} doc {r[1]}: {r[layer]}");
            Assert.True(double.IsFinite(Csv.D(r[lime])));
        }
        foreach (var r in theory.Where(r => r[0] == "paper")) Assert.True(Csv.D(r[input]) < 1e-8, r[input]);
        foreach (var r in theory.Where(r => r[0] == "transformer-2")) Assert.True(Csv.D(r[input]) > 1e-6, r[input]);

        var models = Csv.Parse(File.ReadAllText(Path.Combine(outDir, DepthReport.ModelsFile)));
        Assert.Equal(["model", "architecture", "layers", "parameters", "test_accuracy", "test_count", "source", "training_seconds"], models.Header);
        Assert.Equal(["1", "1", "2"], models.Rows.Select(r => r[2]));
        Assert.All(models.Rows, r => Assert.Equal("trained here", r[6]));
        var headline = Csv.Parse(File.ReadAllText(Path.Combine(outDir, DepthReport.HeadlineFile)));
        Assert.Equal(DepthReport.HeadlineHeader, headline.Header);
        Assert.Equal(3, headline.Rows.Count);
        Assert.All(headline.Rows, r => Assert.Equal("lime-unk", r[3]));
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "agreement_vs_depth.svg")));
        Assert.Contains("Theorem 4.1 applied to the last layer", File.ReadAllText(Path.Combine(outDir, DepthReport.ReportFile)));

        // Resumption: a deleted part file is recomputed, with the same bytes everywhere.
        var before = Deterministic.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(outDir, f)));
        File.Delete(Path.Combine(outDir, DepthStudy.PartsFolder, "transformer-1", "00001.agreement.csv"));
        var log = new List<string>();
        new DepthStudy(s, log.Add).Run();
        Assert.Contains(log, l => l.Contains("[measure-transformer-1] chunk(s) 1 missing on disk: recomputing them"));
        Assert.Contains(log, l => l.Contains("[measure-paper] done earlier"));
        Assert.Contains(log, l => l.Contains("[model-transformer-2] done earlier"));
        foreach (var f in Deterministic) Assert.True(before[f].AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDir, f))), $"{f} changed");

        // Other settings are refused before any work, naming them.
        var e = Assert.Throws<InvalidOperationException>(() => new DepthStudy(s with { Docs = 6, LimeSamples = 50 }).Run());
        Assert.Contains("docs: 5 there, 6 now", e.Message);
        Assert.Contains("lime_samples: 40 there, 50 now", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new DepthStudy(s with { Recipe = s.Recipe with { Transformer = new TrainingOptions { Epochs = 2, LearningRate = 1e-2 } } }).Run());
        Assert.Contains("stage model-transformer-1", e.Message);
        Assert.Contains("2 epochs", e.Message);
    }
    /// <summary>
    /// G-avg is zero by construction on the (pre-norm) Transformer: the study leaves it out of that model's agreement,
    /// violation and erasure tables and their summaries, lists it with the reason in zero_by_construction.csv and says
    /// so in the report, and keeps it, ranked, on the paper's model.
    /// </summary>
    [Fact]
    public void A_method_zero_by_construction_is_left_out_of_the_tables_of_that_model()
    {
        using var tmp = new TempFolder();
        var data = TinyImdb(tmp.Path);
        var outDir = Path.Combine(tmp.Path, "run");
        var s = Settings(outDir, data) with { Models = [DepthModel.Paper(), DepthModel.Transformer(1)], Docs = 3, Methods = ["alpha-avg", "G-avg", "G-l2", "random"] };
        new DepthStudy(s).Run();

        foreach (var (file, column) in new[] { ("agreement.csv", "method_a"), ("violations.csv", "method"), ("erasure.csv", "method"), ("agreement_summary.csv", "method_a"),
                     ("violation_summary.csv", "method"), ("erasure_summary.csv", "method") })
        {
            var (h, rows) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, file)));
            int a = Array.IndexOf(h, column), b = Array.IndexOf(h, "method_b");
            bool GAvg(string[] r) => r[a] == "G-avg" || (b >= 0 && r[b] == "G-avg");
            Assert.DoesNotContain(rows, r => r[0] == "transformer-1" && GAvg(r));
            Assert.Contains(rows, r => r[0] == "paper" && GAvg(r));
            Assert.Contains(rows, r => r[0] == "transformer-1" && (r[a] == "G-l2" || (b >= 0 && r[b] == "G-l2")));
        }
        var (_, agreement) = Csv.Parse(File.ReadAllText(Path.Combine(outDir, "agreement.csv")));
        Assert.Equal(3 * 6 + 3 * 3, agreement.Count);   // 4 methods on the paper's model, 3 on the Transformer

        var zero = Csv.Parse(File.ReadAllText(Path.Combine(outDir, DepthReport.ZeroFile)));
        Assert.Equal(["model", "method", "reason"], zero.Header);
        var row = Assert.Single(zero.Rows);
        Assert.Equal("transformer-1", row[0]);
        Assert.Equal("G-avg", row[1]);
        Assert.Contains("LayerNorm", row[2]);
        var report = File.ReadAllText(Path.Combine(outDir, DepthReport.ReportFile));
        Assert.Contains("G-avg is zero by construction on transformer-1", report);
        Assert.Contains(DepthReport.ZeroCell, report);
    }

    /// <summary>
    /// --target: the models a first run trained, measured again with the class named by label and by index. The own
    /// class (pos, 1) gives the default run's tables; the other class (neg) leaves what does not depend on the explained
    /// class (the attention methods' agreement, the predictions) as it was, changes the gradient's scores, leaves the
    /// theorems out (written for a model's own class) and is recorded, so that a rerun without it is refused. A class
    /// no model has is one user error naming it.
    /// </summary>
    [Fact]
    public void Target_explains_the_class_asked_for_on_every_model()
    {
        using var tmp = new TempFolder();
        var data = TinyImdb(tmp.Path);
        var first = Path.Combine(tmp.Path, "default");
        var trained = Settings(first, data) with { Models = [DepthModel.Paper(), DepthModel.Transformer(1)], Docs = 3, Methods = ["alpha-avg", "rollout", "G-l2", "random"] };
        new DepthStudy(trained).Run();
        var reused = trained with { Models = trained.Models.Select(m => DepthModel.Parse(m.Name, Path.Combine(first, DepthStudy.ModelsFolder, m.Name))).ToList() };
        string Run(string name, string? target)
        {
            var dir = Path.Combine(tmp.Path, name);
            new DepthStudy(reused with { OutputDirectory = dir, Target = target }).Run();
            return dir;
        }
        var own = Run("own", null);
        string[] Rows(string dir, string file) => File.ReadAllLines(Path.Combine(dir, file));
        foreach (var (name, target) in new[] { ("pos", "pos"), ("one", " 1 ") })
        {
            var dir = Run(name, target);
            foreach (var f in Deterministic) Assert.Equal(Rows(own, f), Rows(dir, f));
        }

        var neg = Run("neg", "neg");
        Assert.Equal(Rows(own, "documents.csv"), Rows(neg, "documents.csv"));
        var (_, ownAgreement) = Csv.Parse(File.ReadAllText(Path.Combine(own, "agreement.csv")));
        var (_, negAgreement) = Csv.Parse(File.ReadAllText(Path.Combine(neg, "agreement.csv")));
        static bool Attention(string[] r) => r[2] is "alpha-avg" or "rollout" && r[3] is "alpha-avg" or "rollout" or "random";
        Assert.Equal(ownAgreement.Where(Attention).Select(r => string.Join(",", r)), negAgreement.Where(Attention).Select(r => string.Join(",", r)));
        Assert.NotEqual(ownAgreement.Where(r => r[3] == "G-l2").Select(r => r[6]), negAgreement.Where(r => r[3] == "G-l2").Select(r => r[6]));
        Assert.Equal(6, Csv.Parse(File.ReadAllText(Path.Combine(own, "theory.csv"))).Rows.Count);
        Assert.Empty(Csv.Parse(File.ReadAllText(Path.Combine(neg, "theory.csv"))).Rows);
        Assert.Contains("--target neg", File.ReadAllText(Path.Combine(neg, DepthReport.ReportFile)));

        // The own class by label or index is the default run (it continues it); the other class is recorded as resolved.
        new DepthStudy(reused with { OutputDirectory = own, Target = "pos" }).Run();
        new DepthStudy(reused with { OutputDirectory = neg, Target = "0" }).Run();
        var e = Assert.Throws<InvalidOperationException>(() => new DepthStudy(reused with { OutputDirectory = neg }).Run());
        Assert.Contains("target: neg (class 0) there, (none) now", e.Message);
        var u = Assert.Throws<AttnXai.Common.UserError>(() => Run("neutral", "neutral"));
        Assert.Contains("--target 'neutral' is neither a label of paper=", u.Message);
        Assert.Contains("(neg (class 0), pos (class 1)) nor a class index 0 to 1 (the depth study explains one class for every document)", u.Message);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "neutral")));   // refused before anything is written
    }

    /// <summary>
    /// The study in three shards (5 documents in chunks of 2: one chunk each) on the models a first, unsharded run
    /// trained, merged in any order: the per-document tables and the summaries are byte-identical to the unsharded
    /// run's; the merged folder is a complete run (a rerun finds every stage done); a missing shard, a shard of another
    /// seed and a sharded run that would train are refused by name.
    /// </summary>
    [Fact]
    public void Shards_merge_into_the_unsharded_runs_bytes()
    {
        using var tmp = new TempFolder();
        var data = TinyImdb(tmp.Path);
        var whole = Path.Combine(tmp.Path, "whole");
        var trained = Settings(whole, data);
        new DepthStudy(trained).Run();

        var reused = trained with { Models = trained.Models.Select(m => DepthModel.Parse(m.Name, Path.Combine(whole, DepthStudy.ModelsFolder, m.Name))).ToList() };
        string Part(int i, ulong seed = 0)
        {
            var dir = Path.Combine(tmp.Path, $"part{i}-seed{seed}");
            var files = new DepthStudy(reused with { OutputDirectory = dir, Shard = new ShardSpec(i, 3), Seed = seed }).Run();
            Assert.Contains(Path.Combine(dir, ShardManifest.FileName), files);
            Assert.False(File.Exists(Path.Combine(dir, "documents.csv")));   // a part holds chunks, not outputs
            return dir;
        }
        var parts = new[] { Part(1), Part(2), Part(3) };
        Assert.Equal(["00001.documents.csv"], Directory.GetFiles(Path.Combine(parts[1], DepthStudy.PartsFolder, "paper"), "*.documents.csv").Select(Path.GetFileName));

        var merged = Path.Combine(tmp.Path, "merged");
        var written = DepthStudy.Merge(ShardSet.Open([parts[2], parts[0], parts[1]]), merged);
        Assert.Contains(Path.Combine(merged, DepthReport.ReportFile), written);
        foreach (var f in Deterministic)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run's");

        var log = new List<string>();
        new DepthStudy(reused with { OutputDirectory = merged }, log.Add).Run();
        Assert.Equal(6, log.Count(l => l.Contains("done earlier")));

        var missing = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], parts[2]]));
        Assert.Contains("shard 2/3 is missing", missing.Message);
        var foreign = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], Part(2, seed: 1), parts[2]]));
        Assert.Contains("is not a part of this run", foreign.Message);
        Assert.Contains("seed 1, 0", foreign.Message);
        var training = Assert.Throws<ArgumentException>(() => new DepthStudy(trained with { OutputDirectory = Path.Combine(tmp.Path, "x"), Shard = new ShardSpec(1, 3) }));
        Assert.Contains("--model NAME=DIR", training.Message);
        var tooMany = Assert.Throws<ArgumentException>(() => new DepthStudy(reused with { OutputDirectory = Path.Combine(tmp.Path, "y"), Shard = new ShardSpec(1, 4) }));
        Assert.Contains("use at most 3 shards", tooMany.Message);
    }
}
