using System.Globalization;
using System.Text.Json.Nodes;
using AttnXai.Common;

namespace AttnXai.Model.Pretrained;

/// <summary>Settings of <see cref="FineTuning"/> (`attnxai train --init DIR --freeze none|layers:K`).</summary>
public sealed record FineTuneOptions
{
    public BertHead Head { get; init; } = BertHead.Mean;
    /// <summary>Positions per document ([CLS] and [SEP] included); null: the checkpoint's default.</summary>
    public int? Length { get; init; }
    /// <summary>-1: nothing frozen; K &gt;= 0: the embeddings and the first K layers frozen (<c>layers:K</c>).</summary>
    public int FrozenLayers { get; init; } = -1;
    public int Epochs { get; init; } = 2;
    /// <summary>Documents per micro-batch (one forward and backward pass).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Micro-batches whose gradients are summed into one optimizer step (the step's batch is BatchSize x
    /// Accumulation documents; the loss is their mean).</summary>
    public int Accumulation { get; init; } = 1;
    /// <summary>The schedule's peak learning rate.</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Warm-up, as a fraction of the optimizer steps.</summary>
    public double Warmup { get; init; } = 0.1;
    /// <summary>AdamW's decoupled weight decay (not on biases and LayerNorm parameters, as in the standard recipe).</summary>
    public double WeightDecay { get; init; } = 0.01;
    public long Seed { get; init; } = 42;
    /// <summary>Batches cut to their longest document (false: every batch has <see cref="Length"/> positions).</summary>
    public bool DynamicPadding { get; init; } = true;
    /// <summary>Documents of similar length put in the same step (within shuffled pools of 50 steps).</summary>
    public bool Bucketing { get; init; } = true;
    /// <summary>The frozen part's outputs computed once per training document and kept (in OUT/.frozen/).</summary>
    public bool CacheFrozen { get; init; } = true;
    /// <summary>The resumable state is written every this many optimizer steps (and at every epoch's end and on a
    /// stop request).</summary>
    public int SaveEvery { get; init; } = 50;
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>"none" or "layers:K".</summary>
    public string FreezeName => FrozenLayers < 0 ? "none" : $"layers:{FrozenLayers}";

    /// <summary>"none" gives -1, "layers:K" K (K &gt;= 0); a <see cref="UserError"/> otherwise.</summary>
    public static int ParseFreeze(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "none") return -1;
        if (t.StartsWith("layers:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 0) return k;
        throw new UserError($"--freeze '{text}': use encoder, none or layers:K (the embeddings and the first K layers, K >= 0)");
    }

    /// <summary>Throws a <see cref="UserError"/> naming the first bad setting; <paramref name="layers"/> is the model's
    /// layer count.</summary>
    public FineTuneOptions Validate(int layers)
    {
        if (FrozenLayers > layers)
            throw new UserError($"--freeze layers:{FrozenLayers}: the model has {layers} layers (use layers:0 to layers:{layers}, or --freeze encoder to train the head alone)");
        if (Epochs < 1) throw new UserError($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new UserError($"--batch-size must be at least 1, got {BatchSize}");
        if (Accumulation < 1) throw new UserError($"--accumulate must be at least 1, got {Accumulation}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new UserError(string.Create(CultureInfo.InvariantCulture, $"--lr must be positive, got {LearningRate}"));
        if (!(Warmup >= 0 && Warmup < 1)) throw new UserError(string.Create(CultureInfo.InvariantCulture, $"--warmup must lie in [0, 1), got {Warmup}"));
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new UserError(string.Create(CultureInfo.InvariantCulture, $"--weight-decay must be >= 0, got {WeightDecay}"));
        if (SaveEvery < 1) throw new UserError($"--save-every must be at least 1, got {SaveEvery}");
        if (EvalBatchSize < 1) throw new UserError($"--eval-batch-size must be at least 1, got {EvalBatchSize}");
        return this;
    }

    /// <summary>Every setting the trained weights depend on (a resumed run must share them all); what only changes
    /// speed or bookkeeping (the save interval, the evaluation batch, caching) is left out.</summary>
    public JsonObject ToJson() => new()
    {
        ["head"] = Head.ToString().ToLowerInvariant(),
        ["freeze"] = FreezeName,
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["accumulation"] = Accumulation,
        ["lr"] = LearningRate,
        ["warmup"] = Warmup,
        ["weight_decay"] = WeightDecay,
        ["seed"] = Seed,
        ["dynamic_padding"] = DynamicPadding,
        ["bucketing"] = Bucketing,
    };
}

/// <summary>One row of a fine-tuning's history: an epoch's training loss and accuracy (over its steps) and the
/// validation after it.</summary>
public sealed record FineTuneEpoch(int Epoch, long Steps, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>What <see cref="FineTuning.Run"/> gives: <see cref="Completed"/> false when it stopped early on request
/// (its state saved; the same call resumes it).</summary>
public sealed record FineTuneOutcome(bool Completed, long Steps, long TotalSteps, IReadOnlyList<FineTuneEpoch> History, int BestEpoch,
    double ValidationAccuracy, double TestAccuracy, double Seconds, double FrozenCacheSeconds);
