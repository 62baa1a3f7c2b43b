using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// The sizes and settings of a BERT-family encoder as a Hugging Face checkpoint's <c>config.json</c> gives them, for
/// <c>model_type</c> <c>bert</c> (BertModel, BertForSequenceClassification...) and <c>distilbert</c> (whose keys differ:
/// dim, n_layers, n_heads, hidden_dim, activation; no token types; LayerNorm eps fixed at 1e-12).
/// </summary>
/// <param name="ModelType"><c>bert</c> or <c>distilbert</c>.</param>
/// <param name="TypeVocabSize">Token-type (segment) embeddings; 0 for DistilBERT, which has none.</param>
/// <param name="HiddenAct">One of <see cref="SupportedActivations"/>.</param>
/// <param name="Labels">The class labels ordered by index (id2label; LABEL_i when only num_labels is given; empty when
/// the file has neither, as a bare encoder's config may).</param>
/// <param name="Architectures">The <c>architectures</c> list (empty when absent).</param>
public sealed record BertConfig(
    string ModelType,
    int VocabSize,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    int TypeVocabSize,
    double LayerNormEps,
    string HiddenAct,
    int PadTokenId,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> Architectures)
{
    public const string Bert = "bert";
    public const string DistilBert = "distilbert";

    /// <summary>The activations of the feed-forward block this project's model implements: <c>gelu</c> (erf),
    /// <c>gelu_new</c>, <c>gelu_pytorch_tanh</c> and <c>gelu_fast</c> (three names Hugging Face gives the same tanh
    /// approximation) and <c>relu</c>.</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu"];

    public int NumLabels => Labels.Count;

    /// <summary>Value equality, the lists compared element by element (a record alone would compare them by reference).</summary>
    public bool Equals(BertConfig? other) =>
        other is not null && ModelType == other.ModelType && VocabSize == other.VocabSize && HiddenSize == other.HiddenSize
        && NumHiddenLayers == other.NumHiddenLayers && NumAttentionHeads == other.NumAttentionHeads && IntermediateSize == other.IntermediateSize
        && MaxPositionEmbeddings == other.MaxPositionEmbeddings && TypeVocabSize == other.TypeVocabSize && LayerNormEps.Equals(other.LayerNormEps)
        && HiddenAct == other.HiddenAct && PadTokenId == other.PadTokenId
        && Labels.SequenceEqual(other.Labels) && Architectures.SequenceEqual(other.Architectures);

    public override int GetHashCode() =>
        HashCode.Combine(ModelType, VocabSize, HiddenSize, NumHiddenLayers, NumAttentionHeads, IntermediateSize, HiddenAct, Labels.Count);

    /// <summary>Width of one attention head.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    public bool IsDistilBert => ModelType == DistilBert;

    /// <summary>The prefix of the encoder's weights in a task model (<c>bert.</c>, <c>distilbert.</c>).</summary>
    public string WeightPrefix => ModelType + ".";

    /// <summary>A hint from <see cref="Architectures"/>: the checkpoint is a sequence classifier (it should hold
    /// <c>classifier.*</c>, and for DistilBERT <c>pre_classifier.*</c>).</summary>
    public bool HasClassifierHint => Architectures.Any(a => a.EndsWith("ForSequenceClassification", StringComparison.Ordinal));

    /// <summary>A hint: the checkpoint should hold a pooler (<c>pooler.dense.*</c>): BERT's BertModel and
    /// BertForSequenceClassification have one, DistilBERT never does. The weights decide in the end.</summary>
    public bool HasPoolerHint => !IsDistilBert && (Architectures.Count == 0
        || Architectures.Any(a => a is "BertModel" or "BertForSequenceClassification" or "BertForPreTraining" or "BertForNextSentencePrediction" or "BertForMultipleChoice"));

    /// <summary>Reads and checks <paramref name="path"/> (a config.json). FileNotFoundException when it is missing;
    /// InvalidDataException naming the file and the field otherwise.</summary>
    public static BertConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file not found: {path}", path);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        if (node is not JsonObject json) throw new InvalidDataException($"{path}: not a JSON object");
        return Parse(json, path);
    }

    /// <summary>Reads a config from its JSON; <paramref name="source"/> names it in error messages.</summary>
    public static BertConfig Parse(JsonObject json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        // A JsonObject built in code holds CLR values (an int is not readable as a double); its text form is uniform.
        var reader = new Reader((JsonObject)JsonNode.Parse(json.ToJsonString())!, source);
        var modelType = reader.String("model_type");
        if (modelType is not (Bert or DistilBert))
            throw new InvalidDataException($"{source}: model_type '{modelType}' is not supported (supported: {Bert}, {DistilBert})");
        bool distil = modelType == DistilBert;

        int vocab = reader.Int("vocab_size", min: 1);
        int hidden = reader.Int(distil ? "dim" : "hidden_size", min: 1);
        int layers = reader.Int(distil ? "n_layers" : "num_hidden_layers", min: 1);
        string headsKey = distil ? "n_heads" : "num_attention_heads";
        int heads = reader.Int(headsKey, min: 1);
        if (hidden % heads != 0)
            throw new InvalidDataException($"{source}: {headsKey} {heads} does not divide {(distil ? "dim" : "hidden_size")} {hidden}");
        int intermediate = reader.Int(distil ? "hidden_dim" : "intermediate_size", min: 1);
        int positions = reader.Int("max_position_embeddings", min: 1);
        int types = distil ? 0 : reader.Int("type_vocab_size", min: 0, fallback: 2);
        double eps = distil ? 1e-12 : reader.Double("layer_norm_eps", fallback: 1e-12);
        if (!(eps > 0) || double.IsInfinity(eps)) throw new InvalidDataException($"{source}: layer_norm_eps {eps} is not a positive number");
        string actKey = distil ? "activation" : "hidden_act";
        var act = reader.OptionalString(actKey) ?? "gelu";
        if (!SupportedActivations.Contains(act))
            throw new InvalidDataException($"{source}: {actKey} '{act}' is not supported (supported: {string.Join(", ", SupportedActivations)})");
        if (distil && reader.Bool("sinusoidal_pos_embds", fallback: false))
            throw new InvalidDataException($"{source}: sinusoidal_pos_embds true is not supported (learned position embeddings only)");
        if (!distil)
        {
            var posType = reader.OptionalString("position_embedding_type") ?? "absolute";
            if (posType != "absolute")
                throw new InvalidDataException($"{source}: position_embedding_type '{posType}' is not supported (absolute only)");
        }
        int pad = reader.Int("pad_token_id", min: 0, fallback: 0);
        if (pad >= vocab) throw new InvalidDataException($"{source}: pad_token_id {pad} is outside the vocabulary of {vocab}");

        var labels = reader.Labels();
        var architectures = reader.StringList("architectures");
        return new BertConfig(modelType, vocab, hidden, layers, heads, intermediate, positions, types, eps, act, pad, labels, architectures);
    }

    /// <summary>The config as Hugging Face writes it for this model type (the keys <see cref="Parse"/> reads, and
    /// id2label/label2id/num_labels when there are labels).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (Architectures.Count > 0) o["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        o["model_type"] = ModelType;
        o["vocab_size"] = VocabSize;
        if (IsDistilBert)
        {
            o["dim"] = HiddenSize;
            o["n_layers"] = NumHiddenLayers;
            o["n_heads"] = NumAttentionHeads;
            o["hidden_dim"] = IntermediateSize;
            o["activation"] = HiddenAct;
            o["sinusoidal_pos_embds"] = false;
        }
        else
        {
            o["hidden_size"] = HiddenSize;
            o["num_hidden_layers"] = NumHiddenLayers;
            o["num_attention_heads"] = NumAttentionHeads;
            o["intermediate_size"] = IntermediateSize;
            o["hidden_act"] = HiddenAct;
            o["type_vocab_size"] = TypeVocabSize;
            o["layer_norm_eps"] = LayerNormEps;
            o["position_embedding_type"] = "absolute";
        }
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["pad_token_id"] = PadTokenId;
        if (Labels.Count > 0)
        {
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (int i = 0; i < Labels.Count; i++)
            {
                id2label[i.ToString(CultureInfo.InvariantCulture)] = Labels[i];
                label2id[Labels[i]] = i;
            }
            o["id2label"] = id2label;
            o["label2id"] = label2id;
            o["num_labels"] = Labels.Count;
        }
        return o;
    }

    /// <summary>Checked field access with messages naming the source and the field.</summary>
    private readonly struct Reader(JsonObject json, string source)
    {
        private JsonNode? Get(string key) => json.TryGetPropertyValue(key, out var v) ? v : null;

        private InvalidDataException Bad(string key, string what) => new($"{source}: field '{key}' {what}");

        public string String(string key) => OptionalString(key) ?? throw Bad(key, "is missing");

        public string? OptionalString(string key)
        {
            var v = Get(key);
            if (v is null) return null;
            if (v is JsonValue jv && jv.TryGetValue<string>(out var s)) return s;
            throw Bad(key, $"is not a string ({v.ToJsonString()})");
        }

        public int Int(string key, int min, int? fallback = null)
        {
            var v = Get(key);
            if (v is null) return fallback ?? throw Bad(key, "is missing");
            if (v is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number && jv.TryGetValue<double>(out var d)
                && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
            {
                int i = (int)d;
                if (i < min) throw Bad(key, $"is {i}, below {min}");
                return i;
            }
            throw Bad(key, $"is not an integer ({v.ToJsonString()})");
        }

        public double Double(string key, double fallback)
        {
            var v = Get(key);
            if (v is null) return fallback;
            if (v is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number && jv.TryGetValue<double>(out var d)) return d;
            throw Bad(key, $"is not a number ({v.ToJsonString()})");
        }

        public bool Bool(string key, bool fallback)
        {
            var v = Get(key);
            if (v is null) return fallback;
            if (v is JsonValue jv && jv.TryGetValue<bool>(out var b)) return b;
            throw Bad(key, $"is not true or false ({v.ToJsonString()})");
        }

        public IReadOnlyList<string> StringList(string key)
        {
            var v = Get(key);
            if (v is null) return [];
            if (v is not JsonArray a) throw Bad(key, "is not a list");
            var result = new List<string>();
            foreach (var e in a)
            {
                if (e is JsonValue ev && ev.TryGetValue<string>(out var s)) result.Add(s);
                else throw Bad(key, $"holds a non-string ({e?.ToJsonString() ?? "null"})");
            }
            return result;
        }

        /// <summary>id2label ordered by index (the keys must be 0..n-1, agreeing with num_labels when both are given),
        /// else LABEL_i for num_labels, else none.</summary>
        public IReadOnlyList<string> Labels()
        {
            var v = Get("id2label");
            int? declared = Get("num_labels") is null ? null : Int("num_labels", min: 1);
            if (v is null)
                return declared is int n ? Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToList() : [];
            if (v is not JsonObject map) throw Bad("id2label", "is not an object");
            var labels = new string?[map.Count];
            foreach (var (k, lv) in map)
            {
                if (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= map.Count)
                    throw Bad("id2label", $"has key '{k}' (the keys must be the class indices 0..{map.Count - 1})");
                if (lv is not JsonValue jv || !jv.TryGetValue<string>(out var label))
                    throw Bad("id2label", $"maps '{k}' to a non-string");
                if (labels[index] is not null) throw Bad("id2label", $"names class {index} twice");
                labels[index] = label;
            }
            if (declared is int m && m != labels.Length)
                throw Bad("num_labels", $"is {m} but id2label names {labels.Length} classes");
            return labels.Select(l => l!).ToList();
        }
    }
}
