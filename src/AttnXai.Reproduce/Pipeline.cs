using System.Diagnostics;
using System.Text.Json;
using AttnXai.Common.IO;
using AttnXai.Common.Sharding;
using AttnXai.Data.Imdb;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce;

/// <summary>What one stage left behind: its time, its files, its findings and the settings it was computed with (stored in
/// the stage's marker; Settings is null in markers written before settings were recorded).</summary>
public sealed record StageRecord(string Name, double Seconds, List<string> Files, List<string> Findings, Dictionary<string, string> Values, bool Skipped = false,
    Dictionary<string, string>? Settings = null);

/// <summary>Options of a full reproduction run.</summary>
public sealed record PipelineOptions
{
    public required string OutDir { get; init; }
    /// <summary>A model folder to reuse (no training).</summary>
    public string? ModelDir { get; init; }
    public TrainingRecipe Recipe { get; init; } = TrainingRecipe.Paper;
    public ReproduceSettings Settings { get; init; } = new();
    public bool SkipStudies { get; init; }
    /// <summary>Text used for Figure 4 when the named review is not among the test reviews (tests).</summary>
    public string? Figure4FallbackText { get; init; }
    /// <summary>Where the reviews come from (the IMDB path), recorded in the stages' settings.</summary>
    public string Data { get; init; } = "(given reviews)";
    /// <summary>Compute only this shard of the studies (null: the whole run); needs <see cref="ModelDir"/>. See <see cref="Pipeline"/>.</summary>
    public ShardSpec? Shard { get; init; }
}

/// <summary>
/// The reproduction pipeline: model, figures 1/3/4/5, the gradient study, the LIME study per removal mode, report.
/// Each stage writes its outputs atomically and then its marker (.stages/NAME.json) last; a stage whose marker
/// exists is skipped (resumption). Each stage has settings (the model, and what of the request it depends on): they
/// are recorded when the stage starts (.stages/NAME.settings.json) and in its marker, and a rerun with other settings
/// is refused, naming them, instead of crediting the old results to the new settings (an interrupted study's chunks
/// too). Progress goes to the given callback.
/// <para>Sharded (<see cref="PipelineOptions.Shard"/>, `reproduce --shard I/N`): the model is a given one, and only the
/// study stages run, each computing its chunks of the shard (whole chunks of the study documents, see
/// <see cref="ShardSpec.Slice"/>); then shard.json lists them (<see cref="ReproduceShards"/>). No figure, summary or
/// report: `attnxai merge` gathers every shard's chunks into one run folder and runs this pipeline there, whose studies
/// find every chunk computed.</para>
/// </summary>
public sealed class Pipeline
{
    public const string MarkerFolder = StageFolder.Name;
    private readonly PipelineOptions _o;
    private readonly StageFolder<StageRecord> _stages;
    private readonly IReadOnlyList<ImdbReview> _train, _test;
    private readonly Action<string> _log;

    public Pipeline(PipelineOptions options, IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, Action<string>? log = null)
    {
        _o = options; _train = train; _test = test; _log = log ?? (_ => { });
        _stages = Stages(options);
    }

    private static StageFolder<StageRecord> Stages(PipelineOptions o) => new(o.OutDir, r => r.Settings);

    public string OutDir => _o.OutDir;
    public List<StageRecord> Records { get; } = new();

    public static readonly string[] StudyStages = ["study-gradients", "study-lime-delete", "study-lime-unk"];

    public static string[] StageNames(bool studies) =>
        ["model", "figure1", "figure3", "figure4", "figure5", .. studies ? StudyStages : [], "report"];

    /// <summary>The stages a run computes: a shard's are the model (a given one) and the studies.</summary>
    public static string[] StageNames(PipelineOptions o) => o.Shard is null ? StageNames(!o.SkipStudies) : ["model", .. StudyStages];

    public string MarkerPath(string stage) => _stages.MarkerPath(stage);

    public string SettingsPath(string stage) => _stages.SettingsPath(stage);

    public StageRecord? ReadMarker(string stage) => _stages.Read(stage);

    /// <summary>The settings a stage's results depend on, as text (compared on a rerun).</summary>
    public Dictionary<string, string> StageSettings(string stage) => StageSettings(_o, stage);

    /// <summary>The settings of a stage under <paramref name="o"/> (they need no data: a run folder is checked before any is read).</summary>
    public static Dictionary<string, string> StageSettings(PipelineOptions o, string stage)
    {
        var s = o.Settings;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var d = new Dictionary<string, string>
        {
            ["model"] = o.ModelDir is not null ? $"reused from {Path.GetFullPath(o.ModelDir)}" : $"trained here with recipe {o.Recipe}",
        };
        if (o.ModelDir is null || stage != "model") d["data"] = o.Data;
        if (stage.StartsWith("figure", StringComparison.Ordinal) || stage.StartsWith("study", StringComparison.Ordinal))
        {
            d["seed"] = s.Seed.ToString(inv);
            d["lime_runs"] = s.LimeRuns.ToString(inv);
            d["lime_samples"] = s.LimeSamples.ToString(inv);
        }
        if (stage is "figure1" or "figure3" or "figure5") d["sentence"] = s.Sentence;
        if (stage == "figure4") d["figure4_review"] = s.Figure4Review;
        // Recorded when not the default, so that run folders written before it was recorded stay valid.
        if (stage == "figure5" && s.Figure5Columns != new ReproduceSettings().Figure5Columns) d["figure5_columns"] = s.Figure5Columns.ToString(inv);
        if (stage.StartsWith("study", StringComparison.Ordinal))
        {
            d["docs"] = s.Docs?.ToString(inv) ?? "all";
            d["chunk_size"] = s.ChunkSize.ToString(inv);
            if (o.Shard is { } shard) d["shard"] = shard.ToString();
        }
        if (stage.StartsWith("study-lime", StringComparison.Ordinal))
        {
            d["limit_samples"] = s.LimitSamples.ToString(inv);
            d["limit_every"] = s.LimitEvery.ToString(inv);
            d["top_k"] = s.TopK.ToString(inv);
        }
        return d;
    }

    /// <summary>
    /// Refuses a run folder whose stages (completed, or started and interrupted) were made with other settings than
    /// <paramref name="o"/>'s, naming them. Needs no data, so `reproduce` calls it before reading IMDB.
    /// </summary>
    public static void CheckRunFolder(PipelineOptions o)
    {
        var stages = Stages(o);
        foreach (var name in StageNames(o).Where(n => n != "report")) stages.Check(name, StageSettings(o, name));
    }

    private StageRecord Stage(string name, Func<StageRecord> run)
    {
        var settings = StageSettings(name);
        // A stage started earlier (an interrupted study keeps its chunks) goes on with the same settings.
        var existing = _stages.Begin(name, settings);
        if (existing is not null)
        {
            string note = existing.Settings is null ? "; its settings were not recorded (an earlier version)" : "";
            _log($"[{name}] done earlier ({existing.Seconds:F1} s): skipped{note}");
            var r = existing with { Skipped = true };
            Records.Add(r);
            return r;
        }
        _log($"[{name}] running ...");
        var sw = Stopwatch.StartNew();
        var result = run();
        // Studies report their compute time summed over chunks (earlier, interrupted runs included).
        var rec = result with { Seconds = Math.Max(result.Seconds, sw.Elapsed.TotalSeconds), Settings = settings };
        _stages.Complete(name, rec);
        _log($"[{name}] done in {rec.Seconds:F1} s");
        Records.Add(rec);
        return rec;
    }

    public void Run()
    {
        if (_o.Shard is { } shard)
        {
            if (_o.ModelDir is null) throw new ArgumentException("a shard needs a trained model (--model): every shard must explain the same one");
            if (_o.SkipStudies) throw new ArgumentException("a shard computes the studies; it cannot skip them (--no-studies)");
            int count = ReproduceContext.SelectStudyDocuments(_test, _o.Settings).Count;
            shard.CheckFits(count, _o.Settings.ChunkSize, $"the {count} study documents");
        }
        // Refuse a run folder made with other settings before any work, not at the first stage that differs.
        CheckRunFolder(_o);
        // A reused model that does not load (missing, corrupt, NaN weights) is refused before the folder is touched.
        var reused = _o.ModelDir is null ? null : ModelBundle.Load(_o.ModelDir);
        var modelDir = _o.ModelDir ?? Path.Combine(_o.OutDir, "model");
        try
        {
            Directory.CreateDirectory(Path.Combine(_o.OutDir, MarkerFolder));
            Stage("model", () =>
            {
                if (reused is { } b)
                {
                    return new StageRecord("model", 0, [], [$"Model reused from {Path.GetFullPath(modelDir)}."], ModelValues(b));
                }
                ModelBundle.Train(modelDir, _train, _test, _o.Recipe, m => _log("  " + m));
                using var trained = ModelBundle.Load(modelDir);
                return new StageRecord("model", 0, ["model/"], [$"Model trained here with recipe {_o.Recipe}."], ModelValues(trained));
            });
        }
        catch
        {
            reused?.Dispose();
            throw;
        }
        // A reused model serves the run as loaded above (one copy in memory); a model trained here is loaded now.
        using var loaded = reused ?? ModelBundle.Load(modelDir);
        using var ctx = new ReproduceContext(loaded, _test, _o.Settings);
        if (_o.Shard is { } part)
        {
            RunShard(ctx, part);
            return;
        }
        StageRecord Fig(string name, Func<FigureOutput> f) => Stage(name, () =>
        {
            var fo = f();
            return new StageRecord(name, 0, [.. fo.SvgFiles, fo.CsvFile], [.. fo.Findings], new());
        });
        Fig("figure1", () => Figures.Figure1(ctx, _o.OutDir));
        Fig("figure3", () => Figures.Figure3(ctx, _o.OutDir));
        Fig("figure4", () => Figures.Figure4(ctx, _o.OutDir,
            _test.Any(r => r.RelativePath == _o.Settings.Figure4Review) ? null : _o.Figure4FallbackText));
        Fig("figure5", () => Figures.Figure5(ctx, _o.OutDir));
        if (!_o.SkipStudies)
        {
            StageRecord St(string name, Func<Action<int, int>, StudyOutput> f) => Stage(name, () =>
            {
                var so = f(Progress(name));
                return new StageRecord(name, so.Seconds, [so.DocumentsCsv, so.SummaryCsv, .. so.SvgFiles], [.. so.Findings],
                    new() { ["documents"] = so.Documents.ToString() });
            });
            St("study-gradients", p => Studies.Gradients(ctx, _o.OutDir, p));
            St("study-lime-delete", p => Studies.LimeStudy(ctx, RemovalMode.Delete, _o.OutDir, p));
            St("study-lime-unk", p => Studies.LimeStudy(ctx, RemovalMode.ReplaceWithUnk, _o.OutDir, p));
        }
        // The report is always rebuilt (cheap), so that it lists every stage's time.
        _stages.Forget("report");
        Stage("report", () =>
        {
            var html = Report.Build(_o, Records, ctx);
            AtomicFile.WriteAllText(Path.Combine(_o.OutDir, "report.html"), html);
            return new StageRecord("report", 0, ["report.html"], [], new());
        });
    }

    /// <summary>A shard: each study's chunks of the shard (resumable like a whole run's), then shard.json listing them.</summary>
    private void RunShard(ReproduceContext ctx, ShardSpec shard)
    {
        StageRecord St(string name, Func<Action<int, int>, List<string>> f) => Stage(name, () =>
        {
            var sw = Stopwatch.StartNew();
            var files = f(Progress(name));
            return new StageRecord(name, sw.Elapsed.TotalSeconds, files, [$"Shard {shard}: {files.Count / 2} chunk(s)."], new());
        });
        var records = new[]
        {
            St("study-gradients", p => Studies.GradientChunks(ctx, _o.OutDir, shard, p)),
            St("study-lime-delete", p => Studies.LimeChunks(ctx, RemovalMode.Delete, _o.OutDir, shard, p)),
            St("study-lime-unk", p => Studies.LimeChunks(ctx, RemovalMode.ReplaceWithUnk, _o.OutDir, shard, p)),
        };
        var manifest = ReproduceShards.Manifest(_o, ctx, shard, records.SelectMany(r => r.Files).ToList());
        manifest.Write(_o.OutDir);
        _log($"shard {shard}: documents {manifest.First} to {manifest.End - 1} of {manifest.Documents}; merge every shard's folder with `attnxai merge`");
    }

    private Action<int, int> Progress(string name)
    {
        var last = Stopwatch.StartNew();
        return (done, total) =>
        {
            if (done == total || last.Elapsed.TotalSeconds > 5) { _log($"  {name}: {Bar(done, total)} {done}/{total} documents"); last.Restart(); }
        };
    }

    private static Dictionary<string, string> ModelValues(ModelBundle b) => new()
    {
        ["config"] = b.Model.Config.ToString(),
        ["test_accuracy"] = b.TestAccuracy is double a ? a.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "",
        ["vocabulary"] = b.Vocabulary.Count.ToString(),
        ["parameters"] = b.Model.Config.ParameterCount.ToString(),
    };

    public static string Bar(int done, int total, int width = 30)
    {
        int f = total == 0 ? width : (int)((long)done * width / total);
        return "[" + new string('#', f) + new string('.', width - f) + "]";
    }
}
