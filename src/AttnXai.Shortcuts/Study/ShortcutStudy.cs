using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Sources;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;
using AttnXai.Shortcuts.Training;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Shortcuts.Study;

/// <summary>Every setting of a probe run (the CLI's options; defaults: 4 tokens after [CLS], the paper recipe).</summary>
public sealed record ShortcutSettings
{
    /// <summary>The data: IMDB (null: $ATTNXAI_DATA, the cache, the shared archive), a labelled file or a folder of
    /// part files (see <see cref="DataSource.Read"/>).</summary>
    public string? DataPath { get; init; }
    /// <summary>How labelled files are read (columns, quoting, label mapping).</summary>
    public AttnXai.Data.Labelled.LabelledTextOptions? FileOptions { get; init; }
    public required string OutDir { get; init; }
    public InsertionSpec Insertion { get; init; } = new();
    public TrainingRecipe Recipe { get; init; } = TrainingRecipe.Paper;
    /// <summary>"paper", "quick", or either followed by "+options" when options changed it.</summary>
    public string RecipeName { get; init; } = "paper";
    /// <summary>Test reviews explained (a seeded sample); 0 skips the explainer part.</summary>
    public int Docs { get; init; } = 300;
    public IReadOnlyList<string> Methods { get; init; } = ExplainerProbe.DefaultMethods;
    /// <summary>The explainers' settings, taken whole: the methods' defaults but one LIME run per document (the probe's
    /// budget); the study sets deletion and the seed itself.</summary>
    public ExplainerSettings Explainers { get; init; } = new() { LimeRuns = 1 };
    public int EvalBatchSize { get; init; } = Evaluation.DefaultBatchSize;
    public VerdictThresholds Thresholds { get; init; } = new();

    public long Seed => Recipe.Training.Seed;

    public ExplainerSettings ExplainerSettings => Explainers with
    {
        Removals = [RemovalMode.Delete],
        Seed = unchecked((ulong)Seed),
    };

    /// <summary>Throws ArgumentException naming the bad setting.</summary>
    public ShortcutSettings Validate()
    {
        if (string.IsNullOrWhiteSpace(OutDir)) throw new ArgumentException("--out: an output folder is required");
        Insertion.Validate(Recipe.Data.Length);
        Recipe.Training.Validate();
        Recipe.Config(Insertion.Count + 2);
        if (Docs < 0) throw new ArgumentException($"--docs must be 0 or more, got {Docs}");
        Explainers.Validate();
        if (EvalBatchSize < 1) throw new ArgumentException($"the evaluation batch size must be positive, got {EvalBatchSize}");
        ExplainerProbe.CheckMethods(Methods, ExplainerSettings);
        return this;
    }
}

/// <summary>What a probe run produced (the tables are also written as CSV in the output folder).</summary>
public sealed record ShortcutResult(
    IReadOnlyList<AccuracyRow> Accuracy,
    IReadOnlyList<MassRow> Mass,
    IReadOnlyList<SeparationRow> Separation,
    IReadOnlyList<ExplainerRow> Explainers,
    IReadOnlyList<ShortcutVerdict> Verdicts,
    IReadOnlyList<TrainedModelInfo> Models,
    IReadOnlyList<string> Reading,
    JsonObject Summary,
    double Seconds);

public sealed record TrainedModelInfo(string Role, string Folder, bool Reused, double TrainingSeconds, int BestEpoch, double ValidationAccuracy);

/// <summary>
/// The combinatorial-shortcut probe (after Bai et al., KDD 2021) on IMDB: insert k fixed label-free tokens into every
/// document, train the paper's model on that data and a control without them, then measure on the test reviews
/// (with the tokens) the accuracy with the tokens, masked out of attention and deleted; the attention mass on each
/// token per head and class; and what each explainer makes of them. Writes the CSVs, summary.json and report.html
/// into the output folder; the two models are checkpoint folders there, reused on a rerun.
/// </summary>
public static class ShortcutStudy
{
    public const string AccuracyCsv = "accuracy.csv";
    public const string MassCsv = "attention_mass.csv";
    public const string SeparationCsv = "attention_separation.csv";
    public const string ExplainersCsv = "explainers.csv";
    public const string SummaryJson = "summary.json";
    public const string ReportHtml = "report.html";
    public const string MassSvg = "attention_mass.svg";
    public const string AurocSvg = "attention_auroc.svg";

    public static ShortcutResult Run(ShortcutSettings settings, Action<string>? log = null, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        log ??= _ => { };
        var total = Stopwatch.StartNew();
        var stages = new JsonObject();
        var outDir = Path.GetFullPath(settings.OutDir);
        if (File.Exists(outDir)) throw new IOException($"--out {outDir} is a file, not a folder");

        // 1. Data: vocabulary of the train reviews plus the inserted tokens; every part with and without them.
        var sw = Stopwatch.StartNew();
        var parts = DataSource.Read(settings.DataPath, settings.FileOptions, log);
        var source = parts.Path;
        log($"data: {parts.Description}");
        var recipe = settings.Recipe;
        var data = DataPreparation.Prepare(parts, recipe.Data);
        var spec = settings.Insertion;
        var vocabulary = TokenInsertion.ExtendVocabulary(data.Vocabulary, spec);
        long firstId = data.Vocabulary.Count;
        var train = TokenInsertion.Insert(data.Train, spec, firstId);
        var validation = TokenInsertion.Insert(data.Validation, spec, firstId);
        var test = TokenInsertion.Insert(data.Test, spec, firstId);
        var config = recipe.Config(vocabulary.Count, data.Labels.Count);
        Directory.CreateDirectory(outDir);
        stages["data_seconds"] = sw.Elapsed.TotalSeconds;
        log(string.Create(CultureInfo.InvariantCulture,
            $"encoded in {sw.Elapsed.TotalSeconds:F1} s: vocabulary {data.Vocabulary.Count} + {spec.Count} inserted tokens ({string.Join(" ", spec.TokenNames)}, ids {firstId}..{firstId + spec.Count - 1}, position {spec.PositionName}); train {train.Count}, validation {validation.Count}, test {test.Count}; truncated by the insertion: {test.Data.Truncated.Count(t => t) - data.Test.Truncated.Count(t => t)} more test reviews"));
        log($"recipe ({settings.RecipeName}): {recipe}");

        // 2. The two models (same vocabulary, sizes, recipe and seed).
        var insertionJson = spec.ToJson();
        var models = new List<TrainedModel>();
        try
        {
            foreach (var role in new[] { ShortcutTraining.ShortcutRole, ShortcutTraining.ControlRole })
            {
                sw.Restart();
                bool shortcut = role == ShortcutTraining.ShortcutRole;
                var json = ShortcutTraining.RecipeJson(role, config, recipe.Training, data.Settings, insertionJson);
                models.Add(ShortcutTraining.TrainOrLoad(Path.Combine(outDir, ShortcutTraining.FolderName(role)), json, config, recipe.Training,
                    shortcut ? train.Data : data.Train, shortcut ? validation.Data : data.Validation, vocabulary, data.Tokenizer.Name, observer, data.Labels));
                stages[$"{role}_model_seconds"] = sw.Elapsed.TotalSeconds;
                log(string.Create(CultureInfo.InvariantCulture, $"{role} model ready in {sw.Elapsed.TotalSeconds:F1} s (best epoch {models[^1].BestEpoch}, validation accuracy {models[^1].ValidationAccuracy:P2})"));
            }

            // 3. Accuracy under each condition and attention on the inserted tokens, over the test reviews.
            var names = spec.TokenNames;
            var accuracy = new List<AccuracyRow>();
            var mass = new List<MassRow>();
            var separation = new List<SeparationRow>();
            var verdicts = new List<ShortcutVerdict>();
            foreach (var m in models)
            {
                sw.Restart();
                int lastTenth = -1;
                var outputs = ProbePass.Run(m.Model, test, data.Test, settings.EvalBatchSize, (done, n) =>
                {
                    int tenth = done * 10 / n;
                    if (tenth != lastTenth) { lastTenth = tenth; log($"{m.Role}: probe pass {done}/{n}"); }
                });
                accuracy.AddRange(ProbeStatistics.Accuracy(m.Role, outputs));
                mass.AddRange(ProbeStatistics.MassTable(m.Role, outputs, names));
                separation.AddRange(ProbeStatistics.SeparationTable(m.Role, outputs, names));
                verdicts.Add(ProbeStatistics.Verdict(m.Role, outputs, names, settings.Thresholds));
                stages[$"{m.Role}_probe_seconds"] = sw.Elapsed.TotalSeconds;
            }
            WriteAccuracy(Path.Combine(outDir, AccuracyCsv), accuracy);
            WriteMass(Path.Combine(outDir, MassCsv), mass);
            WriteSeparation(Path.Combine(outDir, SeparationCsv), separation);
            foreach (var a in accuracy) log(string.Create(CultureInfo.InvariantCulture, $"{a.Model} {a.Condition}: accuracy {a.Accuracy:P2} ({a.Correct}/{a.Documents})"));

            // 4. What the explainers see, on a seeded sample of test reviews carrying the tokens.
            var explainers = new List<ExplainerRow>();
            if (settings.Docs > 0)
            {
                var sample = DataPreparation.Subsample(data.Parts.Test, settings.Docs, unchecked((ulong)settings.Seed), 201);
                var docs = ExplainerProbe.Documents(sample.Select(r => r.Text).ToArray(), data.Tokenizer, vocabulary, spec, config,
                    sample.Select(r => r.Origin).ToArray());
                var methods = ExplainerProbe.CheckMethods(settings.Methods, settings.ExplainerSettings);
                foreach (var m in models)
                {
                    sw.Restart();
                    var target = new ExplainTarget(m.Model, vocabulary);
                    explainers.AddRange(ExplainerProbe.Run(m.Role, target, docs, spec, methods, settings.ExplainerSettings, unchecked((ulong)settings.Seed), log));
                    stages[$"{m.Role}_explainers_seconds"] = sw.Elapsed.TotalSeconds;
                }
            }
            WriteExplainers(Path.Combine(outDir, ExplainersCsv), explainers);

            // 5. Summary and report.
            var infos = models.Select(m => new TrainedModelInfo(m.Role, m.Folder, m.Reused, m.TrainingSeconds, m.BestEpoch, m.ValidationAccuracy)).ToList();
            var reading = ShortcutReport.Reading(accuracy, mass, verdicts, explainers);
            stages["total_seconds"] = total.Elapsed.TotalSeconds;
            var summary = Summary(settings, source, data, vocabulary, firstId, config, infos, accuracy, verdicts, explainers, reading, stages);
            AtomicFile.WriteAllText(Path.Combine(outDir, SummaryJson), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            var result = new ShortcutResult(accuracy, mass, separation, explainers, verdicts, infos, reading, summary, total.Elapsed.TotalSeconds);
            ShortcutReport.Write(outDir, settings, result);
            log(string.Create(CultureInfo.InvariantCulture, $"wrote {AccuracyCsv}, {MassCsv}, {SeparationCsv}, {ExplainersCsv}, {SummaryJson}, {ReportHtml} in {outDir} ({total.Elapsed.TotalSeconds:F1} s)"));
            return result;
        }
        finally
        {
            foreach (var m in models) m.Model.Dispose();
        }
    }

    private static JsonObject Summary(ShortcutSettings s, string source, PreparedData data, Data.Text.Vocabulary vocabulary, long firstId, ModelConfig config,
        IReadOnlyList<TrainedModelInfo> models, IReadOnlyList<AccuracyRow> accuracy, IReadOnlyList<ShortcutVerdict> verdicts,
        IReadOnlyList<ExplainerRow> explainers, IReadOnlyList<string> reading, JsonObject stages)
    {
        var t = s.Recipe.Training;
        return new JsonObject
        {
            ["probe"] = "combinatorial shortcuts (Bai et al., KDD 2021): fixed label-free tokens inserted into every document",
            ["settings"] = new JsonObject
            {
                ["data"] = source,
                ["out"] = Path.GetFullPath(s.OutDir),
                ["insertion"] = s.Insertion.ToJson(),
                ["inserted_token_ids"] = new JsonArray(Enumerable.Range(0, s.Insertion.Count).Select(j => (JsonNode?)(firstId + j)).ToArray()),
                ["recipe"] = s.RecipeName,
                ["recipe_text"] = s.Recipe.ToString(),
                ["model"] = ModelCheckpoint.ConfigToJson(config),
                ["epochs"] = t.Epochs,
                ["batch_size"] = t.BatchSize,
                ["learning_rate"] = t.LearningRate,
                ["weight_decay"] = t.WeightDecay,
                ["seed"] = t.Seed,
                ["data_options"] = data.Settings.DeepClone(),
                ["vocabulary_size"] = vocabulary.Count,
                ["explainer_documents"] = s.Docs,
                ["methods"] = new JsonArray(s.Methods.Select(m => (JsonNode?)m).ToArray()),
                ["lime_samples"] = s.Explainers.LimeSamples,
                ["lime_runs"] = s.Explainers.LimeRuns,
                ["removal"] = "delete",
                ["word_aggregation"] = "last",
                ["eval_batch_size"] = s.EvalBatchSize,
                ["threads"] = torch.get_num_threads(),
                ["thresholds"] = new JsonObject
                {
                    ["separation_strength"] = s.Thresholds.Strength,
                    ["mass_difference"] = s.Thresholds.MassDifference,
                    ["flips"] = s.Thresholds.Flips,
                },
            },
            ["data"] = new JsonObject
            {
                ["train"] = data.Train.Count,
                ["validation"] = data.Validation.Count,
                ["test"] = data.Test.Count,
            },
            ["models"] = new JsonArray(models.Select(m => (JsonNode?)new JsonObject
            {
                ["role"] = m.Role,
                ["folder"] = m.Folder,
                ["reused"] = m.Reused,
                ["training_seconds"] = Num(m.TrainingSeconds),
                ["best_epoch"] = m.BestEpoch,
                ["validation_accuracy"] = Num(m.ValidationAccuracy),
            }).ToArray()),
            ["accuracy"] = new JsonArray(accuracy.Select(a => (JsonNode?)new JsonObject
            {
                ["model"] = a.Model,
                ["condition"] = a.Condition,
                ["documents"] = a.Documents,
                ["accuracy"] = Num(a.Accuracy),
                ["agreement_with_inserted"] = Num(a.Agreement),
            }).ToArray()),
            ["verdicts"] = new JsonArray(verdicts.Select(v => (JsonNode?)new JsonObject
            {
                ["model"] = v.Model,
                ["attention_encodes_class"] = v.EncodesClass,
                ["relies_on_inserted_tokens"] = v.ReliesOnTokens,
                ["strongest_head"] = v.Strongest?.Head,
                ["strongest_token"] = v.Strongest?.Token,
                ["strongest_auroc_predicted_class"] = Num(v.Strongest?.Auroc ?? double.NaN),
                ["strongest_mass_class0"] = Num(v.Strongest?.Mean0 ?? double.NaN),
                ["strongest_mass_class1"] = Num(v.Strongest?.Mean1 ?? double.NaN),
                ["masked_accuracy_drop"] = Num(v.MaskedDrop),
                ["deleted_accuracy_drop"] = Num(v.DeletedDrop),
                ["masked_flips"] = Num(v.MaskedFlips),
                ["deleted_flips"] = Num(v.DeletedFlips),
            }).ToArray()),
            ["explainers"] = new JsonArray(explainers.Select(e => (JsonNode?)new JsonObject
            {
                ["model"] = e.Model,
                ["method"] = e.Method,
                ["documents"] = e.Documents,
                ["top1_inserted"] = Num(e.Top1),
                ["top5_inserted"] = Num(e.Top5),
                ["abs_share_inserted"] = Num(e.AbsShare),
            }).ToArray()),
            ["reading"] = new JsonArray(reading.Select(r => (JsonNode?)r).ToArray()),
            ["stage_seconds"] = stages.DeepClone(),
        };
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    public static void WriteAccuracy(string path, IEnumerable<AccuracyRow> rows)
    {
        var t = new CsvTable("model", "condition", "documents", "correct", "accuracy", "agreement_with_inserted");
        foreach (var r in rows) t.Add(r.Model, r.Condition, r.Documents, r.Correct, r.Accuracy, r.Agreement);
        t.Write(path);
    }

    public static void WriteMass(string path, IEnumerable<MassRow> rows)
    {
        var t = new CsvTable("model", "head", "token", "group", "class", "documents", "mean_mass", "sd_mass");
        foreach (var r in rows) t.Add(r.Model, r.Head, r.Token, r.Group, r.Class, r.Documents, r.Mean, r.Sd);
        t.Write(path);
    }

    public static void WriteSeparation(string path, IEnumerable<SeparationRow> rows)
    {
        var t = new CsvTable("model", "head", "token", "group", "documents_0", "documents_1", "mean_mass_0", "mean_mass_1", "difference", "auroc");
        foreach (var r in rows) t.Add(r.Model, r.Head, r.Token, r.Group, r.Documents0, r.Documents1, r.Mean0, r.Mean1, r.Difference, r.Auroc);
        t.Write(path);
    }

    public static void WriteExplainers(string path, IEnumerable<ExplainerRow> rows)
    {
        var t = new CsvTable("model", "method", "documents", "top1_inserted", "top5_inserted", "abs_share_inserted", "zero_documents", "seconds");
        foreach (var r in rows) t.Add(r.Model, r.Method, r.Documents, r.Top1, r.Top5, r.AbsShare, r.ZeroDocuments, r.Seconds);
        t.Write(path);
    }
}
