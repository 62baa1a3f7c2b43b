using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>The input checks of a model's forward pass: token ids, embeddings and the padding mask, each failing with
/// an ArgumentException that names the input and what was expected.</summary>
internal static class ModelInputs
{
    /// <summary>int64 ids [B, length] with values in [0, vocabSize).</summary>
    public static void CheckIds(Tensor ids, int length, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var s = ids.shape;
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"ids must be int64, got {ids.dtype}", nameof(ids));
        if (s.Length != 2 || s[1] != length)
            throw new ArgumentException($"ids must have shape [B, {length}], got [{string.Join(", ", s)}]", nameof(ids));
        if (s[0] == 0) return;
        using var scope = torch.NewDisposeScope();
        long lo = ids.min().ToInt64(), hi = ids.max().ToInt64();
        if (lo < 0 || hi >= vocabSize)
            throw new ArgumentException($"ids must lie in [0, {vocabSize}) (the vocabulary size), found {(lo < 0 ? lo : hi)}", nameof(ids));
    }

    /// <summary>Embeddings [B, length, dim] of the weights' type; returns B.</summary>
    public static long CheckEmbedded(Tensor e, int length, int dim, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(e);
        var s = e.shape;
        if (s.Length != 3 || s[1] != length || s[2] != dim)
            throw new ArgumentException($"embeddings must have shape [B, {length}, {dim}], got [{string.Join(", ", s)}]", nameof(e));
        if (e.dtype != dtype)
            throw new ArgumentException($"embeddings must be {dtype} like the weights, got {e.dtype}", nameof(e));
        return s[0];
    }

    /// <summary>The mask to apply: the given one (bool [B, length], true at real tokens, at least one per document), or
    /// null. A model configured with a padding mask needs it.</summary>
    public static Tensor? CheckMask(Tensor? mask, long batch, int length, bool required)
    {
        if (mask is null)
        {
            if (required)
                throw new ArgumentException("this model uses a padding mask (PaddingMask = true): pass the mask (bool [B, L], true at real tokens)", nameof(mask));
            return null;
        }
        var s = mask.shape;
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"the mask must be bool (true at real tokens), got {mask.dtype}", nameof(mask));
        if (s.Length != 2 || s[0] != batch || s[1] != length)
            throw new ArgumentException($"the mask must have shape [{batch}, {length}], got [{string.Join(", ", s)}]", nameof(mask));
        if (batch > 0)
        {
            using var scope = torch.NewDisposeScope();
            if (!mask.any(1).all().item<bool>())
                throw new ArgumentException("the mask leaves a document without any real token (every row needs a true, e.g. at [CLS])", nameof(mask));
        }
        return mask;
    }
}
