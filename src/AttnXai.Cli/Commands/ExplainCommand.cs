using System.CommandLine;
using System.Globalization;
using AttnXai.Explain;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Output;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai explain`: every chosen explainer and the paper's theory on texts, written as JSON, tidy CSV and an HTML page
/// of highlighted words. Texts go through the paper's LIME-compatible cleaning (the "clean" tokenizer: runs of
/// characters outside [A-Za-z0-9] become spaces, lower-case, truncated to 255 words) so that LIME's words and the
/// model's tokens coincide.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var cmd = new Command("explain", "Explain texts with attention, gradient, IG, LIME, occlusion and SHAP explainers and the paper's theory (JSON, CSV, HTML)");
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, vocab.txt)", Required = true };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var text = new Option<string?>("--text") { Description = "one text to explain" };
        var file = new Option<string?>("--file") { Description = "a text file with one document per line" };
        var split = new Option<string?>("--split") { Description = "explain IMDB reviews of this split (test or train)" };
        var count = new Option<int?>("--count") { Description = "number of IMDB reviews with --split (default 10)" };
        var data = new Option<string?>("--data") { Description = "IMDB folder or archive (default: $ATTNXAI_DATA, the cache, then ../shared/data)" };
        var methods = new Option<string?>("--methods") { Description = $"comma list of {ExplainerRegistry.Known} (default)" };
        var removal = new Option<string?>("--removal") { Description = "removal of LIME/occlusion/SHAP words: delete (lime's default, the authors' run), unk (in place) or both (default both)" };
        var limeSamples = new Option<int?>("--lime-samples") { Description = "LIME samples per run (default 5000)" };
        var limeRuns = new Option<int?>("--lime-runs") { Description = "LIME runs averaged (default 5)" };
        var limitSamples = new Option<long?>("--limit-samples") { Description = "samples of LIME's large-sample limit (default 200000; 0 skips it)" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of LIME and SHAP sampling (default 0)" };
        var aggregation = new Option<string?>("--aggregation") { Description = "per-word value of per-token methods: last (authors, default), sum, mean, max" };
        var igSteps = new Option<int?>("--ig-steps") { Description = "Integrated Gradients steps (default 64)" };
        var igBaseline = new Option<string?>("--ig-baseline") { Description = "Integrated Gradients baseline: unk (default) or zero" };
        var noTheory = new Option<bool>("--no-theory") { Description = "skip Theorems 4.1/5.1 and the agreement numbers" };
        var generic = new Option<bool>("--generic") { Description = "evaluate perturbations through the batched forward instead of the exact fast path" };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, output, text, file, split, count, data, methods, removal, limeSamples, limeRuns, limitSamples, seed, aggregation, igSteps, igBaseline, noTheory, generic, device, threads })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            try { return Invoke(r); }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or System.Runtime.InteropServices.ExternalException or TorchUnavailableException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return cmd;

        int Invoke(ParseResult r)
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            var removals = (r.GetValue(removal) ?? "both").Trim().ToLowerInvariant() switch
            {
                "delete" => new[] { RemovalMode.Delete },
                "unk" => new[] { RemovalMode.ReplaceWithUnk },
                "both" => new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk },
                var x => throw new ArgumentException($"--removal must be delete, unk or both, got '{x}'"),
            };
            var settings = new ExplainerSettings
            {
                Aggregation = WordScores.Parse(r.GetValue(aggregation) ?? "last"),
                Removals = removals,
                LimeSamples = Positive(r.GetValue(limeSamples) ?? 5000, "--lime-samples", 2),
                LimeRuns = Positive(r.GetValue(limeRuns) ?? 5, "--lime-runs", 1),
                Seed = r.GetValue(seed) ?? 0,
                IgSteps = Positive(r.GetValue(igSteps) ?? 64, "--ig-steps", 1),
                IgBaseline = (r.GetValue(igBaseline) ?? "unk").ToLowerInvariant() switch
                {
                    "unk" => IgBaseline.Unk,
                    "zero" => IgBaseline.Zero,
                    var x => throw new ArgumentException($"--ig-baseline must be unk or zero, got '{x}'"),
                },
            };
            long limit = r.GetValue(limitSamples) ?? 200_000;
            if (limit < 0) throw new ArgumentException("--limit-samples must be non-negative");
            var study = r.GetValue(noTheory) ? null : new StudyOptions
            {
                Removals = removals, LimeSamples = settings.LimeSamples, LimeRuns = settings.LimeRuns, Seed = settings.Seed, LimitSamples = limit,
            };
            var methodNames = (r.GetValue(methods) ?? "all").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var sources = new[] { r.GetValue(text) is not null, r.GetValue(file) is not null, r.GetValue(split) is not null }.Count(b => b);
            if (sources != 1) throw new ArgumentException("give exactly one of --text, --file or --split");
            var dev = r.GetValue(device) is { } ds ? new Device(ds) : null;
            Run(r.GetValue(model)!, r.GetValue(output)!, r.GetValue(text), r.GetValue(file), r.GetValue(split), r.GetValue(count) ?? 10,
                r.GetValue(data), methodNames, settings, study, !r.GetValue(generic), dev);
            return 0;
        }
    }

    private static int Positive(int v, string name, int min) =>
        v >= min ? v : throw new ArgumentException($"{name} must be at least {min}, got {v}");

    public static void Run(string modelDir, string outDir, string? text, string? file, string? split, int count, string? dataPath,
        IReadOnlyList<string> methods, ExplainerSettings settings, StudyOptions? study, bool fast, Device? device)
    {
        var explainers = ExplainerRegistry.Create(methods, settings);
        using var loaded = ModelCheckpoint.Load(modelDir, device);
        var target = new ExplainTarget(loaded.Model, loaded.Vocabulary, preferFast: fast);
        var docs = new List<ExplainDocument>();
        if (text is not null) docs.Add(target.Prepare(text, "text"));
        else if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"no such file: {file}", file);
            int line = 0, skipped = 0;
            foreach (var l in File.ReadLines(file))
            {
                line++;
                if (string.IsNullOrWhiteSpace(l)) continue;
                try { docs.Add(target.Prepare(l, $"line {line}")); }
                catch (ArgumentException e) { skipped++; Console.Error.WriteLine($"line {line} skipped: {e.Message}"); }
            }
            if (docs.Count == 0) throw new ArgumentException($"{file} holds no text to explain ({skipped} line(s) refused)");
        }
        else
        {
            if (count < 1) throw new ArgumentException($"--count must be positive, got {count}");
            var ds = ImdbDataLoader.Read(ImdbDataLoader.Locate(dataPath));
            var reviews = split!.ToLowerInvariant() switch
            {
                "test" => ds.Test,
                "train" => ds.Train,
                _ => throw new ArgumentException($"--split must be test or train, got '{split}'"),
            };
            foreach (var rev in reviews.Take(count)) docs.Add(target.Prepare(rev.Text, rev.RelativePath));
        }
        var runSettings = new Dictionary<string, string>
        {
            ["model"] = Path.GetFullPath(modelDir),
            ["methods"] = string.Join(",", explainers.Select(e => e.Name)),
            ["removal"] = string.Join(",", settings.Removals.Select(m => m.Name())),
            ["lime_samples"] = settings.LimeSamples.ToString(CultureInfo.InvariantCulture),
            ["lime_runs"] = settings.LimeRuns.ToString(CultureInfo.InvariantCulture),
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            ["word_aggregation"] = settings.Aggregation.ToString().ToLowerInvariant(),
            ["perturbation_path"] = fast ? "fast (exact closed form)" : "generic batched forward",
            ["theory"] = study is null ? "off" : $"on (large-sample limit: {study.LimitSamples} samples)",
            ["device"] = loaded.Model.Device.ToString(),
        };
        var result = ExplainRun.Run(target, docs, explainers, study, runSettings, msg => Console.Error.WriteLine(msg));
        foreach (var d in docs)
            foreach (var w in d.Warnings) Console.Error.WriteLine($"{d.Label}: {w}");
        var paths = ExplanationWriters.WriteAll(outDir, result, loaded.Config);
        Console.WriteLine($"explained {docs.Count} document(s) with {explainers.Count} method(s); wrote:");
        foreach (var p in paths) Console.WriteLine("  " + p);
    }
}
