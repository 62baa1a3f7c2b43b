using System.Text.Json.Nodes;
using AttnXai.Data;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;

namespace AttnXai.Model;

/// <summary>
/// The data of a trained model again, for evaluation and explanation: the source it was trained on (or another one),
/// split as in training, its labels mapped through the model's labels. One mechanism for every source: `eval`,
/// `explain`, `faithfulness` name a part (train, val, test) and get the same documents training used.
/// </summary>
public static class ModelData
{
    public static readonly IReadOnlyList<string> PartNames = ["test", "val", "train"];

    /// <summary>What to do about data labels the model does not know.</summary>
    public const string LabelsHint = "give the data's labels in the model's class order with --labels";

    /// <summary>
    /// The file options recorded at training (text and label columns, format, quoting), or null when the model was
    /// trained on IMDB or the checkpoint does not record them. Explicit options given by the user override them.
    /// </summary>
    public static LabelledTextOptions? RecordedFileOptions(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return RecordedFileOptions(model.DataSettings);
    }

    /// <summary>The same from a model folder's config.json, without loading the model (null when it cannot be read:
    /// loading the model reports why).</summary>
    public static LabelledTextOptions? RecordedFileOptions(string modelDirectory)
    {
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(modelDirectory, ModelCheckpoint.ConfigFile)));
            return RecordedFileOptions(json?["training"]?["data"] as JsonObject);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The file options of a checkpoint's training.data (null for IMDB or when absent).</summary>
    public static LabelledTextOptions? RecordedFileOptions(JsonObject? d)
    {
        if (d is null || Kind(d) == SourceKind.Imdb) return null;
        var o = new LabelledTextOptions();
        if (d["text_column"]?.GetValue<string>() is { } t) o = o with { TextColumn = t };
        if (d["label_column"]?.GetValue<string>() is { } l) o = o with { LabelColumn = l };
        if (d["quoting"]?.GetValue<bool>() is { } q) o = o with { Quoting = q };
        if (d["format"]?.GetValue<string>() is { } f && Enum.TryParse<TextFileFormat>(f == "auto" ? "Auto" : f, ignoreCase: true, out var format)) o = o with { Format = format };
        return o;
    }

    /// <summary>The path of the model's recorded data source, or null (IMDB found the usual way) when it was IMDB and
    /// the recorded path is gone, or nothing is recorded.</summary>
    public static string? RecordedSource(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.DataSettings?["source"]?.GetValue<string>() is not { } path) return null;
        bool exists = File.Exists(path) || Directory.Exists(path);
        if (Kind(model.DataSettings) == SourceKind.Imdb) return exists ? path : null;
        if (!exists)
            throw new DataException(path, null, $"the data {model.Directory} was trained on is no longer there; give --data PATH");
        return path;
    }

    /// <summary>
    /// Reads <paramref name="dataPath"/> (null: the model's own data, see <see cref="RecordedSource"/>) with the model's
    /// labels (or the file options' own Labels, e.g. --labels) and splits it as training did: the recorded split seed,
    /// and the recorded validation and test counts when the data is the one the model was trained on (the source's
    /// defaults otherwise).
    /// </summary>
    public static (SourceParts Source, SplitParts Parts) Read(LoadedModel model, string? dataPath, LabelledTextOptions fileOptions, Action<string>? log = null)
    {
        var (source, split) = Read(model, dataPath, fileOptions, log, splitNow: true);
        return (source, split!);
    }

    private static (SourceParts Source, SplitParts? Parts) Read(LoadedModel model, string? dataPath, LabelledTextOptions fileOptions, Action<string>? log, bool splitNow)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fileOptions);
        var path = dataPath ?? RecordedSource(model);
        if (fileOptions.Labels is null) fileOptions = fileOptions with { Labels = model.Labels, LabelsOrigin = "the model's labels", LabelsHint = LabelsHint };
        else if (fileOptions.Labels.Count != model.Model.Classes)
            throw new ArgumentException($"--labels names {fileOptions.Labels.Count} labels but the model has {model.Model.Classes} classes ({model.Labels.Describe()})");
        var source = DataSource.Read(path, fileOptions, log);
        if (!splitNow && source.Test is not null) return (source, null);
        var d = model.DataSettings;
        ulong seed = d?["split_seed"]?.GetValue<ulong>() ?? DataSplits.PaperSeed;
        bool same = d?["source"]?.GetValue<string>() is { } recorded && Path.GetFullPath(recorded) == Path.GetFullPath(source.Path);
        int? validation = same && source.Validation is null ? d?["validation_count"]?.GetValue<int?>() : null;
        int? test = same && source.Test is null ? d?["test_count"]?.GetValue<int?>() : null;
        return (source, PartSplit.Apply(source, validation, test, seed));
    }

    /// <summary>
    /// One part of the data (see <see cref="Read"/>) by name: test, val or train. The test part of a source that has
    /// one (IMDB, a folder with a test file) is taken as it is, without splitting the train part.
    /// </summary>
    public static (SourceParts Source, IReadOnlyList<LabelledDocument> Documents) ReadPart(LoadedModel model, string? dataPath, LabelledTextOptions fileOptions,
        string part, Action<string>? log = null)
    {
        var name = part.Trim().ToLowerInvariant();
        if (!PartNames.Contains(name)) throw new ArgumentException($"--split must be test, val or train, got '{part}'");
        var (source, split) = Read(model, dataPath, fileOptions, log, splitNow: name != "test");
        return (source, name == "test" && source.Test is not null ? source.Test : Part(split!, name));
    }

    /// <summary>One part by name: test, val or train.</summary>
    public static IReadOnlyList<LabelledDocument> Part(SplitParts parts, string name) => name.Trim().ToLowerInvariant() switch
    {
        "test" => parts.Test,
        "val" or "validation" => parts.Validation,
        "train" => parts.Train,
        _ => throw new ArgumentException($"--split must be test, val or train, got '{name}'"),
    };

    private static SourceKind Kind(JsonObject d) =>
        d["kind"]?.GetValue<string>() is { } k && Enum.TryParse<SourceKind>(k, ignoreCase: true, out var kind) ? kind : SourceKind.Imdb;
}
