namespace AttnXai.Model;

/// <summary>
/// The sizes of the paper's attention classifier (paper-notes section 1); defaults are the paper's values.
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
    bool PositionEncoding = true)
{
    /// <summary>Throws ArgumentException naming the first invalid field.</summary>
    public ModelConfig Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"VocabSize must be at least 2 (the [cls] and UNK specials), got {VocabSize}");
        if (EmbedDim < 1) throw new ArgumentException($"EmbedDim (d_e) must be positive, got {EmbedDim}");
        if (AttDim < 1) throw new ArgumentException($"AttDim (d_att) must be positive, got {AttDim}");
        if (OutDim < 1) throw new ArgumentException($"OutDim (d_out) must be positive, got {OutDim}");
        if (Heads < 1) throw new ArgumentException($"Heads (K) must be positive, got {Heads}");
        if (Length < 1) throw new ArgumentException($"Length (L) must be at least 1 (the [CLS] position), got {Length}");
        if (Classes < 2) throw new ArgumentException($"Classes must be at least 2, got {Classes}");
        if (ClsId < 0 || ClsId >= VocabSize) throw new ArgumentException($"ClsId {ClsId} is outside the vocabulary [0, {VocabSize})");
        if (UnkId < 0 || UnkId >= VocabSize) throw new ArgumentException($"UnkId {UnkId} is outside the vocabulary [0, {VocabSize})");
        if (ClsId == UnkId) throw new ArgumentException($"ClsId and UnkId must differ, both are {ClsId}");
        if (!(InitRange > 0) || double.IsInfinity(InitRange)) throw new ArgumentException($"InitRange must be a positive finite number, got {InitRange}");
        return this;
    }

    /// <summary>How documents are encoded for this model.</summary>
    public TextInputs Inputs => new(Length, VocabSize, ClsId, UnkId, PaddingMask);

    /// <summary>A configuration says how documents are encoded for it (code written for ModelConfig keeps working where
    /// the contract asks for <see cref="TextInputs"/>).</summary>
    public static implicit operator TextInputs(ModelConfig config) => config.Inputs;

    /// <summary>Number of trainable values: D d_e + K (2 d_att d_e + d_out d_e + C d_out).</summary>
    public long ParameterCount =>
        (long)VocabSize * EmbedDim + (long)Heads * (2L * AttDim * EmbedDim + (long)OutDim * EmbedDim + (long)Classes * OutDim);
}
