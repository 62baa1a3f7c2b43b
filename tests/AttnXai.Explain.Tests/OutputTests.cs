using System.Text.Json;
using System.Xml.Linq;
using AttnXai.Common.IO;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Output;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

public class OutputTests
{
    [Fact]
    public void Writers_ProduceJsonCsvAndEscapedHtml_WithoutNaN()
    {
        using var model = SmallModels.Create(8);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 <b>w3</b> & w2 \"w4\"", "a<b>&c"), target.Prepare("qqq rrr") };
        var settings = new ExplainerSettings { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk], LimeSamples = 300, LimeRuns = 2, IgSteps = 8 };
        var run = ExplainRun.Run(target, docs, ExplainerRegistry.Create(["all"], settings),
            new StudyOptions { Explainers = settings, LimitSamples = 5000 }, new Dictionary<string, string> { ["k"] = "<v>" });
        var dir = Path.Combine(Path.GetTempPath(), "attnxai-explain-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = ExplanationWriters.WriteAll(dir, run, model.Config);
            Assert.Equal(5, paths.Count);
            var json = File.ReadAllText(Path.Combine(dir, "explanations.json"));
            Assert.DoesNotContain("NaN", json);
            using var parsed = JsonDocument.Parse(json);
            var d0 = parsed.RootElement.GetProperty("documents")[0];
            Assert.Equal(6, d0.GetProperty("tokens").GetArrayLength());   // cleaned: w2 b w3 b w2 w4
            Assert.True(d0.GetProperty("methods").TryGetProperty("lime-unk", out _));
            Assert.True(d0.GetProperty("theory").GetProperty("lime").TryGetProperty("delete", out _));
            var html = File.ReadAllText(Path.Combine(dir, "explanations.html"));
            Assert.DoesNotContain("<b>", html);
            Assert.Contains("a&lt;b&gt;&amp;c", html);
            XDocument.Parse(html.Replace("<!DOCTYPE html>", ""));   // well-formed
            var words = File.ReadAllLines(Path.Combine(dir, "words.csv"));
            Assert.Equal("doc,label,word_index,word,method,score", words[0]);
            Assert.Contains(words, l => l.Contains(",theorem-5.1,"));
            Assert.DoesNotContain("NaN", File.ReadAllText(Path.Combine(dir, "tokens.csv")));
            Assert.DoesNotContain("NaN", File.ReadAllText(Path.Combine(dir, "agreement.csv")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void ManyDocumentsArePagedWithAnIndexAndThePredictionsAreShown()
    {
        using var model = SmallModels.Create(8);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        int n = ExplanationWriters.PageSize + 3;
        var docs = Enumerable.Range(0, n).Select(i => target.Prepare($"w{2 + i % 5} w{3 + i % 4}", $"doc{i}")).ToArray();
        var run = ExplainRun.Run(target, docs, ExplainerRegistry.Create(["alpha-avg"]), null);
        var predictions = docs.Select((d, i) => new DocumentPrediction([0.25 * i, -0.5], i % 2, ["neg", "pos"])).ToList();
        var dir = Path.Combine(Path.GetTempPath(), "attnxai-explain-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = ExplanationWriters.WriteAll(dir, run, model.Config, predictions);
            Assert.Equal(["explanations.json", "tokens.csv", "words.csv", "explanations.html", "explanations-001.html", "explanations-002.html"],
                paths.Select(Path.GetFileName));
            var index = File.ReadAllText(Path.Combine(dir, "explanations.html"));
            XDocument.Parse(index.Replace("<!DOCTYPE html>", ""));
            Assert.Contains($"href=\"explanations-002.html#doc-{n - 1}\"", index);
            Assert.Contains("pos (logits neg 0.25, pos -0.5)", index);
            var page1 = File.ReadAllText(Path.Combine(dir, "explanations-001.html"));
            var page2 = File.ReadAllText(Path.Combine(dir, "explanations-002.html"));
            Assert.Contains("id=\"doc-0\"", page1);
            Assert.DoesNotContain($"id=\"doc-{ExplanationWriters.PageSize}\"", page1);
            Assert.Contains($"id=\"doc-{ExplanationWriters.PageSize}\"", page2);
            Assert.Contains("The model predicts neg (logits neg 0, pos -0.5).", page1);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "explanations.json")));
            var p1 = json.RootElement.GetProperty("documents")[1].GetProperty("prediction");
            Assert.Equal("pos", p1.GetProperty("label").GetString());
            Assert.Equal(0.25, p1.GetProperty("logits")[0].GetDouble());
            Assert.Throws<ArgumentException>(() => ExplanationWriters.WriteAll(dir, run, model.Config, predictions.Take(3).ToList()));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}

/// <summary>A fact that runs only when the trained paper model is in runs/paper-model.</summary>
public sealed class PaperModelFactAttribute : FactAttribute
{
    public static string? ModelDir
    {
        get
        {
            var root = RepoPaths.FindRepoRoot();
            var dir = root is null ? null : Path.Combine(root, "runs", "paper-model");
            return dir is not null && File.Exists(Path.Combine(dir, ModelCheckpoint.ConfigFile)) && File.Exists(Path.Combine(dir, ModelCheckpoint.WeightsFile)) ? dir : null;
        }
    }

    public PaperModelFactAttribute()
    {
        if (ModelDir is null) Skip = "runs/paper-model (a trained checkpoint: attnxai train --out runs/paper-model) is not there";
    }
}

public class PaperModelTests
{
    [PaperModelFact]
    public void Theorem41_EqualsAutograd_OnTheTrainedModel()
    {
        using var loaded = ModelCheckpoint.Load(PaperModelFactAttribute.ModelDir!);
        var target = new ExplainTarget(loaded.Model, loaded.Vocabulary);
        var doc = target.Prepare("attention based explanations are popular but questionable");
        var r = DocumentStudy.Run(target, doc, new StudyOptions { Explainers = new() { LimeRuns = 0 } });
        double tol = loaded.Model.DType == TorchSharp.torch.ScalarType.Float64 ? 1e-10 : 1e-4;
        Assert.True(r.GradientAgreement.ClsMaxRelError < tol, $"[CLS] {r.GradientAgreement.ClsMaxRelError:E2}");
        Assert.True(r.GradientAgreement.WordsMaxRelError < tol, $"words {r.GradientAgreement.WordsMaxRelError:E2}");
        Assert.True(r.GradientAgreement.PaddingMaxRelError < tol, $"padding {r.GradientAgreement.PaddingMaxRelError:E2}");
        Assert.True(r.GradientAgreement.AuthorsClsMaxRelError > 10 * tol);
    }
}
