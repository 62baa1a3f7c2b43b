using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>The training recipe; defaults are the paper's (AdamW lr 1e-4, weight decay 0.01, batch 16, 10 epochs, seed 42).</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;

    /// <summary>Seeds the initial weights (torch.manual_seed) and the batch order (epoch e's order depends only on (Seed, e)).</summary>
    public long Seed { get; init; } = 42;

    public int EvalBatchSize { get; init; } = Evaluation.DefaultBatchSize;

    /// <summary>Drop the last, shorter batch of an epoch (irrelevant for 20,000 / 16).</summary>
    public bool DropLast { get; init; } = true;

    public Device? Device { get; init; }
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Stop after this many optimizer steps in total (tests and benchmarks; null = whole epochs).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Throws ArgumentException naming the option of `attnxai train` that sets the bad value.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}");
        if (EvalBatchSize < 1) throw new ArgumentException($"--eval-batch-size must be at least 1, got {EvalBatchSize}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be a positive number, got {LearningRate}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentException($"--weight-decay must be 0 or more, got {WeightDecay}");
        if (MaxSteps is < 1) throw new ArgumentException($"max steps must be positive, got {MaxSteps}");
    }

    /// <summary>The settings a resumed run must share with the run it continues (everything but the epoch count).</summary>
    internal JsonObject ToJson() => new()
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["optimizer"] = "AdamW",
        ["learning_rate"] = LearningRate,
        ["weight_decay"] = WeightDecay,
        ["beta1"] = Beta1,
        ["beta2"] = Beta2,
        ["eps"] = Eps,
        ["seed"] = Seed,
        ["eval_batch_size"] = EvalBatchSize,
        ["drop_last"] = DropLast,
        ["dtype"] = DType == ScalarType.Float64 ? "float64" : "float32",
        ["checkpoint_selection"] = "best validation accuracy (first epoch on ties)",
    };
}
