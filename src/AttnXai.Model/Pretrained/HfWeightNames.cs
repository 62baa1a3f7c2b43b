using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// Hugging Face weight names across the two layouts a BERT-family checkpoint comes in: a bare encoder (BertModel,
/// DistilBertModel: <c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0...</c>, <c>transformer.layer.0...</c>,
/// <c>pooler.dense.weight</c>) and a task model (<c>bert.embeddings...</c>, <c>distilbert.transformer...</c>, plus the
/// head's <c>classifier.*</c> / <c>pre_classifier.*</c>, which never carry the prefix).
/// </summary>
public static class HfWeightNames
{
    private static readonly string[] EncoderRoots = ["embeddings.", "encoder.", "pooler.", "transformer."];

    /// <summary><c>bert.</c> or <c>distilbert.</c>.</summary>
    public static string Prefix(string modelType) => modelType switch
    {
        BertConfig.Bert or BertConfig.DistilBert => modelType + ".",
        _ => throw new ArgumentException($"model_type '{modelType}' has no weight prefix (supported: bert, distilbert)", nameof(modelType)),
    };

    /// <summary>True for buffers a checkpoint may hold that are not weights (<c>embeddings.position_ids</c>,
    /// <c>embeddings.token_type_ids</c>, with or without the prefix).</summary>
    public static bool IsBuffer(string name) =>
        name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal);

    /// <summary>The name without the model's prefix (<c>bert.encoder.layer.0...</c> -> <c>encoder.layer.0...</c>);
    /// names without it are returned as they are.</summary>
    public static string StripPrefix(string name, string modelType)
    {
        var prefix = Prefix(modelType);
        return name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
    }

    /// <summary>The name with the model's prefix when it is an encoder weight (embeddings, encoder, transformer,
    /// pooler) without it; other names (the head's, already prefixed ones) are returned as they are.</summary>
    public static string AddPrefix(string name, string modelType)
    {
        var prefix = Prefix(modelType);
        if (name.StartsWith(prefix, StringComparison.Ordinal)) return name;
        return EncoderRoots.Any(r => name.StartsWith(r, StringComparison.Ordinal)) ? prefix + name : name;
    }

    /// <summary>Old TensorFlow-converted checkpoints name LayerNorm's parameters gamma and beta (Hugging Face renames
    /// them on load); this gives weight and bias.</summary>
    public static string FixLegacyName(string name)
    {
        if (name.EndsWith(".gamma", StringComparison.Ordinal)) return name[..^".gamma".Length] + ".weight";
        if (name.EndsWith(".beta", StringComparison.Ordinal)) return name[..^".beta".Length] + ".bias";
        return name;
    }

    /// <summary>
    /// The tensors renamed to the task model's names (<see cref="AddPrefix"/> after <see cref="FixLegacyName"/>),
    /// without buffers: what a model whose parameters follow Hugging Face's task layout
    /// (<c>bert.embeddings...</c>, <c>classifier.weight</c>) is matched against, from either layout. The tensors are
    /// the same objects (not copies); dropped buffers are left to the caller's dispose scope. Two stored names that
    /// map to one name are an InvalidDataException.
    /// </summary>
    public static Dictionary<string, Tensor> ToPrefixed(IReadOnlyDictionary<string, Tensor> tensors, string modelType) =>
        Rename(tensors, n => AddPrefix(FixLegacyName(n), modelType));

    /// <summary>The tensors renamed to a bare encoder's names (<see cref="StripPrefix"/>), without buffers.</summary>
    public static Dictionary<string, Tensor> ToBare(IReadOnlyDictionary<string, Tensor> tensors, string modelType) =>
        Rename(tensors, n => StripPrefix(FixLegacyName(n), modelType));

    private static Dictionary<string, Tensor> Rename(IReadOnlyDictionary<string, Tensor> tensors, Func<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (IsBuffer(name)) continue;
            var mapped = map(name);
            if (from.TryGetValue(mapped, out var other))
                throw new InvalidDataException($"the checkpoint holds both '{other}' and '{name}', which both name '{mapped}'");
            from[mapped] = name;
            result[mapped] = t;
        }
        return result;
    }
}
