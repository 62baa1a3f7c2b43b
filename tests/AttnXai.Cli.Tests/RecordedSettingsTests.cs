using System.Text.Json;

namespace AttnXai.Cli.Tests;

/// <summary>
/// Every setting explain records is the one that was used, for each model kind: the paper's model (its exact fast path
/// for perturbations, or the generic forward with --generic) and a Transformer (the generic forward always, the theory
/// off with a note, G-avg flagged zero by construction with the reason).
/// </summary>
public sealed class RecordedSettingsTests(CliFixture fx) : IClassFixture<CliFixture>
{
    private static readonly string[] Methods = ["--methods", "G-avg,IG,lime-delete,occlusion-unk", "--lime-samples", "60", "--lime-runs", "2", "--lime-kernel-width", "7",
        "--seed", "5", "--ig-steps", "6", "--aggregation", "max"];

    private static JsonElement Explain(CliFixture fx, string model, string name, params string[] extra)
    {
        var outDir = fx.Fresh(name);
        var r = Cli.Run(fx.Root, ["explain", "--model", model, "--out", outDir, "--text", "good film bad plot good", .. Methods, .. extra]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanations.json"))).RootElement.Clone();
    }

    private static void CommonSettings(JsonElement json)
    {
        var s = json.GetProperty("settings");
        Assert.Equal("G-avg,IG,lime-delete,occlusion-unk", s.GetProperty("methods").GetString());
        Assert.Equal("60", s.GetProperty("lime_samples").GetString());
        Assert.Equal("2", s.GetProperty("lime_runs").GetString());
        Assert.Equal("7", s.GetProperty("lime_kernel_width").GetString());
        Assert.Equal("5", s.GetProperty("seed").GetString());
        Assert.Equal("max", s.GetProperty("word_aggregation").GetString());
        var m = json.GetProperty("methods");
        Assert.Equal("6", m.GetProperty("IG").GetProperty("settings").GetProperty("steps").GetString());
        Assert.Equal("60", m.GetProperty("lime-delete").GetProperty("settings").GetProperty("samples").GetString());
        Assert.Equal("2", m.GetProperty("lime-delete").GetProperty("settings").GetProperty("runs").GetString());
    }

    [Fact]
    public void The_paper_model_records_the_fast_path_and_with_generic_the_generic_forward()
    {
        var fast = Explain(fx, fx.Model, "recorded-paper", "--no-theory");
        CommonSettings(fast);
        Assert.Equal("fast (exact closed form)", fast.GetProperty("settings").GetProperty("perturbation_path").GetString());
        Assert.Equal("off", fast.GetProperty("settings").GetProperty("theory").GetString());
        Assert.False(fast.GetProperty("settings").TryGetProperty("zero_by_construction", out _));
        Assert.False(fast.GetProperty("methods").GetProperty("G-avg").TryGetProperty("zero_by_construction", out _));

        var generic = Explain(fx, fx.Model, "recorded-paper-generic", "--generic", "--limit-samples", "100");
        CommonSettings(generic);
        Assert.Equal("generic batched forward", generic.GetProperty("settings").GetProperty("perturbation_path").GetString());
        Assert.StartsWith("on (large-sample limit: 100 samples", generic.GetProperty("settings").GetProperty("theory").GetString());
    }

    [Fact]
    public void A_Transformer_records_the_generic_forward_no_theory_and_flags_G_avg()
    {
        var model = fx.Fresh("recorded-transformer-model");
        var train = Cli.Run(fx.Root, "train", "--data", fx.Data, "--labels", "neg,pos", "--out", model, "--arch", "transformer", "--layers", "1", "--heads", "2",
            "--dim", "8", "--head-dim", "4", "--ff", "16", "--length", "24", "--epochs", "1", "--lr", "0.01", "--plain");
        Assert.True(train.ExitCode == 0, train.ToString());
        var outDir = fx.Fresh("recorded-transformer");
        var r = Cli.Run(fx.Root, ["explain", "--model", model, "--out", outDir, "--text", "good film bad plot good", .. Methods]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("note: G-avg is zero by construction on this model (", r.Stderr);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanations.json"))).RootElement;
        CommonSettings(json);
        var s = json.GetProperty("settings");
        Assert.Equal("generic batched forward", s.GetProperty("perturbation_path").GetString());
        Assert.Equal("off", s.GetProperty("theory").GetString());
        Assert.Contains("LayerNorm", json.GetProperty("methods").GetProperty("G-avg").GetProperty("zero_by_construction").GetString());
        Assert.False(json.GetProperty("methods").GetProperty("IG").TryGetProperty("zero_by_construction", out _));
        Assert.Contains("zero by construction", File.ReadAllText(Path.Combine(outDir, "explanations.html")).Replace("zero_by_construction", "zero by construction"));
    }
}
