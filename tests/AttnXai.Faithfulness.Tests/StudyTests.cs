using System.Text.Json.Nodes;
using System.Xml.Linq;
using AttnXai.Common.IO;
using AttnXai.Common.Sharding;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Faithfulness.Tests;

/// <summary>The whole study (as the CLI runs it) on a saved tiny model and a tiny aclImdb folder.</summary>
public sealed class StudyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-faithfulness-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private (string Model, string Data) Fixture(params (string Name, string Text)[] reviews)
    {
        var modelDir = Path.Combine(_root, "model");
        using (var model = Tiny.Model(13, dtype: TorchSharp.torch.ScalarType.Float32))
            ModelCheckpoint.Save(modelDir, model, Tiny.Vocabulary, Tokenizers.Clean, 13);
        var data = Path.Combine(_root, "aclImdb");
        foreach (var (name, text) in reviews)
        {
            var path = Path.Combine(data, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        return (modelDir, data);
    }

    private static readonly (string, string)[] Reviews =
    [
        ("test/pos/1_9.txt", "w2 w3 w2, w4!"), ("test/pos/2_8.txt", "w5 w6 w7"), ("test/pos/3_10.txt", "w8 w9 w8 w10 w11"),
        ("test/neg/1_1.txt", "w12 w13"), ("test/neg/2_2.txt", "w14 w15 w16 zzz"), ("test/neg/3_3.txt", "w17 w18 w19 w2"),
        ("train/pos/1_9.txt", "w2 w4"), ("train/neg/1_1.txt", "w3 w5"),
    ];

    /// <summary>On a pre-norm Transformer G-avg is zero by construction: the study leaves it out of every table (the
    /// per-document rows, the summaries, the erasure curves), names it with the reason in summary.json and the report,
    /// and says so while running.</summary>
    [Fact]
    public void A_method_zero_by_construction_is_left_out_with_the_reason()
    {
        var (_, data) = Fixture(Reviews);
        var modelDir = Path.Combine(_root, "transformer");
        var config = new TransformerConfig(Tiny.V, ModelDim: 8, Heads: 2, HeadDim: 4, Layers: 1, FeedForwardDim: 8, Dropout: 0, Length: 8);
        using (var t = new TransformerClassifier(config, 5))
            ModelCheckpoint.Save(modelDir, t, config, Tiny.Vocabulary, Tokenizers.Clean, 5);
        var outDir = Path.Combine(_root, "out-t");
        var messages = new List<string>();
        var (result, erasure, _) = FaithfulnessStudy.Run(new FaithfulnessSettings
        {
            ModelDirectory = modelDir, OutputDirectory = outDir, DataPath = data, Docs = 4, Seed = 3, Methods = ["G-avg", "G-l2", "random"],
        }, messages.Add);
        Assert.Equal(["G-l2", "random"], result.Methods);
        Assert.DoesNotContain(result.Instances, i => i.Method == "G-avg");
        Assert.DoesNotContain(erasure, c => c.Method == "G-avg");
        Assert.Contains(messages, m => m.StartsWith("G-avg left out: zero by construction on this model (", StringComparison.Ordinal));
        Assert.DoesNotContain("G-avg", File.ReadAllText(Path.Combine(outDir, FaithfulnessWriters.SummaryCsvFile)));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, FaithfulnessWriters.SummaryJsonFile)))!;
        Assert.Contains("LayerNorm", (string)json["settings"]![FaithfulnessStudy.ZeroKey]!["G-avg"]!);
        Assert.Contains("zero by construction", File.ReadAllText(Path.Combine(outDir, FaithfulnessWriters.ReportFile)));
        // Alone, it leaves nothing to test.
        var e = Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(new FaithfulnessSettings
        {
            ModelDirectory = modelDir, OutputDirectory = Path.Combine(_root, "out-none"), DataPath = data, Docs = 4, Methods = ["G-avg"],
        }));
        Assert.Contains("every method chosen is zero by construction", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "out-none")));
    }

    [Fact]
    public void Target_explains_the_class_asked_for()
    {
        // The test itself is about the predicted class (its probability before and after removing the top word, the same
        // in both runs); --target changes what is explained: G-avg's scores are the gradient of the negative logit, and
        // a score is turned towards the prediction when the prediction is not the explained class.
        var (model, data) = Fixture(Reviews);
        FaithfulnessSettings S(string outDir, string? target) => new()
        {
            ModelDirectory = model, OutputDirectory = outDir, DataPath = data, Docs = 4, Seed = 3, Methods = ["G-avg", "random"], Target = target,
        };
        FaithfulnessStudy.Run(S(Path.Combine(_root, "pos"), null));
        FaithfulnessStudy.Run(S(Path.Combine(_root, "neg"), "neg"));
        FaithfulnessStudy.Run(S(Path.Combine(_root, "one"), "1"));
        var (_, pos) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "pos", FaithfulnessWriters.DocumentsFile)));
        var (_, neg) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "neg", FaithfulnessWriters.DocumentsFile)));
        Assert.Equal(File.ReadAllText(Path.Combine(_root, "pos", FaithfulnessWriters.DocumentsFile)), File.ReadAllText(Path.Combine(_root, "one", FaithfulnessWriters.DocumentsFile)));
        Assert.Equal(pos.Count, neg.Count);
        Assert.Equal(pos.Select(r => r[10]), neg.Select(r => r[10]));   // p_before: the predicted class's
        var g = neg.Where(r => r[3] == "G-avg").ToList();
        Assert.NotEmpty(g);
        Assert.All(g, r => Assert.Equal(r[2] == "neg" ? Csv.D(r[8]) : -Csv.D(r[8]), Csv.D(r[9])));
        Assert.NotEqual(pos.Where(r => r[3] == "G-avg").Select(r => r[8]), g.Select(r => r[8]));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_root, "neg", FaithfulnessWriters.SummaryJsonFile)))!;
        Assert.Equal("neg (class 0)", (string)json["settings"]!["target"]!);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(_root, "pos", FaithfulnessWriters.SummaryJsonFile)))!["settings"]!["target"]);
    }

    [Fact]
    public void Writes_every_output_and_same_seed_gives_same_files()
    {
        var (model, data) = Fixture(Reviews);
        FaithfulnessSettings S(string outDir) => new()
        {
            ModelDirectory = model, OutputDirectory = outDir, DataPath = data, Docs = 4, Seed = 3,
            Methods = ["alpha-avg", "G-avg", "occlusion-delete", "random"],
        };
        var messages = new List<string>();
        var (result, erasure, files) = FaithfulnessStudy.Run(S(Path.Combine(_root, "out1")), messages.Add);
        FaithfulnessStudy.Run(S(Path.Combine(_root, "out2")));
        Assert.Equal(8, files.Count);
        Assert.Equal(4 * 4, erasure.Count);
        Assert.Contains(messages, m => m.Contains("random: 4/4"));
        Assert.Equal(4, result.Documents.Count);

        var (header, rows) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.DocumentsFile)));
        Assert.Equal(["doc", "label", "predicted", "method", "signed", "removal", "top_word", "positions", "w", "w_oriented", "p_before", "p_after", "dC", "outcome"], header);
        Assert.Equal(4 * 4 * 3, rows.Count);
        Assert.All(rows, r => Assert.Equal(Csv.D(r[10]) - Csv.D(r[11]), Csv.D(r[12]), 12));
        Assert.All(rows.Where(r => r[3] == "alpha-avg"), r => Assert.Equal(r[8], r[9])); // unsigned: never turned
        Assert.All(rows.Where(r => r[3] == "G-avg" && r[2] == "neg"), r => Assert.Equal(-Csv.D(r[8]), Csv.D(r[9])));

        var (sh, srows) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.SummaryCsvFile)));
        Assert.Equal(["method", "signed", "removal", "n", "violations", "undecided", "ratio", "wilson_low", "wilson_high"], sh);
        Assert.Equal(4 * 4, srows.Count);
        foreach (var s in srows)
        {
            var mine = rows.Where(r => r[3] == s[0] && (s[2] == "mean" || r[5] == s[2])).ToArray();
            Assert.Equal(mine.Length.ToString(), s[3]);
            Assert.Equal(mine.Count(r => r[13] == "violation").ToString(), s[4]);
            Assert.Equal(mine.Count(r => r[13] == "undecided").ToString(), s[5]);
        }

        var (eh, erows) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.ErasureDocumentsFile)));
        Assert.Equal(["doc", "label", "predicted", "method", "signed", "tokens", "fraction", "k", "p_full", "p_without_top", "p_only_top",
            "comprehensiveness", "sufficiency", "aopc_comprehensiveness", "aopc_sufficiency"], eh);
        Assert.Equal(4 * 4 * 5, erows.Count);
        Assert.All(erows, r => Assert.Equal(Csv.D(r[8]) - Csv.D(r[9]), Csv.D(r[11]), 12));
        Assert.All(erows, r => Assert.Equal(Csv.D(r[8]) - Csv.D(r[10]), Csv.D(r[12]), 12));
        Assert.All(erows, r => Assert.Equal(Erasure.TopCount(int.Parse(r[5]), Csv.D(r[6])), int.Parse(r[7])));
        var (esh, esrows) = Csv.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.ErasureSummaryFile)));
        Assert.Equal(["method", "signed", "measure", "fraction", "n", "mean", "standard_error", "median"], esh);
        foreach (var m in new[] { "alpha-avg", "G-avg", "occlusion-delete", "random" })
        {
            var docAopc = erows.Where(r => r[3] == m).GroupBy(r => r[0]).Select(g => Csv.D(g.First()[13])).ToArray();
            var row = esrows.Single(r => r[0] == m && r[2] == "comprehensiveness" && r[3] == "aopc");
            Assert.Equal(docAopc.Average(), Csv.D(row[5]), 12);
        }

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.SummaryJsonFile)))!;
        Assert.Equal(4, (int)json["settings"]!["documents"]!);
        Assert.Equal(["alpha-avg"], json["unsigned_methods"]!.AsArray().Select(n => (string)n!));
        Assert.Contains(json["notes"]!.AsArray(), n => ((string)n!).Contains("cannot express polarity"));
        var svg = XDocument.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.ChartFile)));
        Assert.Equal(4 * 4, svg.Descendants().Count(e => (string?)e.Attribute("class") == "bar"));
        XDocument.Parse(File.ReadAllText(Path.Combine(_root, "out1", FaithfulnessWriters.ReportFile)));

        foreach (var f in new[] { FaithfulnessWriters.DocumentsFile, FaithfulnessWriters.SummaryCsvFile, FaithfulnessWriters.ChartFile, FaithfulnessWriters.ErasureDocumentsFile, FaithfulnessWriters.ErasureSummaryFile, FaithfulnessWriters.ErasureChartFile })
            Assert.Equal(File.ReadAllText(Path.Combine(_root, "out1", f)), File.ReadAllText(Path.Combine(_root, "out2", f)));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "out1"), "*.tmp"));
    }

    [Fact]
    public void An_empty_review_is_named()
    {
        var (model, data) = Fixture([.. Reviews, ("test/neg/4_4.txt", "  !!! ")]);
        var e = Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(new FaithfulnessSettings
        {
            ModelDirectory = model, OutputDirectory = Path.Combine(_root, "out"), DataPath = data, Docs = 100, Methods = ["random"],
        }));
        Assert.Contains("test/neg/4_4.txt", e.Message);
        Assert.Contains("no words", e.Message);
    }

    [Fact]
    public void Bad_settings_are_refused_before_any_work()
    {
        var (model, data) = Fixture(Reviews);
        var s = new FaithfulnessSettings { ModelDirectory = model, OutputDirectory = Path.Combine(_root, "out"), DataPath = data };
        Assert.Contains("documents", Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(s with { Docs = 0 })).Message);
        Assert.Contains("'dev'", Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(s with { Split = "dev" })).Message);
        Assert.Contains("no removal", Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(s with { Removals = [] })).Message);
        Assert.Contains("'bogus'", Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(s with { Methods = ["bogus"] })).Message);
        Assert.Contains("does not exist", Assert.Throws<AttnXai.Data.DataException>(() => FaithfulnessStudy.Run(s with { DataPath = Path.Combine(_root, "nothing-here") })).Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }

    [Fact]
    public void Merged_shards_give_the_unsharded_per_document_rows_byte_for_byte_and_the_same_summary()
    {
        var (model, data) = Fixture(Reviews);
        FaithfulnessSettings S(string outDir, ShardSpec? shard = null) => new()
        {
            ModelDirectory = model, OutputDirectory = Path.Combine(_root, outDir), DataPath = data, Docs = 6, Seed = 3, ChunkSize = 2, Shard = shard,
            Methods = ["alpha-avg", "G-avg", "occlusion-delete", "lime-unk", "random"], Explainers = new() { LimeRuns = 2, LimeSamples = 200 },
        };
        FaithfulnessStudy.Run(S("whole"));
        var parts = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            var (part, curves, files) = FaithfulnessStudy.Run(S($"part{i}", new ShardSpec(i, 3)));
            Assert.Equal(2, part.Documents.Count);
            Assert.Equal(2 * 5, curves.Count);
            Assert.Equal([FaithfulnessWriters.DocumentsFile, FaithfulnessWriters.ErasureDocumentsFile, ShardManifest.FileName], files.Select(Path.GetFileName));
            parts.Add(Path.Combine(_root, $"part{i}"));
        }
        var (summary, erasure, merged) = FaithfulnessStudy.Merge(ShardSet.Open([parts[1], parts[2], parts[0]]), Path.Combine(_root, "merged"));
        Assert.Equal(6, summary.Documents);
        Assert.Equal(8, merged.Count);
        Assert.Equal(5 * 2 * 6, erasure.Count); // per method: comprehensiveness and sufficiency, at the AOPC and 5 fractions
        string W(string f) => Path.Combine(_root, "whole", f);
        string M(string f) => Path.Combine(_root, "merged", f);
        Assert.Equal(File.ReadAllBytes(W(FaithfulnessWriters.DocumentsFile)), File.ReadAllBytes(M(FaithfulnessWriters.DocumentsFile)));
        Assert.Equal(6 * 5 * 3, Csv.Parse(File.ReadAllText(M(FaithfulnessWriters.DocumentsFile))).Rows.Count);
        Assert.Equal(File.ReadAllText(W(FaithfulnessWriters.SummaryCsvFile)), File.ReadAllText(M(FaithfulnessWriters.SummaryCsvFile)));
        Assert.Equal(File.ReadAllText(W(FaithfulnessWriters.ChartFile)), File.ReadAllText(M(FaithfulnessWriters.ChartFile)));
        // The erasure curves too: their rows byte for byte (document order), the summary and the chart drawn from them.
        Assert.Equal(File.ReadAllBytes(W(FaithfulnessWriters.ErasureDocumentsFile)), File.ReadAllBytes(M(FaithfulnessWriters.ErasureDocumentsFile)));
        Assert.Equal(6 * 5 * 5, Csv.Parse(File.ReadAllText(M(FaithfulnessWriters.ErasureDocumentsFile))).Rows.Count);
        Assert.Equal(File.ReadAllText(W(FaithfulnessWriters.ErasureSummaryFile)), File.ReadAllText(M(FaithfulnessWriters.ErasureSummaryFile)));
        Assert.Equal(File.ReadAllText(W(FaithfulnessWriters.ErasureChartFile)), File.ReadAllText(M(FaithfulnessWriters.ErasureChartFile)));
        var a = JsonNode.Parse(File.ReadAllText(W(FaithfulnessWriters.SummaryJsonFile)))!;
        var b = JsonNode.Parse(File.ReadAllText(M(FaithfulnessWriters.SummaryJsonFile)))!;
        Assert.Equal(a["settings"]!.ToJsonString(), b["settings"]!.ToJsonString());
        Assert.Equal(a["summary"]!.ToJsonString(), b["summary"]!.ToJsonString());
        Assert.Equal(a["erasure_summary"]!.ToJsonString(), b["erasure_summary"]!.ToJsonString());

        // Parts of another run (another seed, another model) are refused by name.
        FaithfulnessStudy.Run(S("seed4", new ShardSpec(2, 3)) with { Seed = 4 });
        var e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], Path.Combine(_root, "seed4"), parts[2]]));
        Assert.Equal($"{_root}/seed4 (shard 2/3) is not a part of this run: other settings (seed 4, 3 in {parts[0]})", e.Message);
        // The erasure settings are the run's too: a part whose curves replaced tokens by UNK is refused.
        FaithfulnessStudy.Run(S("unk", new ShardSpec(2, 3)) with { ErasureRemoval = AttnXai.Explain.Perturbation.RemovalMode.ReplaceWithUnk });
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], Path.Combine(_root, "unk"), parts[2]]));
        Assert.Equal($"{_root}/unk (shard 2/3) is not a part of this run: other settings (erasure_removal unk, delete in {parts[0]})", e.Message);
        var otherModel = Path.Combine(_root, "model-b");
        using (var m = Tiny.Model(14, dtype: TorchSharp.torch.ScalarType.Float32))
            ModelCheckpoint.Save(otherModel, m, Tiny.Vocabulary, Tokenizers.Clean, 14);
        FaithfulnessStudy.Run(S("model-b-part", new ShardSpec(3, 3)) with { ModelDirectory = otherModel });
        e = Assert.Throws<InvalidDataException>(() => ShardSet.Open([parts[0], parts[1], Path.Combine(_root, "model-b-part")]));
        Assert.StartsWith($"{_root}/model-b-part (shard 3/3) is not a part of this run: computed with another model ({otherModel}, sha256:", e.Message);
        // More shards than chunks of the sample is refused before any work.
        var big = Assert.Throws<ArgumentException>(() => FaithfulnessStudy.Run(S("four", new ShardSpec(1, 4))));
        Assert.Equal("--shard 1/4: 4 shards for the 6 documents of the sample, which make 3 chunks of 2 (a shard computes whole chunks): use at most 3 shards or a smaller chunk size", big.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "four")));
    }
}
