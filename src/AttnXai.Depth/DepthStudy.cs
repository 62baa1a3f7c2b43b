using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common;
using AttnXai.Common.IO;
using AttnXai.Common.Random;
using AttnXai.Common.Sharding;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Explain.Explainers;
using AttnXai.Faithfulness;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Depth;

/// <summary>What one stage left behind (its marker, .stages/NAME.json): its time, values and the settings it ran with.</summary>
public sealed record DepthStage(string Name, double Seconds, Dictionary<string, string> Values, Dictionary<string, string> Settings);

/// <summary>
/// The depth study: for the paper's model and Transformers of several depths (trained here through the
/// <see cref="Trainer"/>, resumable, or reused), the same seeded test documents, and per model the agreement between
/// explainers, the faithfulness violation ratios, the erasure curves and the theorems on the last layer
/// (<see cref="DocumentMeasures"/>); then tidy CSVs, SVG figures and report.html (<see cref="DepthReport"/>).
/// <para>Stages: model-NAME (train or check the reused folder), measure-NAME (documents in chunks of
/// <see cref="DepthSettings.ChunkSize"/>, each chunk's tables written as part files, so an interrupted stage resumes
/// at its first missing chunk), then the outputs (always rebuilt, cheap). Each stage records its settings when it
/// starts (.stages/NAME.settings.json) and in its marker; a rerun with other settings is refused before any work,
/// naming them. A completed stage is skipped.</para>
/// <para>Sharded (<see cref="DepthSettings.Shard"/>), a run measures only its shard's chunks of the documents, for every
/// model (all reused), and writes shard.json instead of the outputs; <see cref="Merge"/> gathers the parts' chunk files
/// into one folder and writes the outputs from them, as an unsharded run does (the per-document CSVs byte-identical:
/// each document's seeds derive from its index in the whole study).</para>
/// </summary>
public sealed class DepthStudy
{
    public const string MarkerFolder = StageFolder.Name;
    public const string PartsFolder = "parts";
    public const string ModelsFolder = "models";

    /// <summary>The name of the study in shard manifests (and the command).</summary>
    public const string Study = "depth";

    /// <summary>The per-document tables: file name and header.</summary>
    public static readonly IReadOnlyList<(string File, string[] Header)> Tables =
    [
        ("documents", DocumentMeasures.DocumentHeader), ("agreement", DocumentMeasures.AgreementHeader), ("violations", DocumentMeasures.ViolationHeader),
        ("erasure", DocumentMeasures.ErasureHeader), ("theory", DocumentMeasures.TheoryHeader),
    ];

    private readonly DepthSettings _s;
    private readonly Action<string> _log;

    public DepthStudy(DepthSettings settings, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _s = settings.Validate();
        _log = log ?? (_ => { });
    }

    /// <summary>Where progress lines go (a line rewritten in place on a terminal); null: to the log.</summary>
    public Action<string>? Progress { get; init; }

    public string OutDir => _s.OutputDirectory;
    public List<DepthStage> Stages { get; } = [];

    /// <summary>The study's documents: the first <paramref name="count"/> of a SplitMix64 permutation of the test reviews
    /// (seed derived from <paramref name="seed"/>), in the split's order; all of them when fewer. Document i of the
    /// study is element i of this list, whatever part of the list a run computes.</summary>
    public static IReadOnlyList<ImdbReview> Documents(IReadOnlyList<ImdbReview> test, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.Count == 0) throw new ArgumentException("the IMDB data holds no test review");
        if (count >= test.Count) return test;
        var perm = new SplitMix64(SplitMix64.Derive(seed, 13UL)).Permutation(test.Count);
        return perm.Take(count).Order().Select(i => test[i]).ToArray();
    }

    /// <summary>Where a model is: its reused folder, or models/NAME under the output.</summary>
    public string ModelDirectory(DepthModel m) => m.Directory ?? Path.Combine(_s.OutputDirectory, ModelsFolder, m.Name);

    // ---- settings of the stages ------------------------------------------------------------------------------

    public static string[] StageNames(DepthSettings s) => [.. s.Models.Select(m => "model-" + m.Name), .. s.Models.Select(m => "measure-" + m.Name)];

    /// <summary>The settings a stage's results depend on (no data needed: a run folder is checked before any is read).</summary>
    public static Dictionary<string, string> StageSettings(DepthSettings s, string stage)
    {
        var inv = CultureInfo.InvariantCulture;
        var model = s.Models.Single(m => stage == "model-" + m.Name || stage == "measure-" + m.Name);
        var d = new Dictionary<string, string>
        {
            ["model"] = model.Directory is { } dir ? $"reused from {Path.GetFullPath(dir)} (weights {WeightsDigest(dir)})" : $"trained here: {s.Recipe.Describe(model)}",
            ["data"] = s.DataPath is null ? "IMDB as train finds it" : Path.GetFullPath(s.DataPath),
        };
        if (stage.StartsWith("measure-", StringComparison.Ordinal))
        {
            d["docs"] = s.Docs.ToString(inv);
            d["seed"] = s.Seed.ToString(inv);
            d["methods"] = string.Join(",", s.Methods);
            d["lime_samples"] = s.LimeSamples.ToString(inv);
            d["lime_runs"] = s.LimeRuns.ToString(inv);
            d["ig_steps"] = s.IgSteps.ToString(inv);
            d["top_fraction"] = s.TopFraction.ToString("R", inv);
            d["erasure_removal"] = s.ErasureRemoval.Name();
            d["chunk_size"] = s.ChunkSize.ToString(inv);
            // The class explained, when it is not the model's own (its last class): --target pos, --target 1 and no
            // --target are one run on an IMDB model, and run folders made before --target existed stay valid.
            if (s.Target is { } target && TargetClass(model, target) is var c && Labels(model) is var labels && c != labels.Count - 1)
                d["target"] = $"{labels.ClassNames[c]} (class {c.ToString(inv)})";
            if (s.Shard is { } shard) d["shard"] = shard.ToString();   // a part folder holds one shard's chunks only
        }
        return d;
    }

    /// <summary>The first 16 hex digits of the SHA-256 of a reused folder's weights file, so that a folder retrained
    /// in place is not mixed with results of its earlier weights ("missing" when there is none yet).</summary>
    public static string WeightsDigest(string dir)
    {
        var weights = Path.Combine(dir, ModelCheckpoint.WeightsFile);
        if (!File.Exists(weights)) return "missing";
        using var stream = File.OpenRead(weights);
        return "sha256 " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream))[..16];
    }

    /// <summary>The run folder's stages (<see cref="StageFolder{T}"/>).</summary>
    private static StageFolder<DepthStage> StageFiles(string outDir) => new(outDir, r => r.Settings);

    /// <summary>Refuses an output folder whose stages (completed or started) ran with other settings, naming them.</summary>
    public static void CheckRunFolder(DepthSettings s)
    {
        var stages = StageFiles(s.OutputDirectory);
        foreach (var name in StageNames(s)) stages.Check(name, StageSettings(s, name));
    }

    private static DepthStage ReadMarker(string path) => StageFolder<DepthStage>.ReadRecord(path);

    private static T ReadJson<T>(string path)
    {
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid ({JsonErrors.Describe(e)}); delete it to recompute the stage", e); }
    }

    private DepthStage Stage(string name, Func<(double Seconds, Dictionary<string, string> Values)> run)
    {
        var settings = StageSettings(_s, name);
        var stages = StageFiles(_s.OutputDirectory);
        if (stages.Begin(name, settings) is { } done)
        {
            _log($"[{name}] done earlier ({done.Seconds:F1} s): skipped");
            Stages.Add(done);
            return done;
        }
        _log($"[{name}] running ...");
        var sw = Stopwatch.StartNew();
        var (seconds, values) = run();
        var rec = new DepthStage(name, Math.Max(seconds, sw.Elapsed.TotalSeconds), values, settings);
        stages.Complete(name, rec);
        _log($"[{name}] done in {rec.Seconds:F1} s");
        Stages.Add(rec);
        return rec;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // ---- the run ------------------------------------------------------------------------------------------------

    /// <summary>Runs (or resumes) the study and writes its outputs; returns the written files.</summary>
    public IReadOnlyList<string> Run()
    {
        foreach (var m in _s.Models.Where(m => m.Directory is not null)) CheckReused(m);
        if (_s.Target is { } target) CheckTarget(_s.Models, target);
        CheckRunFolder(_s);   // after the models' checks: a measure stage's settings name the class --target resolves to
        var dataPath = DataSource.LocateImdb(_s.DataPath);
        _log($"reading IMDB from {dataPath} ...");
        var imdb = ImdbReader.Read(dataPath);
        Directory.CreateDirectory(Path.Combine(_s.OutputDirectory, MarkerFolder));   // only now: bad input leaves nothing behind
        var documents = Documents(imdb.Test, _s.Docs, _s.Seed);
        var shard = _s.Shard ?? ShardSpec.Whole;
        shard.CheckFits(documents.Count, _s.ChunkSize, $"the {documents.Count} documents of the study");
        var slice = shard.Slice(documents.Count, _s.ChunkSize);
        string which = _s.Shard is null ? "" : $"; shard {shard}: documents {slice.Start.Value} to {slice.End.Value - 1}";
        _log($"{documents.Count} test documents, {_s.Models.Count} models ({string.Join(", ", _s.Models.Select(m => m.Name))}){which}");

        PreparedData? prepared = null;
        foreach (var m in _s.Models)
            Stage("model-" + m.Name, () =>
            {
                var dir = ModelDirectory(m);
                double seconds = 0;
                if (m.Directory is null)
                {
                    prepared ??= DataPreparation.Prepare(DataSource.FromImdb(imdb), _s.Recipe.Data);
                    seconds = Train(m, prepared, dir);
                }
                return (seconds, ModelValues(m, dir, seconds));
            });

        foreach (var m in _s.Models)
        {
            var marker = Path.Combine(_s.OutputDirectory, MarkerFolder, $"measure-{m.Name}.json");
            if (File.Exists(marker) && MissingChunks(m, documents.Count) is { Count: > 0 } missing)
            {
                _log($"[measure-{m.Name}] chunk(s) {string.Join(", ", missing)} missing on disk: recomputing them");
                File.Delete(marker);
            }
            Stage("measure-" + m.Name, () => Measure(m, documents));
        }

        if (_s.Shard is not null) return WritePart(documents.Count);
        var files = DepthReport.Write(_s, Stages, documents.Count, _log);
        _log($"report: {Path.GetFullPath(Path.Combine(_s.OutputDirectory, DepthReport.ReportFile))}");
        return files;
    }

    /// <summary>
    /// Checks a reused model folder before any work, from its config.json alone: a model folder, of the kind its name
    /// says (the paper's classifier for "paper", a Transformer of N layers for "transformer-N"), binary. Throws
    /// IOException or InvalidDataException naming the folder and what differs.
    /// </summary>
    public static void CheckReused(DepthModel m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var dir = m.Directory ?? throw new ArgumentException($"{m.Name} is not reused");
        string where = $"{m.Name}={dir}";
        var config = Path.Combine(dir, ModelCheckpoint.ConfigFile);
        if (!File.Exists(config))
            throw new IOException(Directory.Exists(dir) ? $"{where}: no {ModelCheckpoint.ConfigFile}: not a model folder, or an incomplete one" : $"{where}: no such model folder");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(config)) as JsonObject ?? throw new InvalidDataException($"{where}: {config} is not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: {config} is not valid JSON ({JsonErrors.Describe(e)})", e); }
        if (m.Pretrained)
        {
            using var loaded = ModelCheckpoint.Load(dir);
            if (loaded.Model is not Model.Pretrained.BertClassifier)
                throw new InvalidDataException($"{where}: the folder holds {loaded.Architecture.Summary}, not a pretrained classifier");
            if (loaded.Architecture.Classes != 2) throw new InvalidDataException($"{where}: the model has {loaded.Architecture.Classes} classes; the study needs a binary (IMDB) model");
            return;
        }
        string? name = json["architecture"] is JsonValue v && v.TryGetValue(out string? a) ? a : null;
        var arch = ModelArchitectures.Read(name, json["model"], config);
        string expected = m.Layers is null ? "the paper's model" : $"a Transformer of {m.Layers} layer{(m.Layers == 1 ? "" : "s")}";
        bool kind = m.Layers is null ? arch is ModelConfig : arch is TransformerConfig t && t.Layers == m.Layers;
        if (!kind) throw new InvalidDataException($"{where}: the folder holds {arch.Summary}, but the name {m.Name} asks for {expected}");
        if (arch.Classes != 2) throw new InvalidDataException($"{where}: the model has {arch.Classes} classes; the study needs a binary (IMDB) model");
    }

    /// <summary>Before any work: every model has the class <paramref name="target"/> names. A <see cref="UserError"/>
    /// naming the first that has not.</summary>
    public static void CheckTarget(IEnumerable<DepthModel> models, string target)
    {
        foreach (var m in models) TargetClass(m, target);
    }

    /// <summary>The class <paramref name="target"/> names for model <paramref name="m"/> (a label or an index), from its
    /// labels (<see cref="Labels"/>); a <see cref="UserError"/> naming the model when it has no such class.</summary>
    public static int TargetClass(DepthModel m, string target)
    {
        var labels = Labels(m);
        if (labels.TryParseClass(target, out int c)) return c;
        string whose = m.Directory is { } dir ? $"{m.Name}={dir}" : $"the IMDB model {m.Name} the study trains";
        throw new UserError($"--target '{target}' is neither a label of {whose} ({labels.Describe()}) nor a class index 0 to {labels.Count - 1} (the depth study explains one class for every document)");
    }

    /// <summary>A study model's class labels, from its config.json alone (no weights read): IMDB's for a model trained
    /// here. The study's models are binary (<see cref="CheckReused"/>).</summary>
    public static LabelMap Labels(DepthModel m)
    {
        if (m.Directory is not { } dir) return DataSource.ImdbLabels;
        if (Model.Pretrained.HfCheckpoint.IsCheckpointFolder(dir))
        {
            var c = Model.Pretrained.HfCheckpoint.ReadConfig(dir);
            return c.Labels.Count > 0 ? new LabelMap([.. c.Labels]) : ModelCheckpoint.DefaultLabels(2);
        }
        var config = Path.Combine(dir, ModelCheckpoint.ConfigFile);
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(config)) as JsonObject ?? throw new InvalidDataException($"{m.Name}={dir}: {config} is not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{m.Name}={dir}: {config} is not valid JSON ({JsonErrors.Describe(e)})", e); }
        if (json["labels"] is not JsonArray a) return ModelCheckpoint.DefaultLabels(2);   // format 1: no labels recorded
        var names = a.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw new InvalidDataException($"{m.Name}={dir}: {config}: field 'labels' must be an array of strings")).ToList();
        try { return new LabelMap(names); }
        catch (ArgumentException e) { throw new InvalidDataException($"{m.Name}={dir}: {config}: field 'labels': {e.Message}", e); }
    }

    private double Train(DepthModel m, PreparedData data, string dir)
    {
        var arch = _s.Recipe.Architecture(m, data.Vocabulary.Count, data.Labels.Count);
        var options = _s.Recipe.Training(m) with { Device = _s.Device };
        var trainer = new Trainer(arch, options, data.Train, data.Validation, data.Test, dir)
        {
            Vocabulary = data.Vocabulary, Tokenizer = data.Tokenizer.Name, DataSettings = data.Settings, Labels = data.Labels, Observer = new LogObserver(_log),
        };
        var outcome = trainer.Run();
        using (outcome.Model)
            _log($"  {m.Name}: test accuracy {outcome.Test?.Accuracy:P2} on {outcome.Test?.Count} reviews, {outcome.Seconds:F0} s of training");
        return outcome.Seconds;
    }

    private static Dictionary<string, string> ModelValues(DepthModel m, string dir, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        using var loaded = ModelCheckpoint.Load(dir);
        var metrics = Path.Combine(loaded.Directory, ModelCheckpoint.MetricsFile);
        var json = File.Exists(metrics) ? JsonNode.Parse(File.ReadAllText(metrics)) : null;
        string acc = json?["test_accuracy"] is JsonValue v && v.TryGetValue(out double a) ? a.ToString("R", inv) : "";
        string count = json?["test_count"] is JsonValue c && c.TryGetValue(out int n) ? n.ToString(inv) : "";
        long parameters = loaded.Model.Module.parameters().Sum(p => p.numel());
        var values = new Dictionary<string, string>
        {
            ["architecture"] = loaded.Architecture.Summary,
            ["layers"] = loaded.Model is IAttentionModel am ? am.Layers.ToString(inv) : "",
            ["parameters"] = parameters.ToString(inv),
            ["test_accuracy"] = acc,
            ["test_count"] = count,
            ["source"] = m.Directory is null ? "trained here" : $"reused from {Path.GetFullPath(dir)}",
            ["training_seconds"] = seconds > 0 ? seconds.ToString("F1", inv) : "",
        };
        foreach (var (method, reason) in ZeroByConstruction(loaded.Model)) values[ZeroKey + method] = reason;
        return values;
    }

    /// <summary>The prefix of a model stage's values that record a method zero by construction for the model.</summary>
    public const string ZeroKey = "zero_by_construction:";

    /// <summary>Every method of the catalogue whose scores are zero by construction for the model, with the reason.</summary>
    public static IEnumerable<(string Method, string Reason)> ZeroByConstruction(ITextClassifier model) =>
        ExplainerRegistry.MethodNames().Select(n => (n, ExplainerRegistry.InfoOf(n).ZeroReason(model))).Where(x => x.Item2 is not null).Select(x => (x.n, x.Item2!));

    private sealed class LogObserver(Action<string> log) : ITrainingObserver
    {
        public void EpochCompleted(EpochMetrics e, bool best) =>
            log(string.Create(CultureInfo.InvariantCulture, $"  epoch {e.Epoch}: train loss {e.TrainLoss:F4}, validation accuracy {e.ValidationAccuracy:P2}, {e.Seconds:F0} s{(best ? " (best)" : "")}"));
        public void Message(string text) => log("  " + text);
    }

    /// <summary>The measure stage of one model: every chunk of documents not on disk yet, one document at a time.</summary>
    private (double Seconds, Dictionary<string, string> Values) Measure(DepthModel m, IReadOnlyList<ImdbReview> documents)
    {
        var parts = Path.Combine(_s.OutputDirectory, PartsFolder, m.Name);
        Directory.CreateDirectory(parts);
        var (firstChunk, endChunk) = ChunkRange(documents.Count);
        StudyModel? model = null;
        var last = Stopwatch.StartNew();
        try
        {
            for (int c = firstChunk; c < endChunk; c++)
            {
                if (ChunkComplete(parts, c)) continue;
                model ??= StudyModel.Load(m, ModelDirectory(m), _s.Device, _s.Target is { } target ? TargetClass(m, target) : null);
                var clock = Stopwatch.StartNew();
                var tables = Tables.Select(t => new CsvTable(t.Header)).ToArray();
                var seconds = new Dictionary<string, double>();
                int start = c * _s.ChunkSize, end = Math.Min(documents.Count, start + _s.ChunkSize);
                for (int i = start; i < end; i++)
                {
                    var rows = DocumentMeasures.Measure(model, _s, i, documents[i]);
                    tables[0].Add(rows.Document);
                    foreach (var r in rows.Agreement) tables[1].Add(r);
                    foreach (var r in rows.Violations) tables[2].Add(r);
                    foreach (var r in rows.Erasure) tables[3].Add(r);
                    if (rows.Theory is { } th) tables[4].Add(th);
                    foreach (var (k, v) in rows.Seconds) seconds[k] = seconds.GetValueOrDefault(k) + v;
                    if (i + 1 == end || last.Elapsed.TotalSeconds > 10)
                    {
                        (Progress ?? _log)($"  {m.Name}: {Bar(i + 1, documents.Count)} {i + 1}/{documents.Count} documents");
                        last.Restart();
                    }
                }
                for (int t = 0; t < Tables.Count; t++) tables[t].Write(Path.Combine(parts, $"{c:D5}.{Tables[t].File}.csv"));
                seconds["total"] = clock.Elapsed.TotalSeconds;
                seconds["documents"] = end - start;
                AtomicFile.WriteAllText(ChunkDone(parts, c), JsonSerializer.Serialize(seconds, Indented));   // last: the chunk is complete
            }
        }
        finally { model?.Dispose(); }
        var times = ChunkSeconds(parts);
        int measured = Math.Min(documents.Count, endChunk * _s.ChunkSize) - firstChunk * _s.ChunkSize;
        return (times.GetValueOrDefault("total"), MeasureValues(measured, times.GetValueOrDefault("total")));
    }

    private static Dictionary<string, string> MeasureValues(int documents, double seconds) => new()
    {
        ["documents"] = documents.ToString(CultureInfo.InvariantCulture),
        ["seconds_per_document"] = (seconds / Math.Max(1, documents)).ToString("F3", CultureInfo.InvariantCulture),
    };

    /// <summary>The chunks [first, end) this run computes: all of them, or its shard's.</summary>
    private (int First, int End) ChunkRange(int documents)
    {
        var slice = (_s.Shard ?? ShardSpec.Whole).Slice(documents, _s.ChunkSize);
        return (slice.Start.Value / _s.ChunkSize, (slice.End.Value + _s.ChunkSize - 1) / _s.ChunkSize);
    }

    // ---- shards ---------------------------------------------------------------------------------------------------

    /// <summary>A shard's shard.json: its chunk files and the model markers, the settings that make parts belong to one
    /// run, and a fingerprint of every model's files.</summary>
    private IReadOnlyList<string> WritePart(int documents)
    {
        var shard = _s.Shard!.Value;
        var slice = shard.Slice(documents, _s.ChunkSize);
        var (first, end) = ChunkRange(documents);
        var files = new List<string>();
        var seconds = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var m in _s.Models)
        {
            files.Add($"{MarkerFolder}/model-{m.Name}.json");
            for (int c = first; c < end; c++)
            {
                files.AddRange(Tables.Select(t => $"{PartsFolder}/{m.Name}/{c:D5}.{t.File}.csv"));
                files.Add($"{PartsFolder}/{m.Name}/{c:D5}.seconds.json");
            }
            seconds[m.Name] = ChunkSeconds(Path.Combine(_s.OutputDirectory, PartsFolder, m.Name)).GetValueOrDefault("total");
        }
        new ShardManifest
        {
            Study = Study, Shard = shard.Index, Shards = shard.Count, Documents = documents, ChunkSize = _s.ChunkSize,
            First = slice.Start.Value, End = slice.End.Value,
            Model = string.Join("; ", _s.Models.Select(m => Path.GetFullPath(ModelDirectory(m)))), ModelFingerprint = ModelsFingerprint(),
            Settings = ShardSettings(_s), Files = files, Seconds = seconds,
            Environment = new(StringComparer.Ordinal)
            {
                ["host"] = Environment.MachineName, ["threads"] = TorchSharp.torch.get_num_threads().ToString(CultureInfo.InvariantCulture),
                ["device"] = _s.Device?.ToString() ?? "cpu",
            },
        }.Write(_s.OutputDirectory);
        _log($"shard {shard} of the depth study written to {Path.GetFullPath(_s.OutputDirectory)}; `attnxai merge` of the {shard.Count} part folders writes the outputs");
        return [.. files.Select(f => Path.Combine(_s.OutputDirectory, f)), Path.Combine(_s.OutputDirectory, ShardManifest.FileName)];
    }

    /// <summary>One fingerprint over every model's folder (name and <see cref="ModelCheckpoint.Fingerprint"/>).</summary>
    private string ModelsFingerprint()
    {
        var lines = string.Concat(_s.Models.Select(m => $"{m.Name} {ModelCheckpoint.Fingerprint(ModelDirectory(m))}\n"));
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lines)));
    }

    /// <summary>Everything a sharded run's rows depend on besides the models' weights; <see cref="Merge"/> rebuilds the
    /// settings from it.</summary>
    public static SortedDictionary<string, string> ShardSettings(DepthSettings s)
    {
        var inv = CultureInfo.InvariantCulture;
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["models"] = string.Join(",", s.Models.Select(m => m.Name)),
            ["data"] = s.DataPath is null ? "" : Path.GetFullPath(s.DataPath),
            ["docs"] = s.Docs.ToString(inv),
            ["seed"] = s.Seed.ToString(inv),
            ["methods"] = string.Join(",", s.Methods),
            ["lime_samples"] = s.LimeSamples.ToString(inv),
            ["lime_runs"] = s.LimeRuns.ToString(inv),
            ["ig_steps"] = s.IgSteps.ToString(inv),
            ["top_fraction"] = s.TopFraction.ToString("R", inv),
            ["erasure_removal"] = s.ErasureRemoval.Name(),
        };
        if (s.Target is { } target) d["target"] = target.Trim();
        foreach (var m in s.Models) d["model." + m.Name] = Path.GetFullPath(m.Directory ?? throw new ArgumentException($"{m.Name} is not reused"));
        return d;
    }

    /// <summary>
    /// `attnxai merge` of depth shards (checked by <see cref="ShardSet.Open"/>): the parts' chunk files gathered into
    /// <paramref name="outputDirectory"/>, the model markers of the first part, the measure stages' markers from the
    /// chunk times, then the outputs of an unsharded run (<see cref="DepthReport.Write"/>). The merged folder is a
    /// complete run folder: `attnxai depth` with the same settings finds every stage done. Returns the written files.
    /// </summary>
    public static IReadOnlyList<string> Merge(ShardSet set, string outputDirectory, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var run = set.Run;
        if (run.Study != Study) throw new ArgumentException($"the parts are shards of {run.Study}, not of the {Study} study");
        var inv = CultureInfo.InvariantCulture;
        string Get(string key) => run.Settings.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{set.Parts[0].Directory}: its {ShardManifest.FileName} has no setting '{key}' (written by another AttnXai?)");
        var s = new DepthSettings
        {
            OutputDirectory = outputDirectory,
            DataPath = Get("data") is { Length: > 0 } data ? data : null,
            Models = Get("models").Split(',').Select(name => DepthModel.Parse(name, Get("model." + name))).ToList(),
            Docs = int.Parse(Get("docs"), inv),
            Seed = ulong.Parse(Get("seed"), inv),
            Methods = Get("methods").Split(','),
            LimeSamples = int.Parse(Get("lime_samples"), inv),
            LimeRuns = int.Parse(Get("lime_runs"), inv),
            IgSteps = int.Parse(Get("ig_steps"), inv),
            TopFraction = double.Parse(Get("top_fraction"), inv),
            ErasureRemoval = RemovalNames.Parse(Get("erasure_removal")),
            Target = run.Settings.TryGetValue("target", out var target) ? target : null,
            ChunkSize = run.ChunkSize,
        }.Validate();
        set.Gather(PartsFolder, outputDirectory);
        var stages = new List<DepthStage>();
        Directory.CreateDirectory(Path.Combine(outputDirectory, MarkerFolder));
        foreach (var m in s.Models)
        {
            var file = $"{MarkerFolder}/model-{m.Name}.json";
            var to = Path.Combine(outputDirectory, file);
            AtomicFile.WriteAllBytes(to, File.ReadAllBytes(ShardSet.PartFile(set.Parts[0], file)));
            stages.Add(ReadMarker(to));
        }
        foreach (var m in s.Models)
        {
            double seconds = ChunkSeconds(Path.Combine(outputDirectory, PartsFolder, m.Name)).GetValueOrDefault("total");
            var stage = new DepthStage("measure-" + m.Name, seconds, MeasureValues(run.Documents, seconds), StageSettings(s, "measure-" + m.Name));
            AtomicFile.WriteAllText(Path.Combine(outputDirectory, MarkerFolder, stage.Name + ".json"), JsonSerializer.Serialize(stage, Indented));
            stages.Add(stage);
        }
        return DepthReport.Write(s, stages, run.Documents, log);
    }

    private static string ChunkDone(string parts, int chunk) => Path.Combine(parts, $"{chunk:D5}.seconds.json");

    /// <summary>A chunk is complete when its seconds file (written last) and every table's part file exist.</summary>
    private static bool ChunkComplete(string parts, int chunk) =>
        File.Exists(ChunkDone(parts, chunk)) && Tables.All(t => File.Exists(Path.Combine(parts, $"{chunk:D5}.{t.File}.csv")));

    /// <summary>The chunks of a model's measure stage missing on disk (deleted part files are recomputed).</summary>
    private List<int> MissingChunks(DepthModel m, int documents)
    {
        var parts = Path.Combine(_s.OutputDirectory, PartsFolder, m.Name);
        var (first, end) = ChunkRange(documents);
        return Enumerable.Range(first, end - first).Where(c => !ChunkComplete(parts, c)).ToList();
    }

    /// <summary>Seconds per method and measure summed over a model's chunks (earlier, interrupted runs included).</summary>
    public static Dictionary<string, double> ChunkSeconds(string parts)
    {
        var sum = new Dictionary<string, double>();
        if (!Directory.Exists(parts)) return sum;
        foreach (var f in Directory.GetFiles(parts, "*.seconds.json").Order(StringComparer.Ordinal))
            foreach (var (k, v) in ReadJson<Dictionary<string, double>>(f)) sum[k] = sum.GetValueOrDefault(k) + v;
        return sum;
    }

    /// <summary>A model's rows of one table, its chunks in order.</summary>
    public static List<string[]> ReadTable(string outDir, string model, string table, string[] header)
    {
        var parts = Path.Combine(outDir, PartsFolder, model);
        var rows = new List<string[]>();
        foreach (var f in Directory.GetFiles(parts, $"*.{table}.csv").Order(StringComparer.Ordinal))
        {
            var (h, rs) = Csv.Parse(File.ReadAllText(f));
            if (!h.SequenceEqual(header)) throw new InvalidDataException($"{f} has another header: delete it and its chunk to recompute");
            rows.AddRange(rs);
        }
        return rows;
    }

    public static string Bar(int done, int total, int width = 30)
    {
        int f = total == 0 ? width : (int)((long)done * width / total);
        return "[" + new string('#', f) + new string('.', width - f) + "]";
    }
}
