using System.Text.Json.Nodes;
using AttnXai.Data.Labelled;
using AttnXai.Data.Text.WordPiece;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// Hugging Face checkpoint folders as AttnXai models: a BERT-family classifier (config.json with <c>model_type</c>
/// bert or distilbert and <c>id2label</c>; model.safetensors, sharded safetensors or pytorch_model.bin; vocab.txt and
/// tokenizer_config.json) loads as a <see cref="LoadedModel"/> whose tokenizer is its WordPieces; a bare encoder
/// (BertModel) becomes a classifier with a new head through <see cref="FromEncoder"/> (what <c>attnxai train --init</c>
/// does). AttnXai's own keys in config.json live under <see cref="Key"/>, which Hugging Face's loaders ignore.
/// </summary>
public static class PretrainedModel
{
    /// <summary>config.json's object of AttnXai's settings: head, length, seed, training record.</summary>
    public const string Key = "attnxai";

    /// <summary>The longest document a model reads: the tokenizer's model_max_length when set, capped by the position
    /// embeddings.</summary>
    public static int DefaultLength(BertConfig config, BertWordPieceTokenizer tokenizer) =>
        Math.Min(config.MaxPositionEmbeddings, tokenizer.Options.ModelMaxLength is { } m and > 0 ? m : config.MaxPositionEmbeddings);

    /// <summary>The model's sizes from its config.json.</summary>
    public static BertSizes Sizes(BertConfig c) =>
        new(c.ModelType, c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.MaxPositionEmbeddings,
            c.TypeVocabSize, c.LayerNormEps, c.HiddenAct);

    /// <summary>
    /// Loads a Hugging Face classifier folder. Errors (IOException / InvalidDataException) name the file and, for
    /// weights, the tensor: no config.json, an unknown model_type, no weights, no vocab.txt, a vocabulary that does not
    /// fit the embedding, a missing, extra or misshapen tensor, a bare encoder without a classification head.
    /// </summary>
    public static LoadedModel Load(string directory, Device? device = null, int? length = null)
    {
        using var scope = torch.NewDisposeScope();
        var (dir, config, tokenizer, weightsPath, tensors) = ReadFolder(directory);
        var configPath = Path.Combine(dir, HfCheckpoint.ConfigFile);
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(configPath))!;
        var own = json[Key] as JsonObject;
        bool hasClassifier = tensors.ContainsKey("classifier.weight");
        if (!hasClassifier)
            throw new InvalidDataException(
                $"{dir}: a bare {config.ModelType} encoder without a classification head (no tensor 'classifier.weight'); make a classifier of it with `attnxai train --init {dir}`");
        int classes = (int)tensors["classifier.weight"].shape[0];
        var head = own?["head"]?.GetValue<string>() is { } h ? ParseHead(h, configPath) : BertHead.Pooler;
        int L = length ?? own?["length"]?.GetValue<int>() ?? DefaultLength(config, tokenizer);
        var architecture = Architecture(config, tokenizer, head, classes, L, configPath);
        var labels = config.Labels.Count == classes ? new LabelMap([.. config.Labels])
            : config.Labels.Count == 0 ? ModelCheckpoint.DefaultLabels(classes)
            : throw new InvalidDataException($"{configPath}: id2label names {config.Labels.Count} labels but 'classifier.weight' has {classes} rows");
        var model = new BertClassifier(architecture);
        try
        {
            LoadInto(model, tensors, weightsPath);
            if (device is not null && device.type != DeviceType.CPU) model.to(device);
            model.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        long seed = own?["seed"]?.GetValue<long>() ?? 0;
        return new LoadedModel(dir, model, architecture, tokenizer, seed, json, labels);
    }

    /// <summary>A classifier with a new head over a pretrained encoder folder (a bare BertModel such as the converted
    /// all-MiniLM-L6-v2, or a classifier whose head is replaced): the encoder's weights from the folder, the head drawn
    /// after <c>torch.manual_seed(seed)</c>.</summary>
    public static (BertClassifier Model, BertArchitecture Architecture, BertConfig Config, BertWordPieceTokenizer Tokenizer) FromEncoder(
        string directory, BertHead head, int classes, int? length, long seed)
    {
        using var scope = torch.NewDisposeScope();
        var (dir, config, tokenizer, weightsPath, tensors) = ReadFolder(directory);
        var architecture = Architecture(config, tokenizer, head, classes, length ?? DefaultLength(config, tokenizer), Path.Combine(dir, HfCheckpoint.ConfigFile));
        var model = new BertClassifier(architecture, seed);
        try
        {
            // The encoder (and a pooler the checkpoint has) from the folder; the head stays as drawn.
            var own = model.state_dict();
            var encoder = tensors.Where(kv => own.ContainsKey(kv.Key) && !kv.Key.StartsWith("classifier.", StringComparison.Ordinal)
                                               && !(kv.Key.StartsWith("pre_classifier.", StringComparison.Ordinal))).ToDictionary();
            var missing = own.Keys.Where(k => !encoder.ContainsKey(k) && !IsHead(k)).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"{weightsPath}: missing tensor '{missing[0]}' ({missing.Count} missing)");
            foreach (var (name, t) in encoder)
                if (!t.shape.SequenceEqual(own[name].shape))
                    throw new InvalidDataException($"{weightsPath}: tensor '{name}' has shape [{string.Join(", ", t.shape)}] but config.json implies [{string.Join(", ", own[name].shape)}]");
            using (torch.no_grad())
                foreach (var (name, t) in encoder) own[name].copy_(t);
            model.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, architecture, config, tokenizer);
    }

    /// <summary>A checkpoint folder's config, tokenizer (whose vocabulary must fit the embedding) and weights under the
    /// model's names (the tensors belong to the caller's dispose scope).</summary>
    private static (string Dir, BertConfig Config, BertWordPieceTokenizer Tokenizer, string WeightsPath, Dictionary<string, Tensor> Tensors) ReadFolder(string directory)
    {
        var dir = Path.GetFullPath(directory);
        var config = HfCheckpoint.ReadConfig(dir);
        var tokenizer = BertWordPieceTokenizer.FromCheckpoint(dir);
        if (tokenizer.VocabularySize > config.VocabSize)
            throw new InvalidDataException($"{tokenizer.VocabularyPath}: the vocabulary has {tokenizer.VocabularySize} tokens but the model's embedding has {config.VocabSize} rows (config.json vocab_size)");
        var weightsPath = HfCheckpoint.WeightsPath(dir);
        return (dir, config, tokenizer, weightsPath, HfWeightNames.ToPrefixed(HfCheckpoint.ReadWeights(dir), config.ModelType));
    }

    private static bool IsHead(string name) =>
        name.StartsWith("classifier.", StringComparison.Ordinal) || name.StartsWith("pre_classifier.", StringComparison.Ordinal) || name.Contains(".pooler.", StringComparison.Ordinal);

    /// <summary>
    /// Writes a classifier as a Hugging Face folder: config.json (sizes, <c>id2label</c>, <c>architectures</c>
    /// BertForSequenceClassification, and AttnXai's head, length and seed under <see cref="Key"/>), model.safetensors
    /// with the model's parameter names, vocab.txt and tokenizer_config.json. Reloading gives the weights bitwise.
    /// </summary>
    public static void Save(string directory, BertClassifier model, BertConfig config, BertWordPieceTokenizer tokenizer, LabelMap labels, long seed,
        JsonObject? training = null, JsonObject? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (labels.Count != model.Classes) throw new ArgumentException($"{labels.Count} labels ({labels}) for a model of {model.Classes} classes");
        using var scope = torch.NewDisposeScope();
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().to(ScalarType.Float32));
        var a = model.Architecture;
        var kind = config.IsDistilBert ? "DistilBertForSequenceClassification" : "BertForSequenceClassification";
        var saved = config with { Labels = labels.ClassNames.ToArray(), Architectures = [kind] };
        var own = new JsonObject
        {
            ["head"] = a.Head.ToString().ToLowerInvariant(),
            ["length"] = a.Length,
            ["seed"] = seed,
        };
        if (training is not null) own["training"] = training.DeepClone();
        var extra = new JsonObject { [Key] = own };
        // LoadedModel.DataSettings reads config.json's training.data, as for AttnXai's own checkpoints.
        if (training is not null) extra["training"] = training.DeepClone();
        Directory.CreateDirectory(directory);
        AttnXai.Common.IO.AtomicFile.WriteAllText(Path.Combine(directory, ModelCheckpoint.MetricsFile), (metrics ?? new JsonObject()).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        var tokenizerConfig = HfCheckpoint.DefaultTokenizerConfig(tokenizer.Options.LowerCase, tokenizer.Options.ModelMaxLength ?? config.MaxPositionEmbeddings);
        HfCheckpoint.Write(directory, saved, tensors, tokenizer.VocabularyPath, tokenizerConfig, extra);
    }

    private static BertArchitecture Architecture(BertConfig config, BertWordPieceTokenizer tokenizer, BertHead head, int classes, int length, string where)
    {
        try
        {
            return new BertArchitecture(Sizes(config), head, classes, length, tokenizer.Special).Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}", e); }
    }

    /// <summary>"pooler", "cls" or "mean".</summary>
    public static BertHead ParseHead(string name, string where) => name.Trim().ToLowerInvariant() switch
    {
        "pooler" => BertHead.Pooler,
        "cls" => BertHead.Cls,
        "mean" => BertHead.Mean,
        _ => throw new InvalidDataException($"{where}: unknown head '{name}' (pooler, cls or mean)"),
    };

    /// <summary>Loads checkpoint tensors (the model's names) into a model: every tensor of the model must be there with
    /// its shape; tensors the model does not have are refused, except a pooler a head other than the pooler ignores.</summary>
    private static void LoadInto(BertClassifier model, Dictionary<string, Tensor> tensors, string path)
    {
        var own = model.state_dict();
        foreach (var (name, mine) in own)
        {
            if (!tensors.TryGetValue(name, out var t)) throw new InvalidDataException($"{path}: missing tensor '{name}'");
            if (!t.shape.SequenceEqual(mine.shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", t.shape)}] but config.json implies [{string.Join(", ", mine.shape)}]");
        }
        var extra = tensors.Keys.Where(k => !own.ContainsKey(k) && !(model.Architecture.Head != BertHead.Pooler && IsHead(k))).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{path}: unexpected tensors [{string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? ", ..." : "")}]");
        using var noGrad = torch.no_grad();
        foreach (var (name, mine) in own) mine.copy_(tensors[name].to(mine.dtype));
    }
}
