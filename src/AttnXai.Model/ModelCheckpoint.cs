using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Data.Text;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>A model loaded from a checkpoint folder with its text pipeline. Dispose to free the weights.</summary>
public sealed class LoadedModel : IDisposable
{
    private readonly Vocabulary? _vocabulary;
    private readonly ITokenizer? _tokenizer;

    internal LoadedModel(string directory, ITextClassifier model, IModelArchitecture architecture, Vocabulary vocabulary, ITokenizer tokenizer,
        long seed, JsonObject json, LabelMap labels)
    {
        Directory = directory;
        Model = model;
        Architecture = architecture;
        _vocabulary = vocabulary;
        _tokenizer = tokenizer;
        Seed = seed;
        Json = json;
        Labels = labels;
        Encoder = new TextEncoder(tokenizer, vocabulary, model.Inputs.Length, includeMask: model.Inputs.PaddingMask);
    }

    /// <summary>A model that brings its own tokenizer (a pretrained BERT-family checkpoint).</summary>
    public LoadedModel(string directory, ITextClassifier model, IModelArchitecture architecture, ITextTokenizer tokenizer, long seed, JsonObject json, LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Directory = directory;
        Model = model;
        Architecture = architecture;
        TextTokenizer = tokenizer;
        Seed = seed;
        Json = json;
        Labels = labels;
        Encoder = new TextEncoder(tokenizer, model.Inputs.Length, includeMask: model.Inputs.PaddingMask);
    }

    public string Directory { get; }
    public ITextClassifier Model { get; }

    /// <summary>The kind of model and its sizes (its configuration record).</summary>
    public IModelArchitecture Architecture { get; }

    /// <summary>The paper's classifier, for what only it has (the closed forms, the fast path, Figure 3); an
    /// ArgumentException naming the folder and its architecture otherwise.</summary>
    public AttentionClassifier Paper => Model as AttentionClassifier
        ?? throw new ArgumentException($"{Directory} holds a {Architecture.Architecture} model; this needs the paper's attention classifier");

    /// <summary>The word vocabulary of a model AttnXai trained from scratch; an ArgumentException for a pretrained model,
    /// which reads WordPieces through <see cref="TextTokenizer"/>.</summary>
    public Vocabulary Vocabulary => _vocabulary
        ?? throw new ArgumentException($"{Directory} holds a pretrained {Architecture.Architecture} model with its own WordPiece tokenizer; this needs a model trained with a word vocabulary");

    /// <summary>The word tokenizer of a model AttnXai trained from scratch (see <see cref="Vocabulary"/>).</summary>
    public ITokenizer Tokenizer => _tokenizer
        ?? throw new ArgumentException($"{Directory} holds a pretrained {Architecture.Architecture} model with its own WordPiece tokenizer; this needs a model trained with a word tokenizer");

    /// <summary>The model's own tokenizer (text to words and WordPieces) for a pretrained model; null for a model
    /// trained here with a word vocabulary.</summary>
    public ITextTokenizer? TextTokenizer { get; }

    /// <summary>The name of the tokenizer that encodes texts for the model.</summary>
    public string TokenizerName => TextTokenizer?.Name ?? Tokenizer.Name;

    /// <summary>Tokenizer + vocabulary + the model's length (and mask when the model uses one).</summary>
    public TextEncoder Encoder { get; }

    /// <summary>The seed the model was initialised (and trained) with.</summary>
    public long Seed { get; }

    /// <summary>The whole config.json (training settings, data settings...).</summary>
    public JsonObject Json { get; }

    /// <summary>The label of each class (class i = line i), as the training data wrote them.</summary>
    public LabelMap Labels { get; }

    /// <summary>config.json's training.data: how the training data was found, split and encoded (null when not recorded).</summary>
    public JsonObject? DataSettings => Json["training"]?["data"] as JsonObject;

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Checkpoint folders (see CHECKPOINT.md): <c>model.safetensors</c>, <c>vocab.txt</c>, <c>metrics.json</c>, and
/// <c>config.json</c>, written last: each file is written atomically, and the folder is complete exactly when
/// config.json exists (Save deletes it first, so an interrupted Save leaves an incomplete folder that Load refuses).
/// </summary>
public static class ModelCheckpoint
{
    public const string Format = "attnxai.attention-classifier";
    /// <summary>3: config.json names the "architecture" (versions 1 and 2 hold the paper's classifier); 2: it has
    /// "labels" (version 1 checkpoints load with <see cref="DefaultLabels"/>).</summary>
    public const int FormatVersion = 3;
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string VocabularyFile = "vocab.txt";
    public const string MetricsFile = "metrics.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The fingerprint of a checkpoint folder: "sha256:..." over config.json, model.safetensors and vocab.txt (the
    /// files a model's outputs depend on; see <see cref="AttnXai.Common.Sharding.ShardManifest.Fingerprint"/>). Shards
    /// of one run must have used the same one.
    /// </summary>
    public static string Fingerprint(string directory) =>
        AttnXai.Common.Sharding.ShardManifest.Fingerprint(directory, [ConfigFile, WeightsFile, VocabularyFile]);

    /// <summary>
    /// The labels of a checkpoint that does not record them (format version 1, written before labels were kept): for
    /// two classes IMDB's neg and pos (class 1 was always the positive class), else the class ids "0", "1", ....
    /// </summary>
    public static LabelMap DefaultLabels(int classes) => classes == 2 ? DataSource.ImdbLabels : LabelMap.ClassIds(classes);

    /// <summary>Writes a checkpoint folder. <paramref name="training"/> and <paramref name="metrics"/> are stored
    /// as given (null: left out / "{}"); <paramref name="labels"/> (one per class; null: <see cref="DefaultLabels"/>)
    /// name the classes.</summary>
    public static void Save(string directory, AttentionClassifier model, Vocabulary vocabulary, string tokenizer, long seed,
        JsonObject? training = null, JsonObject? metrics = null, LabelMap? labels = null) =>
        Save(directory, model, model.Config, vocabulary, tokenizer, seed, training, metrics, labels);

    /// <summary>Writes a checkpoint folder of any architecture (see the other overload).</summary>
    public static void Save(string directory, ITextClassifier model, IModelArchitecture architecture, Vocabulary vocabulary, string tokenizer, long seed,
        JsonObject? training = null, JsonObject? metrics = null, LabelMap? labels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Tokenizers.Get(tokenizer); // a known name
        if (vocabulary.Count != model.Inputs.VocabSize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} tokens but the model's embedding has {model.Inputs.VocabSize} rows");
        labels ??= DefaultLabels(model.Classes);
        if (labels.Count != model.Classes)
            throw new ArgumentException($"{labels.Count} labels ({labels}) for a model of {model.Classes} classes");
        Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, ConfigFile);
        if (File.Exists(configPath)) File.Delete(configPath);
        SaveWeights(Path.Combine(directory, WeightsFile), model);
        string weightsSha256 = Sha256(Path.Combine(directory, WeightsFile));
        vocabulary.Save(Path.Combine(directory, VocabularyFile));
        AtomicFile.WriteAllText(Path.Combine(directory, MetricsFile), (metrics ?? new JsonObject()).ToJsonString(Indented) + "\n");
        var config = new JsonObject
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion,
            ["architecture"] = architecture.Architecture,
            ["model"] = architecture.ToJson(),
            ["dtype"] = model.DType == ScalarType.Float64 ? "float64" : "float32",
            ["seed"] = seed,
            ["tokenizer"] = tokenizer,
            ["labels"] = new JsonArray(labels.ClassNames.Select(n => (JsonNode)n).ToArray()),
            ["vocabulary_file"] = VocabularyFile,
            ["weights_file"] = WeightsFile,
            [WeightsChecksumField] = weightsSha256,
        };
        if (training is not null) config["training"] = training.DeepClone();
        AtomicFile.WriteAllText(configPath, config.ToJsonString(Indented) + "\n");
    }

    /// <summary>The config.json field that records the SHA-256 of the weights file as Save wrote it (64 lower-case hex
    /// digits); Load verifies it when present (checkpoints written before it, or elsewhere, load without the check).</summary>
    public const string WeightsChecksumField = "weights_sha256";

    /// <summary>The SHA-256 of a file, 64 lower-case hex digits.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>Refuses a weights file whose SHA-256 differs from the one config.json records (safetensors has no
    /// checksum of its own: altered tensor bytes still parse).</summary>
    private static void VerifyChecksum(JsonObject json, string configPath, string weightsPath)
    {
        if (!json.ContainsKey(WeightsChecksumField)) return;
        var expected = Str(json, WeightsChecksumField, configPath);
        if (expected.Length != 64 || !expected.All(char.IsAsciiHexDigitLower))
            throw new InvalidDataException($"{configPath}: {WeightsChecksumField} '{expected}' is not a SHA-256 (64 lower-case hex digits)");
        var actual = Sha256(weightsPath);
        if (actual != expected)
            throw new InvalidDataException($"{weightsPath}: the file's SHA-256 ({actual[..16]}...) is not the one {ConfigFile} records ({expected[..16]}...): the weights were altered or corrupted after they were saved");
    }

    /// <summary>The model's state dictionary (parameters and the position-encoding buffer) as safetensors.</summary>
    public static void SaveWeights(string path, ITextClassifier model)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu());
        SafetensorsFile.Save(path, cpu);
    }

    public static JsonObject ConfigToJson(ModelConfig c) => new()
    {
        ["vocab_size"] = c.VocabSize,
        ["embed_dim"] = c.EmbedDim,
        ["att_dim"] = c.AttDim,
        ["out_dim"] = c.OutDim,
        ["heads"] = c.Heads,
        ["length"] = c.Length,
        ["classes"] = c.Classes,
        ["padding_mask"] = c.PaddingMask,
        ["cls_id"] = c.ClsId,
        ["unk_id"] = c.UnkId,
        ["init_range"] = c.InitRange,
        ["position_encoding"] = c.PositionEncoding,
    };

    /// <summary>Reads a model configuration written by <see cref="ConfigToJson"/>; <paramref name="where"/> names
    /// the file in error messages.</summary>
    public static ModelConfig ConfigFromJson(JsonNode? node, string where)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{where}: missing field 'model' (an object with the model's sizes)");
        var c = new ModelConfig(
            Int(o, "vocab_size", where), Int(o, "embed_dim", where), Int(o, "att_dim", where), Int(o, "out_dim", where),
            Int(o, "heads", where), Int(o, "length", where), Int(o, "classes", where), Bool(o, "padding_mask", where),
            Long(o, "cls_id", where), Long(o, "unk_id", where), Double(o, "init_range", where),
            // Checkpoints written before the field existed all used the sinusoidal encoding.
            !o.ContainsKey("position_encoding") || Bool(o, "position_encoding", where));
        try { return c.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: invalid model sizes: {e.Message}", e); }
    }

    /// <summary>
    /// Loads a checkpoint folder. Errors (IOException / InvalidDataException) name the folder and the missing or bad
    /// file: no folder, no config.json (incomplete), config.json not JSON or missing a field, missing or corrupt
    /// model.safetensors, missing or bad vocabulary, vocabulary size different from the embedding's rows, a tensor
    /// missing or of the wrong shape.
    /// </summary>
    public static LoadedModel Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var dir = Path.GetFullPath(directory);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException(File.Exists(dir) ? $"{dir} is a file, not a model folder" : $"model folder not found: {dir}");
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{dir}: no {ConfigFile}: not a model folder, or an incomplete one ({ConfigFile} is written last; was training interrupted?)", configPath);
        // A Hugging Face checkpoint folder (config.json with a model_type): a pretrained BERT-family classifier.
        if (Pretrained.HfCheckpoint.IsCheckpointFolder(dir)) return Pretrained.PretrainedModel.Load(dir, device);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                   ?? throw new InvalidDataException($"{configPath}: not a JSON object");
        }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not valid JSON ({JsonErrors.Describe(e)})", e); }

        var format = Str(json, "format", configPath);
        if (format != Format) throw new InvalidDataException($"{configPath}: format '{format}' is not '{Format}'");
        int version = Int(json, "format_version", configPath);
        if (version > FormatVersion) throw new InvalidDataException($"{configPath}: format_version {version} is newer than this AttnXai reads ({FormatVersion})");
        if (!json.ContainsKey("model")) throw new InvalidDataException($"{configPath}: missing field 'model'");
        var architectureName = version < 3 ? null : Str(json, "architecture", configPath);
        var architecture = ModelArchitectures.Read(architectureName, json["model"], configPath + " (model)");
        var inputs = architecture.Inputs;
        long seed = Long(json, "seed", configPath);
        var dtypeName = Str(json, "dtype", configPath);
        var dtype = dtypeName switch
        {
            "float32" => ScalarType.Float32,
            "float64" => ScalarType.Float64,
            _ => throw new InvalidDataException($"{configPath}: dtype '{dtypeName}' is not float32 or float64"),
        };
        var labels = version < 2 ? DefaultLabels(architecture.Classes) : LabelsFromJson(json, architecture.Classes, configPath);
        var tokenizerName = Str(json, "tokenizer", configPath);
        ITokenizer tokenizer;
        try { tokenizer = Tokenizers.Get(tokenizerName); }
        catch (ArgumentException e) { throw new InvalidDataException($"{configPath}: {e.Message}", e); }
        var vocabPath = Path.Combine(dir, SafeName(Str(json, "vocabulary_file", configPath), configPath));
        var weightsPath = Path.Combine(dir, SafeName(Str(json, "weights_file", configPath), configPath));

        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{dir}: missing vocabulary file {Path.GetFileName(vocabPath)}", vocabPath);
        Vocabulary vocabulary;
        try { vocabulary = Vocabulary.Load(vocabPath); }
        catch (DataException e) { throw new InvalidDataException(e.Message, e); }
        if (vocabulary.Count != inputs.VocabSize)
            throw new InvalidDataException($"{vocabPath}: the vocabulary has {vocabulary.Count} tokens but the model's embedding has {inputs.VocabSize} rows (config.json vocab_size)");

        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{dir}: missing {Path.GetFileName(weightsPath)}", weightsPath);
        var model = architecture.Create(null, null, dtype);
        try
        {
            using var scope = torch.NewDisposeScope();
            var tensors = SafetensorsFile.Load(weightsPath, requireFinite: true);
            CheckTensors(model, tensors, weightsPath);
            VerifyChecksum(json, configPath, weightsPath);   // after the checks that say more (a NaN, a missing tensor)
            model.Module.load_state_dict(tensors);
            if (device is not null && device.IsCuda()) model.Module.to(device);
            model.Module.eval();
        }
        catch
        {
            model.Module.Dispose();
            throw;
        }
        return new LoadedModel(dir, model, architecture, vocabulary, tokenizer, seed, json, labels);
    }

    /// <summary>Loads weights written by <see cref="SaveWeights"/> into a model, checking names, shapes and types.</summary>
    public static void LoadWeights(string path, ITextClassifier model)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"missing weights file {path}", path);
        using var scope = torch.NewDisposeScope();
        var tensors = SafetensorsFile.Load(path, requireFinite: true);
        CheckTensors(model, tensors, path);
        model.Module.load_state_dict(tensors);
    }

    private static void CheckTensors(ITextClassifier model, Dictionary<string, Tensor> tensors, string path)
    {
        var own = model.Module.state_dict();
        foreach (var (name, mine) in own)
        {
            if (!tensors.TryGetValue(name, out var t)) throw new InvalidDataException($"{path}: missing tensor '{name}'");
            if (!t.shape.SequenceEqual(mine.shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", t.shape)}] but config.json implies [{string.Join(", ", mine.shape)}]");
            if (t.dtype != mine.dtype)
                throw new InvalidDataException($"{path}: tensor '{name}' is {t.dtype} but config.json says {mine.dtype}");
        }
        var extra = tensors.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{path}: unexpected tensors [{string.Join(", ", extra)}]");
    }

    private static LabelMap LabelsFromJson(JsonObject json, int classes, string where)
    {
        if (Field(json, "labels", where) is not JsonArray a || a.Any(n => n is not JsonValue v || !v.TryGetValue(out string? _)))
            throw new InvalidDataException($"{where}: field 'labels' must be an array of strings (one label per class)");
        var names = a.Select(n => n!.GetValue<string>()).ToArray();
        if (names.Length != classes)
            throw new InvalidDataException($"{where}: {names.Length} labels for a model of {classes} classes");
        try { return new LabelMap(names); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: field 'labels': {e.Message}", e); }
    }

    private static string SafeName(string name, string where) =>
        name.Length > 0 && Path.GetFileName(name) == name && name != "." && name != ".."
            ? name : throw new InvalidDataException($"{where}: '{name}' must be a plain file name inside the model folder");

    // ---- JSON field readers with clear errors ----------------------------------------------------------------

    private static JsonNode Field(JsonObject o, string name, string where) =>
        o.TryGetPropertyValue(name, out var n) && n is not null ? n : throw new InvalidDataException($"{where}: missing field '{name}'");

    private static T Value<T>(JsonObject o, string name, string where, string kind)
    {
        var n = Field(o, name, where);
        try { return n.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: field '{name}' must be {kind}, found {n.ToJsonString()}", e);
        }
    }

    internal static int Int(JsonObject o, string name, string where) => Value<int>(o, name, where, "an integer");
    internal static long Long(JsonObject o, string name, string where) => Value<long>(o, name, where, "an integer");
    internal static double Double(JsonObject o, string name, string where) => Value<double>(o, name, where, "a number");
    internal static bool Bool(JsonObject o, string name, string where) => Value<bool>(o, name, where, "true or false");
    internal static string Str(JsonObject o, string name, string where) => Value<string>(o, name, where, "a string");
}
