using System.Globalization;
using AttnXai.Common.Sharding;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Depth;

/// <summary>How the study's models are trained when they are not given: the data preparation and, per kind of
/// model, the sizes and the optimiser's settings.</summary>
public sealed record DepthRecipe
{
    /// <summary>IMDB as the paper prepares it; the final test accuracy on a seeded 5,000 of the 25,000 test reviews
    /// (enough for +-1.2 points at 95 %; evaluating all of them would cost a deep model several minutes).</summary>
    public DataOptions Data { get; init; } = new() { MaxTest = 5000 };

    /// <summary>The paper's sizes (d_e 128, d_att 64, d_out 64, K 6).</summary>
    public int EmbedDim { get; init; } = 128;
    public int AttDim { get; init; } = 64;
    public int OutDim { get; init; } = 64;
    public int PaperHeads { get; init; } = 6;

    /// <summary>The appendix's Transformer per layer (d 128, H 6, d_h 32, d_ff 512, pre-norm, dropout 0.1).</summary>
    public int ModelDim { get; init; } = 128;
    public int Heads { get; init; } = 6;
    public int HeadDim { get; init; } = 32;
    public int FeedForwardDim { get; init; } = 512;
    public double Dropout { get; init; } = 0.1;

    /// <summary>The paper's model: AdamW at 1e-3 (the paper's 1e-4 needs its 10 epochs), 2 epochs, batch 16.</summary>
    public TrainingOptions Paper { get; init; } = new() { Epochs = 2, LearningRate = 1e-3 };

    /// <summary>The Transformers: AdamW at 5e-4, one epoch, batch 16: what keeps the default study within 2 hours on 2
    /// cores (an epoch of the 6-layer model takes about 15 min there). A second epoch gave the 1-layer model 2.5 more
    /// validation points (76.5 to 79.0 %) and the 6-layer model 2.5 test points (77.7 to 80.2 %, seed 42; 80.8 % over
    /// three seeds on the same 5,000 test reviews, README): raise <see cref="TrainingOptions.Epochs"/>, or train with
    /// `attnxai train` and reuse, where accuracy matters more than time.</summary>
    public TrainingOptions Transformer { get; init; } = new() { Epochs = 1, LearningRate = 5e-4 };

    /// <summary>The smoke preset: tiny models (d 32) trained for one epoch on 1,000 reviews at L = 48.</summary>
    public static DepthRecipe Quick => new()
    {
        Data = new DataOptions { Length = 48, MaxTrain = 1000, MaxValidation = 200, MaxTest = 200 },
        EmbedDim = 32, AttDim = 16, OutDim = 16, PaperHeads = 2,
        ModelDim = 32, Heads = 2, HeadDim = 16, FeedForwardDim = 64,
        Paper = new TrainingOptions { Epochs = 1, LearningRate = 3e-3 },
        Transformer = new TrainingOptions { Epochs = 1, LearningRate = 1e-3 },
    };

    /// <summary>The architecture of a study model for a vocabulary of <paramref name="vocab"/> tokens.</summary>
    public IModelArchitecture Architecture(DepthModel model, int vocab, int classes = 2) => model.Layers is null
        ? new ModelConfig(vocab, EmbedDim, AttDim, OutDim, PaperHeads, Data.Length, classes, Data.IncludeMask, 0, 1).Validate()
        : new TransformerConfig(vocab, ModelDim, Heads, HeadDim, model.Layers.Value, FeedForwardDim, Dropout, Data.Length, classes, Data.IncludeMask).Validate();

    public TrainingOptions Training(DepthModel model) => model.Layers is null ? Paper : Transformer;

    /// <summary>One line naming everything a trained model depends on (a stage setting).</summary>
    public string Describe(DepthModel model)
    {
        var t = Training(model);
        var inv = CultureInfo.InvariantCulture;
        string sizes = model.Layers is null
            ? $"d_e {EmbedDim}, d_att {AttDim}, d_out {OutDim}, K {PaperHeads}"
            : $"{model.Layers} layers, d {ModelDim}, H {Heads}, d_h {HeadDim}, d_ff {FeedForwardDim}, dropout {Dropout.ToString(inv)}, pre-norm";
        return string.Create(inv, $"{sizes}, L {Data.Length}, {t.Epochs} epochs, batch {t.BatchSize}, AdamW lr {t.LearningRate}, weight decay {t.WeightDecay}, seed {t.Seed}, " +
            $"max train/val/test {Data.MaxTrain?.ToString(inv) ?? "all"}/{Data.MaxValidation?.ToString(inv) ?? "all"}/{Data.MaxTest?.ToString(inv) ?? "all"}");
    }
}

/// <summary>A model of the study: the paper's one-layer classifier (<see cref="Layers"/> null), a Transformer of
/// <see cref="Layers"/> layers, or a pretrained (BERT-family) classifier folder (<see cref="Pretrained"/>, always
/// reused: the study does not fine-tune); <see cref="Directory"/> set when it is reused rather than trained.</summary>
public sealed record DepthModel(string Name, int? Layers, string? Directory = null, bool Pretrained = false)
{
    public const string PaperName = "paper";

    public static DepthModel Paper(string? directory = null) => new(PaperName, null, directory);

    public static DepthModel Transformer(int layers, string? directory = null) =>
        layers >= 1 ? new($"transformer-{layers}", layers, directory) : throw new ArgumentException($"a Transformer needs at least one layer, got {layers}");

    /// <summary>A pretrained classifier folder (a Hugging Face BERT/DistilBERT folder, e.g. a fine-tuned MiniLM) under
    /// a name of its own.</summary>
    public static DepthModel OfPretrained(string name, string directory) => new(name, null, directory, Pretrained: true);

    /// <summary>The model a name denotes: "paper" or "transformer-N" (N at least 1); with a
    /// <paramref name="directory"/> that is a Hugging Face checkpoint folder, any other name (letters, digits, '-',
    /// '_', '.') names a pretrained model. ArgumentException otherwise.</summary>
    public static DepthModel Parse(string name, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim().ToLowerInvariant();
        if (n == PaperName) return Paper(directory);
        const string prefix = "transformer-";
        if (n.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(n.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int layers) && layers >= 1)
            return Transformer(layers, directory);
        if (directory is not null && Model.Pretrained.HfCheckpoint.IsCheckpointFolder(directory))
        {
            if (n.Length == 0 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new ArgumentException($"'{name}' cannot name a model (letters, digits, '-', '_' and '.')");
            return OfPretrained(n, directory);
        }
        throw new ArgumentException($"unknown model name '{name}': use {PaperName}, transformer-N (N layers, at least 1), or NAME=DIR with DIR a pretrained (Hugging Face) classifier folder");
    }

    /// <summary>"the paper's model", "the 4-layer Transformer" or "the pretrained minilm-ft", for sentences.</summary>
    public string Description => Pretrained ? $"the pretrained {Name}" : Layers is null ? "the paper's model" : $"the {Layers}-layer Transformer";

    /// <summary>A Transformer trained from scratch (what the depth figures plot against their layer count).</summary>
    public bool IsDepthPoint => Layers is not null && !Pretrained;
}

/// <summary>Settings of a depth study (the options of `attnxai depth`).</summary>
public sealed record DepthSettings
{
    /// <summary>The default methods: the attention family, the gradient family, IG, LIME and occlusion with UNK in place
    /// (what Theorem 5.1 models), and the random baseline.</summary>
    public static readonly IReadOnlyList<string> DefaultMethods =
        ["alpha-avg", "alpha-max", "rollout", "grad-rollout", "AttGrad", "G-avg", "G-l2", "GxI", "IG", "lime-unk", "occlusion-unk", "random"];

    public required string OutputDirectory { get; init; }
    /// <summary>IMDB (folder or archive); null: found as `train` finds it.</summary>
    public string? DataPath { get; init; }
    /// <summary>The models, in the order of the outputs.</summary>
    public IReadOnlyList<DepthModel> Models { get; init; } = [DepthModel.Paper(), .. new[] { 1, 2, 4, 6 }.Select(l => DepthModel.Transformer(l))];
    public DepthRecipe Recipe { get; init; } = new();
    /// <summary>Test documents: a seeded sample of the 25,000 test reviews, the same for every model (50: the default
    /// study within 2 hours on 2 cores; src/AttnXai.Depth/README.md says what 50 documents resolve).</summary>
    public int Docs { get; init; } = 50;
    public ulong Seed { get; init; }
    /// <summary>The class whose logit every explainer explains and the faithfulness measures test, as a label or a
    /// class index, resolved per model (each must have it); null: each model's own explained class (the last one, the
    /// positive class of IMDB). The theorems are written for a model's own class: with another, the theory rows are
    /// left out for that model.</summary>
    public string? Target { get; init; }
    public IReadOnlyList<string> Methods { get; init; } = DefaultMethods;
    /// <summary>The explainers' settings, taken whole: the study's budget is one LIME run of 1,000 samples and 32 IG
    /// steps per document (the methods' defaults otherwise); the study sets the aggregation, both removal modes and the
    /// per-document seeds itself.</summary>
    public ExplainerSettings Explainers { get; init; } = new() { LimeSamples = 1000, LimeRuns = 1, IgSteps = 32 };
    // Shorthands of the three settings the study records (set after Explainers in an initializer, they change it).
    public int LimeSamples { get => Explainers.LimeSamples; init => Explainers = Explainers with { LimeSamples = value }; }
    public int LimeRuns { get => Explainers.LimeRuns; init => Explainers = Explainers with { LimeRuns = value }; }
    public int IgSteps { get => Explainers.IgSteps; init => Explainers = Explainers with { IgSteps = value }; }
    /// <summary>Top-k overlap: k = max(1, ceil(TopFraction d)) of a document's d distinct words.</summary>
    public double TopFraction { get; init; } = 0.1;
    public RemovalMode ErasureRemoval { get; init; } = RemovalMode.Delete;
    /// <summary>Documents per resumable part file.</summary>
    public int ChunkSize { get; init; } = 10;
    public Device? Device { get; init; }
    /// <summary>Compute only this shard of the documents (whole chunks), into a part folder with shard.json, for
    /// <see cref="DepthStudy.Merge"/>; null: the whole study and its outputs. A sharded study measures reused models
    /// only (training them in every shard would repeat the same work N times).</summary>
    public ShardSpec? Shard { get; init; }

    /// <summary>Throws ArgumentException naming the first bad setting (before any work).</summary>
    public DepthSettings Validate()
    {
        if (Docs < 1) throw new ArgumentException($"--docs must be at least 1, got {Docs}");
        Explainers.Validate();
        if (!(TopFraction > 0 && TopFraction <= 1)) throw new ArgumentException($"--top-fraction must lie in (0, 1], got {TopFraction.ToString(CultureInfo.InvariantCulture)}");
        if (ChunkSize < 1) throw new ArgumentException($"the chunk size must be at least 1, got {ChunkSize}");
        if (Models.Count == 0) throw new ArgumentException("no model to study");
        foreach (var g in Models.GroupBy(m => m.Name)) if (g.Count() > 1) throw new ArgumentException($"two models are named '{g.Key}' (give each depth once)");
        Recipe.Data.Validate();
        Recipe.Paper.Validate();
        Recipe.Transformer.Validate();
        var explainers = DocumentMeasures.Explainers(this, 0);   // parses the method names
        if (!Methods.Any(m => m.Equals(RandomExplainer.MethodName, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException("--methods must include random (the reference pair of the agreement and the baseline of the other measures)");
        if (explainers.Count < 2) throw new ArgumentException("--methods needs at least one method besides random");
        if (Shard is { } shard)
        {
            var trained = Models.Where(m => m.Directory is null).Select(m => m.Name).ToList();
            if (trained.Count > 0)
                throw new ArgumentException($"--shard {shard}: a sharded depth study measures trained models only; give {string.Join(", ", trained)} with --model NAME=DIR " +
                                            "(train them first: `attnxai train`, or an unsharded `attnxai depth` run, whose models are in its models/NAME folders)");
            shard.CheckFits(Docs, ChunkSize, $"the {Docs} documents of --docs", "--shard");
        }
        return this;
    }
}
