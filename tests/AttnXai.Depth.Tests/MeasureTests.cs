using AttnXai.Model;

namespace AttnXai.Depth.Tests;

/// <summary>The agreement measures on hand-worked vectors, model names, reused folders and settings checks.</summary>
public sealed class MeasureTests
{
    [Fact]
    public void Agreement_is_Spearman_and_top_k_overlap_of_the_magnitudes()
    {
        // |a| = 3 1 0.5 4 2 has ranks 4 2 1 5 3; b's ranks are 1 2 3 4 5: d = 3 0 -2 1 -2, sum d^2 = 18,
        // rho = 1 - 6 * 18 / (5 * 24) = 0.1. k = ceil(0.4 * 5) = 2: top-2 of |a| {3, 0}, of b {4, 3}: overlap 1/2.
        var (k, rho, topk) = DocumentMeasures.Agree([3, -1, 0.5, -4, 2], [1, 2, 3, 4, 5], 0.4);
        Assert.Equal(2, k);
        Assert.Equal(0.1, rho, 12);
        Assert.Equal(0.5, topk, 12);
        // Signs do not matter; k at least 1; ties share ranks (|b| = 1 1 2: ranks 1.5 1.5 3 against 1 2 3: rho = sqrt(3)/2).
        var (k1, rho1, top1) = DocumentMeasures.Agree([1, 2, 3], [-1, 1, -2], 0.01);
        Assert.Equal(1, k1);
        Assert.Equal(Math.Sqrt(3) / 2, rho1, 12);
        Assert.Equal(1.0, top1, 12);
        // One word: no correlation, full overlap.
        var (_, rho2, top2) = DocumentMeasures.Agree([5], [-2], 0.1);
        Assert.True(double.IsNaN(rho2));
        Assert.Equal(1.0, top2);
    }

    [Theory]
    [InlineData("paper", null)]
    [InlineData("transformer-1", 1)]
    [InlineData("Transformer-6", 6)]
    public void Model_names_parse(string name, int? layers)
    {
        var m = DepthModel.Parse(name, "dir");
        Assert.Equal(layers, m.Layers);
        Assert.Equal("dir", m.Directory);
        Assert.Equal(name.ToLowerInvariant(), m.Name);
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("transformer-0")]
    [InlineData("transformer-x")]
    [InlineData("bert")]
    public void Bad_model_names_are_refused(string name) =>
        Assert.Contains($"unknown model name '{name}'", Assert.Throws<ArgumentException>(() => DepthModel.Parse(name)).Message);

    [Fact]
    public void A_reused_folder_must_hold_the_model_its_name_says()
    {
        using var tmp = new TempFolder();
        var vocab = AttnXai.Data.Text.Vocabulary.FromTokens(["[cls]", "UNK", "a", "b"]);
        var paperDir = Path.Combine(tmp.Path, "paper");
        var t2Dir = Path.Combine(tmp.Path, "t2");
        var paperConfig = new ModelConfig(4, 8, 4, 4, 2, 6);
        using (var p = new AttentionClassifier(paperConfig, 1))
            ModelCheckpoint.Save(paperDir, p, paperConfig, vocab, "basic_english", 1);
        var t2Config = new TransformerConfig(4, 8, 2, 4, 2, 16, 0, 6);
        using (var t = new TransformerClassifier(t2Config, 1))
            ModelCheckpoint.Save(t2Dir, t, t2Config, vocab, "basic_english", 1);

        DepthStudy.CheckReused(DepthModel.Parse("paper", paperDir));
        DepthStudy.CheckReused(DepthModel.Parse("transformer-2", t2Dir));
        var e = Assert.Throws<InvalidDataException>(() => DepthStudy.CheckReused(DepthModel.Parse("transformer-2", paperDir)));
        Assert.Contains($"transformer-2={paperDir}", e.Message);
        Assert.Contains("asks for a Transformer of 2 layers", e.Message);
        e = Assert.Throws<InvalidDataException>(() => DepthStudy.CheckReused(DepthModel.Parse("transformer-4", t2Dir)));
        Assert.Contains("Transformer: 2 layers", e.Message);
        Assert.Contains("asks for a Transformer of 4 layers", e.Message);
        e = Assert.Throws<InvalidDataException>(() => DepthStudy.CheckReused(DepthModel.Parse("paper", t2Dir)));
        Assert.Contains("asks for the paper's model", e.Message);
        // The stage settings name the reused folder's weights, so a folder retrained in place is noticed.
        var settings = new DepthSettings { OutputDirectory = tmp.Path, Models = [DepthModel.Parse("paper", paperDir)] };
        string before = DepthStudy.StageSettings(settings, "measure-paper")["model"];
        Assert.Contains(Path.GetFullPath(paperDir), before);
        using (var p = new AttentionClassifier(paperConfig, 2))
            ModelCheckpoint.Save(paperDir, p, paperConfig, vocab, "basic_english", 2);
        Assert.NotEqual(before, DepthStudy.StageSettings(settings, "measure-paper")["model"]);
        Assert.Contains("no such model folder", Assert.Throws<IOException>(() => DepthStudy.CheckReused(DepthModel.Parse("paper", Path.Combine(tmp.Path, "none")))).Message);
    }

    [Fact]
    public void Settings_are_checked_before_any_work()
    {
        var s = new DepthSettings { OutputDirectory = "x" };
        Assert.Contains("--docs must be at least 1", Assert.Throws<ArgumentException>(() => (s with { Docs = 0 }).Validate()).Message);
        Assert.Contains("unknown explainer 'bogus'", Assert.Throws<ArgumentException>(() => (s with { Methods = ["bogus", "random"] }).Validate()).Message);
        Assert.Contains("must include random", Assert.Throws<ArgumentException>(() => (s with { Methods = ["alpha-avg"] }).Validate()).Message);
        Assert.Contains("two models are named 'paper'",
            Assert.Throws<ArgumentException>(() => (s with { Models = [DepthModel.Paper(), DepthModel.Paper("d")] }).Validate()).Message);
        s.Validate();
    }
}

/// <summary>A fresh folder under the system's temporary folder, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "attnxai-depth-" + Guid.NewGuid().ToString("N"));
    public TempFolder() => Directory.CreateDirectory(Path);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
