using System.Text.Json.Nodes;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// A kind of model with its sizes: what the trainer needs to make a model, and a checkpoint to record and rebuild it.
/// A model's configuration record is its architecture (<see cref="ModelConfig"/> for the paper's classifier,
/// <see cref="TransformerConfig"/> for the Transformer; a script's own model writes a small one, see
/// experiments/own_model.cs).
/// </summary>
public interface IModelArchitecture
{
    /// <summary>The name config.json records under "architecture" ("attention-classifier", "transformer", ...).</summary>
    string Architecture { get; }

    /// <summary>How documents are encoded for the model.</summary>
    TextInputs Inputs { get; }

    /// <summary>C, the number of logits.</summary>
    int Classes { get; }

    /// <summary>The sizes as config.json's "model" object (read back by the reader given to
    /// <see cref="ModelArchitectures.Register"/>).</summary>
    JsonObject ToJson();

    /// <summary>A model with weights drawn after <c>torch.manual_seed(seed)</c> (same seed, same weights), on the CPU
    /// and then moved to <paramref name="device"/>; with a null seed, one for weights about to be loaded, which draws
    /// nothing from the global generator.</summary>
    ITextClassifier Create(long? seed, Device? device, ScalarType dtype);

    /// <summary>One line for the train command: "d_e 128, d_att 64, ...".</summary>
    string Summary { get; }

    /// <summary>Throws ArgumentException naming the first invalid size; returns the architecture.</summary>
    IModelArchitecture Validate();
}

/// <summary>The architectures checkpoints can name, and how each reads its "model" object back.</summary>
public static class ModelArchitectures
{
    /// <summary>The paper's classifier: what a checkpoint without an "architecture" field holds (format version 1 and 2).</summary>
    public const string Paper = "attention-classifier";

    private static readonly Dictionary<string, Func<JsonNode?, string, IModelArchitecture>> Readers = new(StringComparer.Ordinal)
    {
        [Paper] = (node, where) => ModelCheckpoint.ConfigFromJson(node, where),
        [TransformerConfig.Name] = (node, where) => TransformerConfig.FromJson(node, where),
    };

    /// <summary>Lets checkpoints of a script's own architecture be loaded (<paramref name="read"/> rebuilds it from
    /// its "model" object, throwing InvalidDataException naming <c>where</c> on a bad field).</summary>
    public static void Register(string name, Func<JsonNode?, string, IModelArchitecture> read)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(read);
        lock (Readers) Readers[name] = read;
    }

    /// <summary>The architecture a checkpoint names (null: the paper's) with its sizes.</summary>
    public static IModelArchitecture Read(string? name, JsonNode? model, string where)
    {
        Func<JsonNode?, string, IModelArchitecture>? read;
        lock (Readers) Readers.TryGetValue(name ?? Paper, out read);
        if (read is null)
            throw new InvalidDataException($"{where}: unknown architecture '{name}' (known: {string.Join(", ", Readers.Keys.Order(StringComparer.Ordinal))}; a script's own model must register its architecture before loading)");
        return read(model, where);
    }

    /// <summary>"layers 2 there, 4 now; heads ...": how two architectures differ, field by field (empty when equal).</summary>
    public static string Differences(IModelArchitecture there, IModelArchitecture now)
    {
        if (there.Architecture != now.Architecture) return $"a {there.Architecture} there, a {now.Architecture} now";
        var a = there.ToJson();
        var b = now.ToJson();
        return string.Join("; ", a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)).Where(k => !JsonNode.DeepEquals(a[k], b[k]))
            .Select(k => $"{ModelConfig.OptionName(k)} {a[k]?.ToJsonString() ?? "(none)"} there, {b[k]?.ToJsonString() ?? "(none)"} now"));
    }
}
