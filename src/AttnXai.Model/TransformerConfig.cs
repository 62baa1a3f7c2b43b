using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>Where a Transformer layer normalises (Xiong et al., 2020, "On Layer Normalization in the Transformer
/// Architecture").</summary>
public enum NormPlacement
{
    /// <summary>x + F(LN(x)) per sub-layer and one final LN (GPT-2, ViT): trains without learning-rate warm-up.</summary>
    Pre,

    /// <summary>LN(x + F(x)) per sub-layer, as in the original Transformer (Vaswani et al., 2017) and BERT.</summary>
    Post,
}

/// <summary>
/// The sizes of the multi-layer Transformer encoder classifier (<see cref="TransformerClassifier"/>). The defaults are
/// the appendix's 6 layers and 6 heads on the paper's embeddings (d = d_e = 128, L = 256), with heads of d_h = 32 (d / H
/// is no integer for 6 heads; H d_h = 192 keeps the attention near the usual H d_h = d and is cheaper than the paper's
/// d_att = 64, see `attnxai bench model --arch transformer --head-dim`) and d_ff = 4 d.
/// </summary>
/// <param name="VocabSize">D: rows of the word embedding (the vocabulary size, specials included).</param>
/// <param name="ModelDim">d: the width of the residual stream (the paper's d_e).</param>
/// <param name="Heads">H: attention heads per layer.</param>
/// <param name="HeadDim">d_h: rows of each head's W_q, W_k and W_v (need not be d / H: W_o maps H d_h back to d).</param>
/// <param name="Layers">N: Transformer layers.</param>
/// <param name="FeedForwardDim">d_ff: hidden width of the position-wise feed-forward block.</param>
/// <param name="Dropout">Probability of dropout on the embeddings and on every sub-layer's output before its residual
/// addition (Vaswani et al.'s "residual dropout"); training mode only.</param>
/// <param name="Length">L: positions per document, [CLS] included.</param>
/// <param name="Classes">C: logits.</param>
/// <param name="PaddingMask">Padding keys are left out of every softmax (false: padding takes part, as in the
/// paper's model).</param>
/// <param name="Norm">Pre- or post-norm layers (see <see cref="NormPlacement"/>).</param>
/// <param name="ClsId">Id of [CLS] (position 0).</param>
/// <param name="UnkId">Id of UNK (unknown words and padding).</param>
public sealed record TransformerConfig(
    int VocabSize,
    int ModelDim = 128,
    int Heads = 6,
    int HeadDim = 32,
    int Layers = 6,
    int FeedForwardDim = 512,
    double Dropout = 0.1,
    int Length = 256,
    int Classes = 2,
    bool PaddingMask = false,
    NormPlacement Norm = NormPlacement.Pre,
    long ClsId = 0,
    long UnkId = 1) : IModelArchitecture
{
    /// <summary>The architecture's name in config.json.</summary>
    public const string Name = "transformer";

    public string Architecture => Name;

    public TextInputs Inputs => new(Length, VocabSize, ClsId, UnkId, PaddingMask);

    public ITextClassifier Create(long? seed, Device? device, ScalarType dtype) =>
        seed is { } s ? new TransformerClassifier(this, s, device, dtype) : TransformerClassifier.ForLoading(this, dtype);

    IModelArchitecture IModelArchitecture.Validate() => Validate();

    public string Summary =>
        $"Transformer: {Layers} layer{(Layers == 1 ? "" : "s")} ({Norm.ToString().ToLowerInvariant()}-norm), d {ModelDim}, H {Heads}, d_h {HeadDim}, d_ff {FeedForwardDim}, dropout {Dropout:G}, L {Length}, padding mask {(PaddingMask ? "on" : "off")}";

    public JsonObject ToJson() => new()
    {
        ["vocab_size"] = VocabSize,
        ["model_dim"] = ModelDim,
        ["heads"] = Heads,
        ["head_dim"] = HeadDim,
        ["layers"] = Layers,
        ["ff_dim"] = FeedForwardDim,
        ["dropout"] = Dropout,
        ["length"] = Length,
        ["classes"] = Classes,
        ["padding_mask"] = PaddingMask,
        ["norm"] = Norm == NormPlacement.Pre ? "pre" : "post",
        ["cls_id"] = ClsId,
        ["unk_id"] = UnkId,
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote; <paramref name="where"/> names the file in errors.</summary>
    public static TransformerConfig FromJson(JsonNode? node, string where)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{where}: missing field 'model' (an object with the model's sizes)");
        var norm = ModelCheckpoint.Str(o, "norm", where) switch
        {
            "pre" => NormPlacement.Pre,
            "post" => NormPlacement.Post,
            var x => throw new InvalidDataException($"{where}: field 'norm' must be \"pre\" or \"post\", found \"{x}\""),
        };
        var c = new TransformerConfig(ModelCheckpoint.Int(o, "vocab_size", where), ModelCheckpoint.Int(o, "model_dim", where),
            ModelCheckpoint.Int(o, "heads", where), ModelCheckpoint.Int(o, "head_dim", where), ModelCheckpoint.Int(o, "layers", where),
            ModelCheckpoint.Int(o, "ff_dim", where), ModelCheckpoint.Double(o, "dropout", where), ModelCheckpoint.Int(o, "length", where),
            ModelCheckpoint.Int(o, "classes", where), ModelCheckpoint.Bool(o, "padding_mask", where), norm,
            ModelCheckpoint.Long(o, "cls_id", where), ModelCheckpoint.Long(o, "unk_id", where));
        try { return c.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: invalid model sizes: {e.Message}", e); }
    }

    /// <summary>Throws ArgumentException naming the first invalid field.</summary>
    public TransformerConfig Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"VocabSize must be at least 2 (the [cls] and UNK specials), got {VocabSize}");
        if (ModelDim < 1) throw new ArgumentException($"ModelDim (d) must be positive, got {ModelDim}");
        if (Heads < 1) throw new ArgumentException($"Heads (H) must be positive, got {Heads}");
        if (HeadDim < 1) throw new ArgumentException($"HeadDim (d_h) must be positive, got {HeadDim}");
        if (Layers < 1) throw new ArgumentException($"Layers (N) must be positive, got {Layers}");
        if (FeedForwardDim < 1) throw new ArgumentException($"FeedForwardDim (d_ff) must be positive, got {FeedForwardDim}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"Dropout must lie in [0, 1), got {Dropout}");
        if (Length < 1) throw new ArgumentException($"Length (L) must be at least 1 (the [CLS] position), got {Length}");
        if (Classes < 2) throw new ArgumentException($"Classes must be at least 2, got {Classes}");
        if (!Enum.IsDefined(Norm)) throw new ArgumentException($"Norm must be Pre or Post, got {Norm}");
        if (ClsId < 0 || ClsId >= VocabSize) throw new ArgumentException($"ClsId {ClsId} is outside the vocabulary [0, {VocabSize})");
        if (UnkId < 0 || UnkId >= VocabSize) throw new ArgumentException($"UnkId {UnkId} is outside the vocabulary [0, {VocabSize})");
        if (ClsId == UnkId) throw new ArgumentException($"ClsId and UnkId must differ, both are {ClsId}");
        return this;
    }

    /// <summary>Trainable values: D d + N (4 H d_h d + d + 2 d d_ff + d_ff + d + 4 d) + [2 d if pre-norm] + C d + C.</summary>
    public long ParameterCount
    {
        get
        {
            long d = ModelDim, hd = (long)Heads * HeadDim, ff = FeedForwardDim;
            long layer = 3 * hd * d + d * hd + d   // W_q, W_k, W_v, W_o, b_o
                         + ff * d + ff + d * ff + d // W_1, b_1, W_2, b_2
                         + 4 * d;                    // two layer norms' gains and biases
            return (long)VocabSize * d + Layers * layer + (Norm == NormPlacement.Pre ? 2 * d : 0) + Classes * d + Classes;
        }
    }
}
