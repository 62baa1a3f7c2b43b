using System.Text.Json.Nodes;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>The Transformer through the project's trainer and checkpoints: it learns, saves its architecture, loads
/// back to the same outputs, and an interrupted run with dropout resumes to bitwise the same weights.</summary>
public class TransformerTrainingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnxai-transformer-training-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static readonly TransformerConfig Tiny = new(VocabSize: 20, ModelDim: 8, Heads: 2, HeadDim: 4, Layers: 2, FeedForwardDim: 16,
        Dropout: 0.1, Length: 12);

    private static readonly TrainingOptions Options = new() { Epochs = 4, BatchSize = 8, LearningRate = 1e-2, Seed = 7, EvalBatchSize = 32 };

    private static Trainer MakeTrainer(TrainingOptions options, string output) =>
        new(Tiny, options, Synthetic.Data(100, 1), Synthetic.Data(40, 2), Synthetic.Data(30, 3), output)
        {
            Vocabulary = Synthetic.Vocabulary(),
            DataSettings = new JsonObject { ["source"] = "synthetic" },
        };

    private static Dictionary<string, byte[]> Bytes(ITextClassifier m) =>
        m.Module.state_dict().ToDictionary(kv => kv.Key, kv => System.Runtime.InteropServices.MemoryMarshal.AsBytes(kv.Value.ToArray<float>().AsSpan()).ToArray());

    [Fact]
    public void Trains_saves_its_architecture_and_loads_back_to_the_same_outputs()
    {
        var dir = Path.Combine(_dir, "run");
        var outcome = MakeTrainer(Options, dir).Run();
        using var model = outcome.Model;
        Assert.IsType<TransformerClassifier>(model);
        Assert.True(outcome.History[^1].TrainLoss < outcome.History[0].TrainLoss,
            $"the training loss went from {outcome.History[0].TrainLoss} to {outcome.History[^1].TrainLoss}");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("transformer", json["architecture"]!.GetValue<string>());
        Assert.Equal(2, json["model"]!["layers"]!.GetValue<int>());
        using var loaded = ModelCheckpoint.Load(dir);
        Assert.IsType<TransformerClassifier>(loaded.Model);
        Assert.Equal(Tiny, loaded.Architecture);
        using var scope = NewDisposeScope();
        var ids = tensor(Synthetic.Data(10, 4).Ids, [10, 12]);
        using (no_grad())
            Assert.Equal(model.LogitsOfIds(ids, null).ToArray<float>(), loaded.Model.LogitsOfIds(ids, null).ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => loaded.Paper);
        Assert.Contains("holds a transformer model; this needs the paper's attention classifier", e.Message);
    }

    [Fact]
    public void Kill_and_resume_with_dropout_ends_with_bitwise_the_same_weights()
    {
        var straight = MakeTrainer(Options, Path.Combine(_dir, "straight")).Run();
        using var a = straight.Model;
        var partDir = Path.Combine(_dir, "resumed");
        MakeTrainer(Options with { Epochs = 2 }, partDir).Run().Model.Dispose();
        torch.manual_seed(12345);   // whatever the process drew in between, the run continues its own stream
        torch.rand([100]).Dispose();
        var resumed = MakeTrainer(Options, partDir).Run();
        using var b = resumed.Model;
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(straight.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        var ba = Bytes(a);
        var bb = Bytes(b);
        foreach (var (k, v) in ba) Assert.True(v.AsSpan().SequenceEqual(bb[k]), $"tensor {k} differs");
    }

    [Fact]
    public void Resuming_a_run_of_another_architecture_is_refused_by_name()
    {
        var dir = Path.Combine(_dir, "paper");
        new Trainer(Synthetic.Config, Options with { Epochs = 1 }, Synthetic.Data(100, 1), Synthetic.Data(40, 2), null, dir)
        { Vocabulary = Synthetic.Vocabulary() }.Run().Model.Dispose();
        File.Delete(Path.Combine(dir, "config.json"));   // an interrupted run: only last/ is left
        var e = Assert.Throws<ArgumentException>(() => MakeTrainer(Options, dir).Run());
        Assert.Contains("holds a run of another model (a attention-classifier there, a transformer now)", e.Message);
    }
}
