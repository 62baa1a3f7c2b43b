using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// The sizes of the paper's attention classifier (docs/model-and-protocols.md section 1); defaults are the paper's values.
/// </summary>
/// <param name="VocabSize">D: rows of the word embedding (the vocabulary size, specials included).</param>
/// <param name="EmbedDim">d_e.</param>
/// <param name="AttDim">d_att (rows of W_q and W_k).</param>
/// <param name="OutDim">d_out (rows of W_v).</param>
/// <param name="Heads">K.</param>
/// <param name="Length">L: positions per document, [CLS] included.</param>
/// <param name="Classes">C: logits per head.</param>
/// <param name="PaddingMask">Padding positions are left out of the softmax (false in the paper).</param>
/// <param name="ClsId">Id of [CLS] (position 0).</param>
/// <param name="UnkId">Id of UNK (unknown words and padding).</param>
/// <param name="InitRange">W_q, W_k, W_v, W_l are initialised U(-InitRange, InitRange).</param>
/// <param name="PositionEncoding">Add the fixed sinusoidal encoding PE(t) (true, the paper). False: the encoding is all
/// zeros, so the model is a function of the multiset of its non-[CLS] tokens (a set function; with the padding mask,
/// of the real tokens alone).</param>
public sealed record ModelConfig(
    int VocabSize,
    int EmbedDim = 128,
    int AttDim = 64,
    int OutDim = 64,
    int Heads = 6,
    int Length = 256,
    int Classes = 2,
    bool PaddingMask = false,
    long ClsId = 0,
    long UnkId = 1,
    double InitRange = 0.1,
    bool PositionEncoding = true) : IModelArchitecture
{
    public string Architecture => ModelArchitectures.Paper;

    public ITextClassifier Create(long? seed, Device? device, ScalarType dtype) =>
        seed is { } s ? new AttentionClassifier(this, s, device, dtype) : AttentionClassifier.ForLoading(this, dtype);

    IModelArchitecture IModelArchitecture.Validate() => Validate();

    public string Summary =>
        $"d_e {EmbedDim}, d_att {AttDim}, d_out {OutDim}, K {Heads}, L {Length}, padding mask {(PaddingMask ? "on" : "off")}, position encoding {(PositionEncoding ? "on" : "off")}";

    public JsonObject ToJson() => ModelCheckpoint.ConfigToJson(this);

    /// <summary>Throws ArgumentException naming the first invalid size by its symbol and option (d_e, --embed-dim).</summary>
    public ModelConfig Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"the vocabulary must hold at least the [cls] and UNK specials, got {VocabSize} tokens");
        if (EmbedDim < 1) throw new ArgumentException($"{OptionName("embed_dim")} must be at least 1, got {EmbedDim}");
        if (AttDim < 1) throw new ArgumentException($"{OptionName("att_dim")} must be at least 1, got {AttDim}");
        if (OutDim < 1) throw new ArgumentException($"{OptionName("out_dim")} must be at least 1, got {OutDim}");
        if (Heads < 1) throw new ArgumentException($"{OptionName("heads")} must be at least 1, got {Heads}");
        if (Length < 1) throw new ArgumentException($"{OptionName("length")} must be at least 1 (the [CLS] position), got {Length}");
        if (Classes < 2) throw new ArgumentException($"a classifier needs at least 2 classes, got {Classes}");
        if (ClsId < 0 || ClsId >= VocabSize) throw new ArgumentException($"the [cls] id {ClsId} is outside the vocabulary [0, {VocabSize})");
        if (UnkId < 0 || UnkId >= VocabSize) throw new ArgumentException($"the UNK id {UnkId} is outside the vocabulary [0, {VocabSize})");
        if (ClsId == UnkId) throw new ArgumentException($"the [cls] and UNK ids must differ, both are {ClsId}");
        if (!(InitRange > 0) || double.IsInfinity(InitRange)) throw new ArgumentException($"the initialisation range must be a positive finite number, got {InitRange}");
        return this;
    }

    /// <summary>How documents are encoded for this model.</summary>
    public TextInputs Inputs => new(Length, VocabSize, ClsId, UnkId, PaddingMask);

    /// <summary>A configuration says how documents are encoded for it (code written for ModelConfig keeps working where
    /// the contract asks for <see cref="TextInputs"/>).</summary>
    public static implicit operator TextInputs(ModelConfig config) => config.Inputs;

    /// <summary>How users name a size of config.json's "model" object: its symbol and the `attnxai train` option
    /// ("embed_dim" → "d_e (--embed-dim)").</summary>
    public static string OptionName(string jsonKey) => jsonKey switch
    {
        "vocab_size" => "the vocabulary size",
        "embed_dim" => "d_e (--embed-dim)",
        "att_dim" => "d_att (--att-dim)",
        "out_dim" => "d_out (--out-dim)",
        "heads" => "K (--heads)",
        "length" => "L (--length)",
        "classes" => "the number of classes",
        "padding_mask" => "the padding mask (--padding-mask)",
        "position_encoding" => "the position encoding (--no-position-encoding)",
        "cls_id" => "the [cls] id",
        "unk_id" => "the UNK id",
        "init_range" => "the initialisation range",
        "model_dim" => "d (--dim)",
        "head_dim" => "d_h (--head-dim)",
        "layers" => "N (--layers)",
        "ff_dim" => "d_ff (--ff)",
        "dropout" => "the dropout (--dropout)",
        "norm" => "the norm placement (--norm)",
        _ => jsonKey,
    };

    /// <summary>Number of trainable values: D d_e + K (2 d_att d_e + d_out d_e + C d_out).</summary>
    public long ParameterCount =>
        (long)VocabSize * EmbedDim + (long)Heads * (2L * AttDim * EmbedDim + (long)OutDim * EmbedDim + (long)Classes * OutDim);
}
