using System.Diagnostics;
using System.Text.Json;
using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Explain;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Reproduce;

/// <summary>What one stage left behind: its time, its files and its findings (stored in the stage's marker).</summary>
public sealed record StageRecord(string Name, double Seconds, List<string> Files, List<string> Findings, Dictionary<string, string> Values, bool Skipped = false);

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
}

/// <summary>
/// The reproduction pipeline: model, figures 1/3/4/5, the gradient study, the LIME study per removal mode, report.
/// Each stage writes its outputs atomically and then its marker (.stages/NAME.json) last; a stage whose marker
/// exists is skipped (resumption). Progress goes to the given callback.
/// </summary>
public sealed class Pipeline
{
    public const string MarkerFolder = ".stages";
    private readonly PipelineOptions _o;
    private readonly IReadOnlyList<ImdbReview> _train, _test;
    private readonly Action<string> _log;

    public Pipeline(PipelineOptions options, IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, Action<string>? log = null)
    {
        _o = options; _train = train; _test = test; _log = log ?? (_ => { });
    }

    public string OutDir => _o.OutDir;
    public List<StageRecord> Records { get; } = new();

    public static string[] StageNames(bool studies) =>
        ["model", "figure1", "figure3", "figure4", "figure5", .. studies ? new[] { "study-gradients", "study-lime-delete", "study-lime-unk" } : [], "report"];

    public string MarkerPath(string stage) => Path.Combine(_o.OutDir, MarkerFolder, stage + ".json");

    public StageRecord? ReadMarker(string stage)
    {
        var p = MarkerPath(stage);
        return File.Exists(p) ? JsonSerializer.Deserialize<StageRecord>(File.ReadAllText(p)) : null;
    }

    private StageRecord Stage(string name, Func<StageRecord> run)
    {
        var existing = ReadMarker(name);
        if (existing is not null)
        {
            _log($"[{name}] done earlier ({existing.Seconds:F1} s): skipped");
            var r = existing with { Skipped = true };
            Records.Add(r);
            return r;
        }
        _log($"[{name}] running ...");
        var sw = Stopwatch.StartNew();
        var result = run();
        // Studies report their compute time summed over chunks (earlier, interrupted runs included).
        var rec = result with { Seconds = Math.Max(result.Seconds, sw.Elapsed.TotalSeconds) };
        AtomicFile.WriteAllText(MarkerPath(name), JsonSerializer.Serialize(rec, new JsonSerializerOptions { WriteIndented = true }));
        _log($"[{name}] done in {rec.Seconds:F1} s");
        Records.Add(rec);
        return rec;
    }

    public void Run()
    {
        Directory.CreateDirectory(Path.Combine(_o.OutDir, MarkerFolder));
        var modelDir = _o.ModelDir ?? Path.Combine(_o.OutDir, "model");
        Stage("model", () =>
        {
            if (_o.ModelDir is not null)
            {
                var b = ModelBundle.Load(_o.ModelDir);
                return new StageRecord("model", 0, [], [$"Model reused from {Path.GetFullPath(_o.ModelDir)}."], ModelValues(b));
            }
            ModelBundle.Train(modelDir, _train, _test, _o.Recipe, m => _log("  " + m));
            return new StageRecord("model", 0, ["model/"], [$"Model trained here with recipe {_o.Recipe}."], ModelValues(ModelBundle.Load(modelDir)));
        });
        var loaded = ModelBundle.Load(modelDir);
        var ctx = new ReproduceContext(loaded, _test, _o.Settings);
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
                var last = Stopwatch.StartNew();
                var so = f((done, total) =>
                {
                    if (done == total || last.Elapsed.TotalSeconds > 5) { _log($"  {name}: {Bar(done, total)} {done}/{total} documents"); last.Restart(); }
                });
                return new StageRecord(name, so.Seconds, [so.DocumentsCsv, so.SummaryCsv, .. so.SvgFiles], [.. so.Findings],
                    new() { ["documents"] = so.Documents.ToString() });
            });
            St("study-gradients", p => Studies.Gradients(ctx, _o.OutDir, p));
            St("study-lime-delete", p => Studies.LimeStudy(ctx, RemovalMode.Delete, _o.OutDir, p));
            St("study-lime-unk", p => Studies.LimeStudy(ctx, RemovalMode.ReplaceWithUnk, _o.OutDir, p));
        }
        // The report is always rebuilt (cheap), so that it lists every stage's time.
        var reportMarker = MarkerPath("report");
        if (File.Exists(reportMarker)) File.Delete(reportMarker);
        Stage("report", () =>
        {
            var html = Report.Build(_o, Records, ctx);
            AtomicFile.WriteAllText(Path.Combine(_o.OutDir, "report.html"), html);
            return new StageRecord("report", 0, ["report.html"], [], new());
        });
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
