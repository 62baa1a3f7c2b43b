using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;

namespace AttnXai.Cli.Tests;

/// <summary>A researcher's own labelled data through every command, on the fixture's CSV and the model `train` made of it.</summary>
public sealed class OwnDataTests(CliFixture fx) : IClassFixture<CliFixture>
{
    private static CliResult Ok(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(r.ErrorLines);
        return r;
    }

    [Fact]
    public void Train_splits_one_file_prints_and_records_the_label_mapping()
    {
        // 200 texts: a tenth is the test part, a tenth of the file the validation part, the rest trains.
        Assert.Contains("labels: neg (class 0), pos (class 1)", fx.TrainOutput);
        Assert.Contains("train 160, validation 20, test 20 (validation and test split out of one file, seed 42)", fx.TrainOutput);
        Assert.Contains("(labels: neg,pos)", fx.TrainOutput);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(fx.Model, "config.json")))!;
        Assert.Equal(3, config["format_version"]!.GetValue<int>());
        Assert.Equal("[\"neg\",\"pos\"]", config["labels"]!.ToJsonString());
        var data = config["training"]!["data"]!;
        Assert.Equal("file", data["kind"]!.GetValue<string>());
        Assert.Equal(fx.Data, data["source"]!.GetValue<string>());
        Assert.Equal(20, data["test_count"]!.GetValue<int>());
        Assert.Equal(20, data["validation_count"]!.GetValue<int>());
        Assert.Equal("text", data["text_column"]!.GetValue<string>());
        Assert.True(data["quoting"]!.GetValue<bool>());
        // The vocabulary comes from the training pool (train and validation parts), never the test part: the 22 shared
        // words and the own words of the 180 texts of the pool (predict below finds the 20 test texts by their one
        // unknown word).
        var vocab = File.ReadAllLines(Path.Combine(fx.Model, "vocab.txt"));
        Assert.Equal(["[cls]", "UNK"], vocab[..2]);
        Assert.Equal(2 + 22 + 180, vocab.Length);
    }

    [Fact]
    public void Eval_uses_the_held_out_test_part_and_maps_labels_only_as_told()
    {
        var r = Ok(Cli.Run(fx.Root, "eval", "--model", fx.Model));
        Assert.Contains($"data: test part of labelled file {fx.Data}", r.Stdout);
        Assert.Contains("labels: neg (class 0), pos (class 1) (the model's)", r.Stdout);
        var texts = r.Stdout.Split('\n').Single(l => l.StartsWith("texts: "));
        Assert.Matches(@"^texts: 20 \(neg \d+, pos \d+\)$", texts);
        // The same numbers as train's test accuracy: the same 20 texts.
        var trainTest = fx.TrainOutput.Split('\n').Single(l => l.StartsWith("test accuracy ")).Split(',')[0];
        Assert.Contains(trainTest.Replace("test accuracy", "accuracy"), r.Stdout);

        // A file whose labels are all 'positive': refused with the model's labels, read with an explicit mapping.
        var positive = Path.Combine(fx.Root, "all-positive.csv");
        r = Ok(Cli.Run(fx.Root, "eval", "--model", fx.Model, "--file", positive, "--labels", "negative,positive", "--out", fx.Fresh("eval.json")));
        Assert.Contains("texts: 2 (negative 0, positive 2)", r.Stdout);
        var json = JsonNode.Parse(File.ReadAllText(fx.Fresh("eval.json")))!;
        Assert.Equal(2, json["count"]!.GetValue<int>());
        Assert.Equal("[\"negative\",\"positive\"]", json["labels"]!.ToJsonString());
    }

    [Fact]
    public void Predict_a_file_writes_one_row_per_text_with_the_label_of_the_larger_logit()
    {
        var outPath = fx.Fresh("predictions.csv");
        var r = Ok(Cli.Run(fx.Root, "predict", "--model", fx.Model, "--file", fx.Data, "--out", outPath));
        Assert.Contains("200 prediction(s) written", r.Stderr);
        var (header, rows) = Csv.Parse(File.ReadAllText(outPath));
        Assert.Equal(["line", "class", "label", "logit_neg", "logit_pos", "words", "unknown", "truncated", "given_label"], header);
        Assert.Equal(200, rows.Count);
        foreach (var row in rows)
        {
            double neg = Csv.D(row[3]), pos = Csv.D(row[4]);
            Assert.Equal(pos > neg ? "pos" : "neg", row[2]);
            Assert.Equal(pos > neg ? "1" : "0", row[1]);
        }
        Assert.Equal(File.ReadAllLines(fx.Data).Skip(1).Select(l => l[(l.LastIndexOf(',') + 1)..]), rows.Select(x => x[8]));
        // Exactly the 20 test texts have an unknown word (their own word, left out of the vocabulary), and they are the
        // texts eval evaluates: the same labels.
        var unknown = rows.Where(x => x[6] != "0").ToList();
        Assert.Equal(20, unknown.Count);
        Assert.All(unknown, x => Assert.Equal("1", x[6]));
        var evalTexts = Ok(Cli.Run(fx.Root, "eval", "--model", fx.Model)).Stdout.Split('\n').Single(l => l.StartsWith("texts: "));
        Assert.Equal($"texts: 20 (neg {unknown.Count(x => x[8] == "neg")}, pos {unknown.Count(x => x[8] == "pos")})", evalTexts);

        // One text: both logits by label and the class.
        r = Ok(Cli.Run(fx.Root, "predict", "--model", fx.Model, "--text", "a superb lovely film"));
        Assert.Matches(@"logit neg: -?\d+\.\d{6}\nlogit pos: -?\d+\.\d{6}\nclass: [01] \((neg|pos)\)", r.Stdout);
    }

    [Fact]
    public void Explain_samples_the_test_part_across_labels_with_progress_and_shows_the_prediction()
    {
        var outDir = fx.Fresh("explain-split");
        var r = Ok(Cli.Run(fx.Root, "explain", "--model", fx.Model, "--out", outDir, "--split", "test", "--count", "4",
            "--methods", "alpha-avg,lime-unk", "--lime-samples", "200", "--lime-runs", "1", "--limit-samples", "500", "--seed", "3"));
        for (int i = 1; i <= 4; i++) Assert.Contains($"[{i}/4] reviews.csv:", r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanations.json")));
        var docs = json.RootElement.GetProperty("documents").EnumerateArray().ToList();
        Assert.Equal(4, docs.Count);
        Assert.Equal(2, docs.Count(d => d.GetProperty("label").GetString()!.EndsWith("(label neg)")));
        Assert.Equal(2, docs.Count(d => d.GetProperty("label").GetString()!.EndsWith("(label pos)")));
        foreach (var d in docs)
        {
            var p = d.GetProperty("prediction");
            var logits = p.GetProperty("logits").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(logits[1] > logits[0] ? "pos" : "neg", p.GetProperty("label").GetString());
        }
        var html = File.ReadAllText(Path.Combine(outDir, "explanations.html"));
        Assert.Equal(4, html.Split("The model predicts ").Length - 1);
        // Same seed, same sample.
        var again = fx.Fresh("explain-split-again");
        Ok(Cli.Run(fx.Root, "explain", "--model", fx.Model, "--out", again, "--split", "test", "--count", "4", "--methods", "alpha-avg", "--no-theory", "--seed", "3"));
        using var json2 = JsonDocument.Parse(File.ReadAllText(Path.Combine(again, "explanations.json")));
        Assert.Equal(docs.Select(d => d.GetProperty("label").GetString()), json2.RootElement.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("label").GetString()));
    }

    [Fact]
    public void Explain_fits_lime_on_given_masks_with_the_given_kernel_width()
    {
        // "good bad film": three distinct words; the masks keep all, drop each word once, keep one.
        var masks = fx.Write("masks.txt", "111\n011\n101\n110\n100\n010\n001\n");
        var outDir = fx.Fresh("explain-masks");
        Ok(Cli.Run(fx.Root, "explain", "--model", fx.Model, "--out", outDir, "--text", "good bad film", "--methods", "lime-unk",
            "--lime-masks", masks, "--lime-kernel-width", "0.5", "--no-theory"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanations.json")));
        var settings = json.RootElement.GetProperty("methods").GetProperty("lime-unk").GetProperty("settings");
        Assert.Equal("7", settings.GetProperty("samples").GetString());
        Assert.Equal("1", settings.GetProperty("runs").GetString());
        Assert.Equal("0.5", settings.GetProperty("kernel_width").GetString());
        Assert.Equal(masks, settings.GetProperty("masks").GetString());
        var words = json.RootElement.GetProperty("documents")[0].GetProperty("methods").GetProperty("lime-unk").GetProperty("word_scores");
        Assert.Equal(3, words.GetArrayLength());
    }

    [Fact]
    public void A_tsv_written_without_quoting_trains_and_the_setting_is_remembered()
    {
        var sb = new StringBuilder("text\tlabel\n");
        for (int i = 0; i < 40; i++)
            sb.Append(i % 2 == 0 ? $"\"{CliFixture.Negative[i % 6]}\" as they say, a \" film\tneg\n" : $"a {CliFixture.Positive[i % 6]} film\tpos\n");
        var tsv = fx.Write("unquoted.tsv", sb.ToString());
        var model = fx.Fresh("tsv-model");
        var refused = Cli.Run(fx.Root, ["train", "--data", tsv, "--labels", "neg,pos", "--out", fx.Fresh("tsv-refused"), .. CliFixture.TinyRecipe]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("after a closing quote", refused.ErrorLines.Single());
        var r = Ok(Cli.Run(fx.Root, ["train", "--data", tsv, "--labels", "neg,pos", "--no-quoting", "--out", model, .. CliFixture.TinyRecipe]));
        Assert.Contains("train 32, validation 4, test 4", r.Stdout);
        Assert.False(JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!["training"]!["data"]!["quoting"]!.GetValue<bool>());
        // eval reads the model's data again with the recorded options: no --no-quoting needed.
        Assert.Contains("texts: 4 (", Ok(Cli.Run(fx.Root, "eval", "--model", model)).Stdout);
    }

    [Fact]
    public void Faithfulness_and_sets_have_a_quick_preset()
    {
        var outDir = fx.Fresh("faithfulness-quick");
        var r = Ok(Cli.Run(fx.Root, "faithfulness", "--model", fx.Model, "--out", outDir, "--quick", "--methods", "alpha-avg,random"));
        // --quick asks for 100 documents; the model's test part has 20.
        Assert.Contains("faithfulness test on 20 document(s), 2 method(s)", r.Stdout);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        Assert.Equal(100, summary["settings"]!["documents_requested"]!.GetValue<int>());

        var sets = fx.Fresh("sets-quick");
        r = Ok(Cli.Run(fx.Root, "sets", "--quick", "--tasks", "single", "--methods", "alpha-avg", "--out", sets));
        var s = JsonNode.Parse(File.ReadAllText(Path.Combine(sets, "summary.json")))!["settings"]!;
        Assert.Equal(2, s["seeds"]!.GetValue<int>());
        Assert.Equal(20, s["explained_bags"]!.GetValue<int>());
        Assert.Equal(600, s["train_bags"]!.GetValue<int>());
        Assert.Equal(5, s["model"]!["epochs"]!.GetValue<int>());
    }

    [Fact]
    public void Threads_default_to_one_per_core_and_too_many_are_capped_with_a_note()
    {
        int cores = Environment.ProcessorCount;
        var r = Ok(Cli.Run(fx.Root, "doctor"));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"threads                {cores} (cores: {cores})"), r.Stdout);
        r = Ok(Cli.Run(fx.Root, "doctor", "--threads", "100000"));
        Assert.Contains($"note: --threads 100000 is more than the {cores} cores of this machine; using {cores}", r.Stderr);
        Assert.Contains($"threads                {cores} (cores: {cores})", r.Stdout);
    }
}
