using System.Text.Json.Nodes;
using AttnXai.Data.Batching;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>Tiny generated data: the label is 1 when the document holds more "good" (2) than "bad" (3) tokens.</summary>
internal static class Synthetic
{
    public static readonly ModelConfig Config = new(VocabSize: 20, EmbedDim: 8, AttDim: 4, OutDim: 4, Heads: 2, Length: 12);

    public static Vocabulary Vocabulary() =>
        AttnXai.Data.Text.Vocabulary.FromTokens(new[] { "[cls]", "UNK", "good", "bad" }.Concat(Enumerable.Range(4, 16).Select(i => $"w{i}")));

    public static EncodedDataset Data(int count, int seed, int length = 12, bool mask = false)
    {
        var rng = new System.Random(seed);
        var ids = new long[count * length];
        var m = mask ? new bool[count * length] : null;
        var labels = new long[count];
        var words = new int[count];
        for (int i = 0; i < count; i++)
        {
            int n = rng.Next(3, length);
            int score = 0;
            ids[i * length] = 0;
            for (int t = 1; t < length; t++)
            {
                long id = t <= n ? rng.Next(2, 20) : 1;
                if (t <= n && id == 2) score++;
                if (t <= n && id == 3) score--;
                ids[i * length + t] = id;
                if (m != null) m[i * length + t] = t <= n;
            }
            if (m != null) m[i * length] = true;
            labels[i] = score > 0 || (score == 0 && rng.Next(2) == 0) ? 1 : 0;
            words[i] = n;
        }
        return new EncodedDataset(ids, labels, length, m, words, new int[count], new bool[count]);
    }
}

public class TrainingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnxai-model-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static readonly TrainingOptions Options = new() { Epochs = 4, BatchSize = 8, LearningRate = 5e-3, Seed = 7, EvalBatchSize = 32 };

    private static Trainer MakeTrainer(TrainingOptions options, string? output, ModelConfig? config = null) =>
        new(config ?? Synthetic.Config, options, Synthetic.Data(100, 1), Synthetic.Data(40, 2), Synthetic.Data(30, 3), output)
        {
            Vocabulary = Synthetic.Vocabulary(),
            DataSettings = new JsonObject { ["source"] = "synthetic" },
        };

    private static Dictionary<string, byte[]> Bytes(AttentionClassifier m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => System.Runtime.InteropServices.MemoryMarshal.AsBytes(kv.Value.ToArray<float>().AsSpan()).ToArray());

    [Fact]
    public void KillAndResumeEndsWithBitwiseTheSameWeights()
    {
        // Uninterrupted: 4 epochs.
        var straight = MakeTrainer(Options, Path.Combine(_dir, "straight")).Run();
        using var a = straight.Paper;
        // "Killed" after 2 epochs, then a new trainer resumes to 4.
        var partDir = Path.Combine(_dir, "resumed");
        MakeTrainer(Options with { Epochs = 2 }, partDir).Run().Model.Dispose();
        Assert.True(Trainer.HasResumableState(partDir));
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(Path.Combine(partDir, "last", "state.json")))!["epoch"]!.GetValue<int>());
        var resumed = MakeTrainer(Options, partDir).Run();
        using var b = resumed.Paper;
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(straight.BestEpoch, resumed.BestEpoch);
        Assert.Equal(straight.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));
        Assert.Equal(straight.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        var ba = Bytes(a);
        var bb = Bytes(b);
        foreach (var (k, v) in ba) Assert.True(v.AsSpan().SequenceEqual(bb[k]), $"tensor {k} differs");
        // The last-epoch weights too (not only the best ones).
        var la = File.ReadAllBytes(Path.Combine(_dir, "straight", "last", "model.safetensors"));
        var lb = File.ReadAllBytes(Path.Combine(partDir, "last", "model.safetensors"));
        Assert.Equal(la, lb);
        // Training changed the weights and learned something.
        using var init = new AttentionClassifier(Synthetic.Config, Options.Seed);
        Assert.False(Bytes(init)["W_v"].AsSpan().SequenceEqual(ba["W_v"]));
        Assert.True(straight.History[^1].TrainLoss < straight.History[0].TrainLoss);
        // metrics.csv has a header and one row per epoch.
        var csv = File.ReadAllLines(Path.Combine(partDir, "metrics.csv"));
        Assert.Equal("epoch,train_loss,train_acc,val_loss,val_acc,seconds", csv[0]);
        Assert.Equal(5, csv.Length);
    }

    [Fact]
    public void ResumingWithOtherSettingsIsRefused()
    {
        var dir = Path.Combine(_dir, "other");
        MakeTrainer(Options with { Epochs = 1 }, dir).Run().Model.Dispose();
        var e = Assert.Throws<ArgumentException>(() => MakeTrainer(Options with { LearningRate = 1e-2 }, dir).Run());
        Assert.Contains("other training settings", e.Message);
        Assert.Throws<ArgumentException>(() => MakeTrainer(Options, dir, Synthetic.Config with { Heads = 3 }).Run());
    }

    [Fact]
    public void DivergenceStopsAtTheStepAndKeepsTheLastCompletedEpoch()
    {
        // lr 1e4 blows the weights up within a few steps: the loss turns infinite or NaN.
        var dir = Path.Combine(_dir, "diverged");
        var e = Assert.Throws<TrainingDivergedException>(() => MakeTrainer(Options with { LearningRate = 1e4, Epochs = 3 }, dir).Run());
        Assert.Matches(@"^training diverged at epoch 1, batch \d+ \(step \d+\): the (training|validation) loss (after the epoch )?is (NaN|∞|-∞|Infinity); lower --lr \(now 10000\); nothing was written \(no epoch completed\)$", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "last.tmp")));
        Assert.False(File.Exists(Path.Combine(dir, "config.json")));

        // After a completed epoch its state stays: epoch 1 at a sane rate, then the same run "continues" with a rate
        // that diverges (the resume check compares every setting but the epochs, so change it in the saved state).
        MakeTrainer(Options with { Epochs = 1 }, dir).Run().Model.Dispose();
        var state = Path.Combine(dir, "last", "state.json");
        var before = File.ReadAllBytes(Path.Combine(dir, "last", "model.safetensors"));
        var json = JsonNode.Parse(File.ReadAllText(state))!.AsObject();
        json["training"]!["learning_rate"] = 1e4;
        File.WriteAllText(state, json.ToJsonString());
        e = Assert.Throws<TrainingDivergedException>(() => MakeTrainer(Options with { LearningRate = 1e4, Epochs = 4 }, dir).Run());
        Assert.Contains($"the state after epoch 1 is kept in {Path.Combine(dir, "last")}", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "last", "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(dir, "last.tmp")));
    }

    [Fact]
    public void BestValidationCheckpointIsKept()
    {
        var r = MakeTrainer(Options with { Epochs = 3 }, null).Run();
        using var m = r.Model;
        var best = r.History.MaxBy(h => h.ValidationAccuracy)!;
        Assert.Equal(best.Epoch, r.BestEpoch);
        Assert.Equal(best.ValidationAccuracy, r.Validation.Accuracy, 12);
        Assert.NotNull(r.Test);
        Assert.Equal(30, r.Test!.Count);
    }

    [Fact]
    public void TrainingLeavesNoLiveTensors()
    {
        GC.Collect(); GC.WaitForPendingFinalizers();
        long before = TorchEngine.LiveTensors;
        var r = MakeTrainer(Options with { Epochs = 2 }, Path.Combine(_dir, "leak")).Run();
        r.Model.Dispose();
        var r2 = MakeTrainer(Options with { Epochs = 1, MaxSteps = 3 }, null).Run();
        r2.Model.Dispose();
        using (var loaded = ModelCheckpoint.Load(Path.Combine(_dir, "leak"))) { }
        Assert.Equal(before, TorchEngine.LiveTensors);
    }
}
