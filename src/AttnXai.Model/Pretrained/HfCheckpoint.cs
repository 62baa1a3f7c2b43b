using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// Hugging Face checkpoint folders of BERT-family encoders: <c>config.json</c> (<see cref="BertConfig"/>), the weights
/// (<c>model.safetensors</c>, a sharded <c>model.safetensors.index.json</c>, <c>pytorch_model.bin</c> or a sharded
/// <c>pytorch_model.bin.index.json</c>, in that order of preference), <c>vocab.txt</c> and <c>tokenizer_config.json</c>.
/// See README.md beside this file.
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string SafetensorsFile = "model.safetensors";
    public const string SafetensorsIndexFile = "model.safetensors.index.json";
    public const string PytorchFile = "pytorch_model.bin";
    public const string PytorchIndexFile = "pytorch_model.bin.index.json";
    public const string VocabFile = "vocab.txt";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>True when <paramref name="directory"/> has a config.json that is a JSON object with a string
    /// <c>model_type</c> (a Hugging Face checkpoint, whatever the type), unlike AttnXai's own checkpoints (whose
    /// config.json has <c>"format": "attnxai.attention-classifier"</c> and no model_type). Never throws for a bad
    /// folder or file: it answers false.</summary>
    public static bool IsCheckpointFolder(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) return false;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is not JsonObject json) return false;
            if (json.ContainsKey("format")) return false;
            return json["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The folder's config.json (<see cref="BertConfig.Read"/>); FileNotFoundException naming the file
    /// when the folder has none.</summary>
    public static BertConfig ReadConfig(string directory) => BertConfig.Read(Path.Combine(directory, ConfigFile));

    /// <summary>The weights file <see cref="ReadWeights"/> reads from the folder (the first present of
    /// model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json);
    /// FileNotFoundException naming the folder and the files looked for when none is there.</summary>
    public static string WeightsPath(string directory)
    {
        if (!Directory.Exists(directory)) throw new FileNotFoundException($"checkpoint folder not found: {directory}", directory);
        foreach (var name in new[] { SafetensorsFile, SafetensorsIndexFile, PytorchFile, PytorchIndexFile })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"{directory}: no weights file ({SafetensorsFile}, {SafetensorsIndexFile}, {PytorchFile} or {PytorchIndexFile})",
            Path.Combine(directory, SafetensorsFile));
    }

    /// <summary>
    /// Every tensor of the folder's weights (<see cref="WeightsPath"/>), named as stored, as CPU tensors in the caller's
    /// dispose scope: floating-point weights as float32 (float16 and bfloat16 ones converted), integer buffers (such as
    /// <c>embeddings.position_ids</c>) as stored. The folder must hold a config.json. FileNotFoundException for a
    /// missing config, weights file or shard; InvalidDataException naming the file for a corrupt one, a tensor held
    /// twice, a non-finite weight or an index naming a tensor its shard lacks.
    /// </summary>
    public static Dictionary<string, Tensor> ReadWeights(string directory)
    {
        var config = Path.Combine(directory, ConfigFile);
        if (!File.Exists(config)) throw new FileNotFoundException($"{directory} is not a Hugging Face checkpoint: it has no {ConfigFile}", config);
        var path = WeightsPath(directory);
        using var scope = NewDisposeScope();
        var result = Path.GetFileName(path) switch
        {
            SafetensorsFile => ReadFile(path, isSafetensors: true),
            PytorchFile => ReadFile(path, isSafetensors: false),
            SafetensorsIndexFile => ReadSharded(path, isSafetensors: true),
            _ => ReadSharded(path, isSafetensors: false),
        };
        foreach (var t in result.Values) t.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>One weights file's tensors, floating-point ones as float32, finite.</summary>
    private static Dictionary<string, Tensor> ReadFile(string path, bool isSafetensors)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights file not found: {path}", path);
        Dictionary<string, Tensor> raw;
        if (isSafetensors)
        {
            raw = Engine.SafetensorsFile.Load(path);
        }
        else
        {
            Hashtable table;
            try
            {
                using var stream = File.OpenRead(path);
                table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or FileNotFoundException))
            {
                throw new InvalidDataException($"{path}: not a readable PyTorch state dict ({e.GetType().Name}: {e.Message})", e);
            }
            raw = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is not string name || entry.Value is not Tensor t)
                    throw new InvalidDataException($"{path}: holds an entry that is not a named tensor ({entry.Key})");
                raw[name] = t;
            }
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in raw.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var cpu = t.device_type == DeviceType.CPU ? t : t.cpu();
            var converted = cpu.is_floating_point() && cpu.dtype != ScalarType.Float32 ? cpu.to_type(ScalarType.Float32) : cpu;
            if (!converted.AllFinite()) throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values");
            result[name] = converted.contiguous();
        }
        return result;
    }

    /// <summary>A sharded checkpoint: the index's weight_map names each tensor's shard (a file beside the index).</summary>
    private static Dictionary<string, Tensor> ReadSharded(string indexPath, bool isSafetensors)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        JsonObject map;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(indexPath)) is not JsonObject root || root["weight_map"] is not JsonObject wm)
                throw new InvalidDataException($"{indexPath}: no 'weight_map' object");
            map = wm;
        }
        catch (JsonException e) { throw new InvalidDataException($"{indexPath}: not valid JSON ({e.Message})", e); }
        if (map.Count == 0) throw new InvalidDataException($"{indexPath}: 'weight_map' names no tensor");

        var byShard = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, v) in map)
        {
            if (v is not JsonValue jv || !jv.TryGetValue<string>(out var shard) || shard.Length == 0)
                throw new InvalidDataException($"{indexPath}: 'weight_map' gives tensor '{name}' no file name");
            if (shard != Path.GetFileName(shard) || shard is "." or "..")
                throw new InvalidDataException($"{indexPath}: shard '{shard}' of tensor '{name}' is not a file name beside the index");
            if (!byShard.TryGetValue(shard, out var names)) byShard[shard] = names = [];
            names.Add(name);
        }
        foreach (var shard in byShard.Keys)
        {
            var shardPath = Path.Combine(dir, shard);
            if (!File.Exists(shardPath))
                throw new FileNotFoundException($"{indexPath} names shard {shard}, which is missing: {shardPath}", shardPath);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (shard, names) in byShard)
        {
            var shardPath = Path.Combine(dir, shard);
            var tensors = ReadFile(shardPath, isSafetensors);
            foreach (var name in names)
                if (!tensors.ContainsKey(name))
                    throw new InvalidDataException($"{indexPath} puts tensor '{name}' in {shardPath}, which does not hold it");
            foreach (var (name, t) in tensors)
            {
                if (result.ContainsKey(name))
                    throw new InvalidDataException($"{shardPath}: tensor '{name}' is held by another shard too");
                result[name] = t;
            }
        }
        return result;
    }

    /// <summary>
    /// Writes a checkpoint folder: model.safetensors (<see cref="Engine.SafetensorsFile.Save"/>, atomic), a copy of
    /// <paramref name="vocabPath"/> as vocab.txt, tokenizer_config.json (<paramref name="tokenizerConfig"/>; by default
    /// <c>do_lower_case</c> true, <c>model_max_length</c> = max_position_embeddings, BERT's special tokens) and
    /// config.json, last: each file is atomic, and config.json is deleted first, so an interrupted write leaves a folder
    /// <see cref="ReadWeights"/> refuses. The tensors are written as they are (names, dtypes): reading back gives them
    /// bitwise (float32 ones).
    /// </summary>
    public static void Write(string directory, BertConfig config, IReadOnlyDictionary<string, Tensor> tensors, string vocabPath,
        JsonObject? tokenizerConfig = null, JsonObject? extra = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"vocabulary file not found: {vocabPath}", vocabPath);
        Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, ConfigFile);
        if (File.Exists(configPath)) File.Delete(configPath);

        Engine.SafetensorsFile.Save(Path.Combine(directory, SafetensorsFile), tensors);
        var vocabTarget = Path.Combine(directory, VocabFile);
        if (!string.Equals(Path.GetFullPath(vocabPath), Path.GetFullPath(vocabTarget), StringComparison.Ordinal))
            AtomicFile.Write(vocabTarget, o => { using var s = File.OpenRead(vocabPath); s.CopyTo(o); });
        var tokenizer = tokenizerConfig ?? DefaultTokenizerConfig(doLowerCase: true, config.MaxPositionEmbeddings);
        AtomicFile.WriteAllText(Path.Combine(directory, TokenizerConfigFile), tokenizer.ToJsonString(Indented) + "\n");
        var json = config.ToJson();
        // Keys Hugging Face's loaders ignore (AttnXai's head, length, seed and training record).
        if (extra is not null) foreach (var (k, v) in extra) json[k] = v?.DeepClone();
        AtomicFile.WriteAllText(configPath, json.ToJsonString(Indented) + "\n");
    }

    /// <summary>A BERT WordPiece tokenizer_config.json: lower-casing, the longest input, BERT's special tokens.</summary>
    public static JsonObject DefaultTokenizerConfig(bool doLowerCase, int modelMaxLength) => new()
    {
        ["tokenizer_class"] = "BertTokenizer",
        ["do_lower_case"] = doLowerCase,
        ["tokenize_chinese_chars"] = true,
        ["strip_accents"] = null,
        ["model_max_length"] = modelMaxLength,
        ["unk_token"] = "[UNK]",
        ["sep_token"] = "[SEP]",
        ["pad_token"] = "[PAD]",
        ["cls_token"] = "[CLS]",
        ["mask_token"] = "[MASK]",
    };
}
