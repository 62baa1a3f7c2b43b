using System.Text.Json.Nodes;
using AttnXai.Data.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>What reads a BERT-family encoder's last layer into logits.</summary>
public enum BertHead
{
    /// <summary>The checkpoint's own: BERT's pooler (tanh) or DistilBERT's pre-classifier (ReLU), then the classifier,
    /// at [CLS].</summary>
    Pooler,

    /// <summary>A linear classifier on the [CLS] position's last hidden state.</summary>
    Cls,

    /// <summary>A linear classifier on the mean of the last hidden states over the real positions (the pooling
    /// sentence-transformers trained all-MiniLM-L6-v2 with).</summary>
    Mean,
}

/// <summary>
/// The sizes of a BERT-family encoder, as a checkpoint's config.json gives them.
/// </summary>
/// <param name="ModelType">"bert" or "distilbert".</param>
/// <param name="VocabSize">Rows of the word embedding.</param>
/// <param name="Hidden">d, the width of the residual stream.</param>
/// <param name="Layers">N.</param>
/// <param name="Heads">H (d_h = d / H).</param>
/// <param name="Intermediate">The feed-forward block's width.</param>
/// <param name="MaxPositions">Rows of the position embedding.</param>
/// <param name="TypeVocabSize">Rows of the token-type embedding (0 for DistilBERT).</param>
/// <param name="LayerNormEps">The LayerNorms' epsilon.</param>
/// <param name="Activation">The feed-forward activation's name (gelu, gelu_new, relu).</param>
public sealed record BertSizes(string ModelType, int VocabSize, int Hidden, int Layers, int Heads, int Intermediate, int MaxPositions,
    int TypeVocabSize, double LayerNormEps, string Activation)
{
    /// <summary>Dropout on the embeddings and on each sub-layer's output (training only).</summary>
    public double HiddenDropout { get; init; } = 0.1;

    /// <summary>Dropout on the attention probabilities (training only).</summary>
    public double AttentionDropout { get; init; } = 0.1;

    /// <summary>Dropout before the classifier (training only).</summary>
    public double ClassifierDropout { get; init; } = 0.1;

    /// <summary>True for DistilBERT's module names and head.</summary>
    public bool IsDistil => ModelType == "distilbert";

    /// <summary>Throws ArgumentException naming the first invalid size.</summary>
    public BertSizes Validate()
    {
        if (ModelType is not ("bert" or "distilbert")) throw new ArgumentException($"unknown model_type '{ModelType}' (bert or distilbert)");
        foreach (var (name, v) in new[] { ("vocab_size", VocabSize), ("hidden_size", Hidden), ("num_hidden_layers", Layers), ("num_attention_heads", Heads),
                     ("intermediate_size", Intermediate), ("max_position_embeddings", MaxPositions) })
            if (v < 1) throw new ArgumentException($"{name} must be positive, got {v}");
        if (Hidden % Heads != 0) throw new ArgumentException($"hidden_size {Hidden} is not a multiple of num_attention_heads {Heads}");
        if (!IsDistil && TypeVocabSize < 1) throw new ArgumentException($"type_vocab_size must be positive, got {TypeVocabSize}");
        if (!(LayerNormEps > 0) || !double.IsFinite(LayerNormEps)) throw new ArgumentException($"layer_norm_eps must be positive, got {LayerNormEps}");
        if (!BertConfig.SupportedActivations.Contains(Activation))
            throw new ArgumentException($"unsupported activation '{Activation}' ({string.Join(", ", BertConfig.SupportedActivations)})");
        foreach (var (name, p) in new[] { ("hidden dropout", HiddenDropout), ("attention dropout", AttentionDropout), ("classifier dropout", ClassifierDropout) })
            if (!(p >= 0 && p < 1)) throw new ArgumentException($"{name} must lie in [0, 1), got {p}");
        return this;
    }
}

/// <summary>
/// A BERT-family classifier's architecture: the encoder's sizes, the head, the number of classes, the document length
/// and the special tokens (the model contract's <see cref="IModelArchitecture"/>).
/// </summary>
public sealed record BertArchitecture(BertSizes Config, BertHead Head, int Classes, int Length, SpecialTokens Special) : IModelArchitecture
{
    public string Architecture => Config.ModelType;

    public TextInputs Inputs => new(Length, Config.VocabSize, Special.Cls, Special.Unk, PaddingMask: true) { Special = Special, VariableLength = true };

    public ITextClassifier Create(long? seed, Device? device, ScalarType dtype)
    {
        var model = new BertClassifier(this, seed, dtype);
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        return model;
    }

    public string Summary =>
        $"{Config.ModelType}: {Config.Layers} layers, d {Config.Hidden}, H {Config.Heads}, d_ff {Config.Intermediate}, vocabulary {Config.VocabSize}, " +
        $"L {Length}, head {Head.ToString().ToLowerInvariant()}, {Classes} classes";

    public JsonObject ToJson() => new()
    {
        ["model_type"] = Config.ModelType,
        ["vocab_size"] = Config.VocabSize,
        ["hidden_size"] = Config.Hidden,
        ["num_hidden_layers"] = Config.Layers,
        ["num_attention_heads"] = Config.Heads,
        ["intermediate_size"] = Config.Intermediate,
        ["max_position_embeddings"] = Config.MaxPositions,
        ["head"] = Head.ToString().ToLowerInvariant(),
        ["classes"] = Classes,
        ["length"] = Length,
    };

    IModelArchitecture IModelArchitecture.Validate() => Validate();

    public BertArchitecture Validate()
    {
        Config.Validate();
        if (Classes < 1) throw new ArgumentException($"the number of classes must be positive, got {Classes}");
        if (Length < Special.Count + 1 || Length > Config.MaxPositions)
            throw new ArgumentException($"the length {Length} must lie in [{Special.Count + 1}, {Config.MaxPositions}] (max_position_embeddings)");
        foreach (var id in new[] { Special.Cls, Special.Unk, Special.Pad, Special.Sep ?? 0, Special.Mask ?? 0 })
            if (id < 0 || id >= Config.VocabSize) throw new ArgumentException($"special token id {id} is outside the vocabulary [0, {Config.VocabSize})");
        return this;
    }
}
