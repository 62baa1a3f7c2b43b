using AttnXai.Data.Text;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// How a classifier reads a document: <see cref="Length"/> positions, the first holding <see cref="ClsId"/> (a model
/// without a [CLS] token ignores it or reads it as any token), then the token ids, then [SEP] when the model has one
/// (<see cref="Special"/>), padded to Length with the pad id (<see cref="UnkId"/> for the paper's model and AttnXai's
/// Transformers, [PAD] for BERT); ids lie in [0, <see cref="VocabSize"/>). With <see cref="PaddingMask"/> the model
/// must be given the padding mask (true at [CLS], the tokens and [SEP], false at padding).
/// </summary>
public sealed record TextInputs(int Length, long VocabSize, long ClsId = 0, long UnkId = 1, bool PaddingMask = false)
{
    private readonly SpecialTokens? _special;

    /// <summary>The special ids: by default the paper's ([CLS], UNK, UNK padding, no [SEP] or [MASK]); a BERT-family
    /// model sets its own (whose Cls and Unk must equal <see cref="ClsId"/> and <see cref="UnkId"/>).</summary>
    public SpecialTokens Special
    {
        get => _special ?? SpecialTokens.Paper(ClsId, UnkId);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Cls != ClsId || value.Unk != UnkId)
                throw new ArgumentException($"the special tokens' [CLS] {value.Cls} and UNK {value.Unk} differ from the inputs' {ClsId} and {UnkId}");
            _special = value;
        }
    }

    /// <summary>True when the model reads documents shorter than <see cref="Length"/> as well (learned positions and a
    /// padding mask, as BERT): a pass may then cut a batch to its longest document, which changes no logit.</summary>
    public bool VariableLength { get; init; }

    /// <summary>Tokens a document can hold: Length minus the special positions ([CLS], and [SEP] when there is one).</summary>
    public int MaxTokens => Length - Special.Count;
}

/// <summary>
/// The contract AttnXai trains and explains against: any TorchSharp text classifier implements it in a few lines (see
/// experiments/own_model.cs). A forward pass is split at the embedding, e = WordEmbed(ids) + PositionEncoding, so that
/// gradient methods can differentiate with respect to e; <see cref="Logits"/> maps e (and the attention mask) to the
/// class logits. The explainers explain the raw logit of <see cref="ExplainedClass"/>.
/// <para>Optional abilities are further interfaces the same class implements, which explainers ask for by type:
/// <see cref="IAttentionModel"/> (attention maps); the paper's closed forms and exact fast perturbation path belong to
/// <see cref="AttentionClassifier"/> itself.</para>
/// </summary>
public interface ITextClassifier : IDisposable
{
    /// <summary>The module holding the parameters (for training, moving, saving and train/eval mode).</summary>
    nn.Module Module { get; }

    /// <summary>How documents are encoded for this model.</summary>
    TextInputs Inputs { get; }

    /// <summary>C, the number of logits.</summary>
    int Classes { get; }

    /// <summary>The logit the explainers explain (the positive class of a binary classifier).</summary>
    int ExplainedClass => Classes - 1;

    /// <summary>The floating-point type of the weights.</summary>
    ScalarType DType { get; }

    /// <summary>Bytes of the largest temporary tensor one document adds to a batched forward pass (0: small, such as
    /// the paper's [CLS]-only pass). <see cref="BatchedPass"/> keeps a batch's largest temporary within
    /// <see cref="BatchedPass.TemporaryBudget"/>: a full self-attention map of a Transformer is H x L x L values per
    /// document (1.5 MB at H 6, L 256), and batches of hundreds of such maps fragment the heap.</summary>
    long LargestTemporaryBytes => 0;

    /// <summary>The device of the weights.</summary>
    Device Device { get; }

    /// <summary>True when the logits do not change if a constant is added to every coordinate of one token's input
    /// embedding e_t: every path from e meets a LayerNorm over e's coordinates (which removes a constant shift) before
    /// anything else reads it, or carries the shift unchanged to such a LayerNorm (the residual stream of a pre-norm
    /// Transformer; BERT's LayerNorm right after its embeddings). Then the coordinates of df/de_t sum to zero for every
    /// token, exactly, so that G-avg is zero by construction (the explainer catalogue's ZeroByConstruction).
    /// False (the default) when not known to hold.</summary>
    bool InputIsLayerNormalized => false;

    /// <summary>True when the logits do not change (up to a LayerNorm's epsilon) if one token's input embedding e_t is
    /// multiplied by a positive factor: a LayerNorm reads e first and nothing else reads e (BERT's embedding LayerNorm;
    /// not a pre-norm Transformer, whose residual stream carries e itself). Then d/dl f(l e_t) at l = 1, which is
    /// e_t . df/de_t, is zero for every token, so that gradient x input is zero by construction. False (the default)
    /// when not known to hold.</summary>
    bool InputIsScaleInvariant => false;

    /// <summary>The word part of the input embedding: int64 ids [B, L] to [B, L, d].</summary>
    Tensor WordEmbed(Tensor ids);

    /// <summary>The position part added to it, [L, d], or null for a model without one.</summary>
    Tensor? PositionEncoding { get; }

    /// <summary>e = WordEmbed(ids) + PositionEncoding: [B, L, d].</summary>
    Tensor Embed(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var w = WordEmbed(ids);
        return (PositionEncoding is { } pe ? w.add(pe.shape[0] == w.shape[1] ? pe : pe.narrow(0, 0, w.shape[1])) : w).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, C] of embedded documents e [B, L, d]. <paramref name="mask"/> (bool [B, L], true at
    /// positions taking part in attention; null: all of them) leaves positions out; a model with
    /// <see cref="TextInputs.PaddingMask"/> needs it.</summary>
    Tensor Logits(Tensor embedded, Tensor? mask);
}

/// <summary>An ability a model may have: its attention probabilities, per layer and head.</summary>
public interface IAttentionModel : ITextClassifier
{
    /// <summary>Attention layers.</summary>
    int Layers { get; }

    /// <summary>Heads per layer.</summary>
    int Heads { get; }

    /// <summary>The logits and every layer's attention [B, H, Q, L] (rows: queries, columns: keys; each row sums to 1):
    /// Q = L for self-attention; a model that attends with one query (attention pooling) returns Q = 1, which is read as
    /// the [CLS] query's row. Each map must be the tensor the logits were computed from, so that gradients with respect
    /// to the attention can be taken.</summary>
    (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask);

    /// <summary>The logits and the last layer's attention of the [CLS] query (position 0), [B, H, L]. By default read off
    /// <see cref="LogitsAndAttention"/> (a slice of the map: take gradients with respect to the whole map); a model
    /// that computes only that row overrides it.</summary>
    (Tensor Logits, Tensor ClsAttention) LogitsAndClsAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var (logits, maps) = LogitsAndAttention(embedded, mask);
        var cls = maps[^1].select(2, 0);
        return (logits.MoveToOuterDisposeScope(), cls.MoveToOuterDisposeScope());
    }
}

/// <summary>Helpers every user of the contract shares.</summary>
public static class TextClassifiers
{
    /// <summary>Logits [B, C] of int64 ids [B, L].</summary>
    public static Tensor LogitsOfIds(this ITextClassifier model, Tensor ids, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        return model.Logits(model.Embed(ids), mask).MoveToOuterDisposeScope();
    }

    /// <summary>The explained output f [B]: the logit of <see cref="ITextClassifier.ExplainedClass"/>.</summary>
    public static Tensor Explained(this ITextClassifier model, Tensor logits) => logits.select(1, model.ExplainedClass);

    /// <summary>A short description of what a model offers, for messages: "attention maps (1 layer, 6 heads)".</summary>
    public static string Abilities(this ITextClassifier model)
    {
        var parts = new List<string> { "logits", "embedding gradients" };
        if (model is IAttentionModel a) parts.Add($"attention maps ({a.Layers} layer{(a.Layers == 1 ? "" : "s")}, {a.Heads} heads)");
        if (model is AttentionClassifier) parts.Add("the paper's closed forms and exact fast path");
        return string.Join(", ", parts);
    }

    /// <summary>The name of a model's class, for messages.</summary>
    public static string Describe(this ITextClassifier model) => model.Module.GetName() is { Length: > 0 } n ? n : model.GetType().Name;
}
