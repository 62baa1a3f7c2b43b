using System.Text.Json.Nodes;
using AttnXai.Explain.Explainers;
using AttnXai.Sets.Tasks;
using AttnXai.Sets.Training;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Sets.Benchmark;

/// <summary>Every setting of a set benchmark run (the CLI's options; all written to summary.json).</summary>
public sealed record SetBenchmarkSettings
{
    public IReadOnlyList<SetTask> Tasks { get; init; } = SetTask.All;
    /// <summary>M: models trained per task (seeds Seed, Seed + 1, ..., Seed + M - 1), ensembled.</summary>
    public int Seeds { get; init; } = 5;
    public int TrainBags { get; init; } = 2000;
    public int ValidationBags { get; init; } = 500;
    /// <summary>Bags for test accuracy; the first <see cref="Bags"/> of them are explained.</summary>
    public int TestBags { get; init; } = 1000;
    /// <summary>Bags explained and scored per model.</summary>
    public int Bags { get; init; } = 100;
    /// <summary>Explainer names (see <see cref="ExplainerRegistry"/>, the random baseline included), or "all" (every
    /// explainer, then random).</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["all"];
    /// <summary>Seeds the bags (per task and split), the models (Seed + m) and the sampling explainers.</summary>
    public long Seed { get; init; } = 1;
    /// <summary>A model is a silent failure for a method when its test accuracy is at least this...</summary>
    public double AccuracyThreshold { get; init; } = 0.95;
    /// <summary>... while the method's mean per-bag AUROC is below this.</summary>
    public double AurocThreshold { get; init; } = 0.75;
    /// <summary>The explainers' settings, taken whole (the methods' defaults: LIME as the authors ran it, 5 runs of 5000
    /// samples); the benchmark sets both removal modes and the seed itself.</summary>
    public ExplainerSettings Explainers { get; init; } = new();
    public BagOptions Bag { get; init; } = new();
    public SetModelOptions Model { get; init; } = new();

    /// <summary>
    /// The --quick preset, a smoke run of a minute or so on two cores: 2 seeds, 600 / 150 / 200 train / validation /
    /// test bags, 20 explained, 5 epochs, LIME 1 run of 1000 samples, KernelSHAP 512 samples, IG 32 steps.
    /// </summary>
    public static SetBenchmarkSettings Quick => new()
    {
        Seeds = 2, TrainBags = 600, ValidationBags = 150, TestBags = 200, Bags = 20,
        Explainers = new() { LimeSamples = 1000, LimeRuns = 1, ShapSamples = 512, IgSteps = 32 },
        Model = new SetModelOptions { Epochs = 5 },
    };

    /// <summary>Throws ArgumentException naming the first bad setting (as its CLI option).</summary>
    public SetBenchmarkSettings Validate()
    {
        if (Tasks.Count == 0) throw new ArgumentException("--tasks: no task chosen");
        if (Seeds < 1) throw new ArgumentException($"--seeds must be at least 1, got {Seeds}");
        if (TrainBags < 2) throw new ArgumentException($"--train-bags must be at least 2, got {TrainBags}");
        if (ValidationBags < 1) throw new ArgumentException($"--val-bags must be at least 1, got {ValidationBags}");
        if (TestBags < 1) throw new ArgumentException($"--test-bags must be at least 1, got {TestBags}");
        if (Bags < 1) throw new ArgumentException($"--bags must be at least 1, got {Bags}");
        if (Bags > TestBags) throw new ArgumentException($"--bags ({Bags}) must be at most --test-bags ({TestBags}): the explained bags are the first test bags");
        if (Seed < 0) throw new ArgumentException($"--seed must be non-negative, got {Seed}");
        if (!(AccuracyThreshold is >= 0 and <= 1)) throw new ArgumentException($"--accuracy-threshold must lie in [0, 1], got {AccuracyThreshold}");
        if (!(AurocThreshold is >= 0 and <= 1)) throw new ArgumentException($"--auroc-threshold must lie in [0, 1], got {AurocThreshold}");
        Explainers.Validate();
        if (Model.Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Model.Epochs}");
        if (Model.BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {Model.BatchSize}");
        if (!(Model.LearningRate > 0)) throw new ArgumentException($"--lr must be positive, got {Model.LearningRate}");
        if (Model.EmbedDim < 1 || Model.AttDim < 1 || Model.OutDim < 1 || Model.Heads < 1)
            throw new ArgumentException($"--embed-dim, --att-dim, --out-dim and --heads must be positive, got {Model.EmbedDim}, {Model.AttDim}, {Model.OutDim}, {Model.Heads}");
        Bag.Validate();
        MethodNames(); // unknown names fail here, before any training
        return this;
    }

    /// <summary>The methods in report order: as given ("all": every catalogue method, the random baseline last).</summary>
    public IReadOnlyList<string> MethodNames() => [.. ParseMethods().Select(e => e.Name)];

    /// <summary>The catalogue's explainers of <see cref="Methods"/> (comma lists allowed), the random baseline included when named or with "all".</summary>
    public IReadOnlyList<IExplainer> ParseMethods(ulong explainerSeed = 0)
    {
        var names = Methods.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count == 0) throw new ArgumentException("--methods: no method chosen (an empty list)");
        try { return ExplainerRegistry.Create(names, ExplainerSettings(explainerSeed), allIncludesBaselines: true); }
        catch (ArgumentException e) { throw new ArgumentException($"--methods: {e.Message}", e); }
    }

    /// <summary>The registry's settings: both removal modes (delete and in-place UNK), and this run's sample counts.</summary>
    public ExplainerSettings ExplainerSettings(ulong seed) => Explainers with
    {
        Removals = [Explain.Perturbation.RemovalMode.Delete, Explain.Perturbation.RemovalMode.ReplaceWithUnk],
        Seed = seed,
    };

    public JsonObject ToJson() => new()
    {
        ["tasks"] = new JsonArray(Tasks.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["rule"] = t.Rule, ["keys"] = t.Keys }).ToArray()),
        ["seeds"] = Seeds,
        ["model_seeds"] = $"{Seed} .. {Seed + Seeds - 1}",
        ["train_bags"] = TrainBags,
        ["validation_bags"] = ValidationBags,
        ["test_bags"] = TestBags,
        ["explained_bags"] = Bags,
        ["methods"] = new JsonArray(MethodNames().Select(m => (JsonNode)m).ToArray()),
        ["seed"] = Seed,
        ["accuracy_threshold"] = AccuracyThreshold,
        ["auroc_threshold"] = AurocThreshold,
        ["lime_samples"] = Explainers.LimeSamples,
        ["lime_runs"] = Explainers.LimeRuns,
        ["shap_samples"] = Explainers.ShapSamples,
        ["ig_steps"] = Explainers.IgSteps,
        ["removal_modes"] = "delete, unk",
        ["bags"] = new JsonObject
        {
            ["min_tokens"] = Bag.MinTokens, ["max_tokens"] = Bag.MaxTokens, ["length"] = Bag.Length, ["fillers"] = Bag.Fillers,
            ["max_key_count"] = Bag.MaxKeyCount, ["count_k"] = Bag.CountK,
        },
        ["model"] = new JsonObject
        {
            ["embed_dim"] = Model.EmbedDim, ["att_dim"] = Model.AttDim, ["out_dim"] = Model.OutDim, ["heads"] = Model.Heads,
            ["position_encoding"] = Model.PositionEncoding, ["padding_mask"] = Model.PaddingMask,
            ["epochs"] = Model.Epochs, ["batch_size"] = Model.BatchSize, ["learning_rate"] = Model.LearningRate, ["weight_decay"] = Model.WeightDecay,
            ["optimizer"] = "AdamW", ["checkpoint_selection"] = "best validation accuracy",
        },
        ["ensemble"] = "per bag, the mean over models of each model's scores divided by their max |score| in the bag (abs variant: of |scores|)",
        ["auroc"] = "Mann-Whitney probability that a key outscores a non-key, ties counted 1/2; mean over bags with key and non-key tokens, and pooled over all tokens",
        ["auprc"] = "average precision: sum over distinct thresholds of (recall increase) x precision, tied scores entering together",
        ["silent_failure"] = "test accuracy >= accuracy_threshold and mean per-bag AUROC < auroc_threshold",
    };
}
