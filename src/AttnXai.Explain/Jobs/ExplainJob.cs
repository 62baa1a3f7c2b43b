using System.Diagnostics;
using System.Globalization;
using AttnXai.Common;
using AttnXai.Common.Sharding;
using AttnXai.Data.Labelled;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Output;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using TorchSharp;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Jobs;

/// <summary>
/// Settings of <see cref="ExplainJob"/>, `attnxai explain` as a library call. Give exactly one source: <see cref="Text"/>,
/// <see cref="File"/> or <see cref="Split"/> (a seeded sample of <see cref="Count"/> documents of that part of the
/// model's data). Messages name the command's options (--text, --split, ...), which these settings mirror.
/// </summary>
public sealed record ExplainJobSettings
{
    /// <summary>The model folder.</summary>
    public required string Model { get; init; }
    /// <summary>The output folder (created).</summary>
    public required string Output { get; init; }
    public string? Text { get; init; }
    /// <summary>A .txt file (one text a line) or a CSV/TSV/JSONL file (its text column).</summary>
    public string? File { get; init; }
    /// <summary>test, val or train of <see cref="DataPath"/>, split as the model's training split it.</summary>
    public string? Split { get; init; }
    /// <summary>Documents of the <see cref="Split"/> sample (null: 10).</summary>
    public int? Count { get; init; }
    /// <summary>The data of <see cref="Split"/> (null: as the model records it, or IMDB).</summary>
    public string? DataPath { get; init; }
    /// <summary>How labelled files are read, from the options the model recorded (null: the recorded ones).</summary>
    public Func<LabelledTextOptions?, LabelledTextOptions>? FileOptions { get; init; }
    /// <summary>Method names (the registry's; "all": every method the model supports).</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["all"];
    /// <summary>The explainers' settings, taken whole (explain's default removal: both modes).</summary>
    public ExplainerSettings Explainers { get; init; } = new() { Removals = [RemovalMode.Delete, RemovalMode.ReplaceWithUnk] };
    /// <summary>Samples of LIME's large-sample limit in the theory (0 skips it).</summary>
    public long LimitSamples { get; init; } = 200_000;
    /// <summary>Theorems 4.1 and 5.1 and the agreement numbers (the paper's model, its positive class only).</summary>
    public bool Theory { get; init; } = true;
    /// <summary>The explained class: "predicted", a label or a class index (null: the last class of a two-class model,
    /// predicted for more classes).</summary>
    public string? Target { get; init; }
    /// <summary>Perturbations through the batched forward pass instead of the exact fast path.</summary>
    public bool Generic { get; init; }
    /// <summary>Pretrained models: what a removed word's WordPieces become in UNK removal (null: [MASK]).</summary>
    public ReplacementToken? Replacement { get; init; }
    /// <summary>LIME on these masks instead of sampled ones (one document only): a file of 0/1 rows.</summary>
    public string? LimeMasks { get; init; }
    public TorchSharp.torch.Device? Device { get; init; }
    /// <summary>Explain only this shard of the <see cref="Split"/> sample (`attnxai merge` joins the parts).</summary>
    public ShardSpec? Shard { get; init; }
    /// <summary>Documents explained together (one batch of each explainer, one prediction pass). 1 (the default, as
    /// `attnxai explain` runs) explains one document at a time: a batch of several changes the float32 rounding of the
    /// gradient methods and of the logits (measured: G-avg and the Theorem 4.1 errors move in the 4th significant digit
    /// on a quick model), so outputs depend on the batch size.</summary>
    public int BatchDocuments { get; init; } = 1;
    /// <summary>Called with <see cref="Output"/> once the settings and the methods are checked, before the model is
    /// loaded (the CLI checks that the folder can be written).</summary>
    public Action<string>? CheckOutput { get; init; }
}

/// <summary>What <see cref="ExplainJob.Run"/> did.</summary>
/// <param name="Files">The files written (JSON, CSV, HTML pages, shard.json).</param>
/// <param name="First">Index of the first explained document in the whole sample (shards).</param>
/// <param name="Total">Documents of the whole sample.</param>
public sealed record ExplainJobResult(ExplainRunResult Run, IReadOnlyList<DocumentPrediction> Predictions, IReadOnlyList<string> Files, int First, int Total);

/// <summary>
/// `attnxai explain` as a library job: load the model, prepare the documents, run the explainers and the theory, write
/// JSON, CSV and HTML. <c>ExplainJob.Run(new() { Model = "runs/m", Output = "out", Split = "test", Count = 3 })</c>.
/// Notes (skipped documents, theory skipped, zero by construction) and one progress line per document go to
/// <paramref name="log"/>.
/// </summary>
public static class ExplainJob
{
    public static ExplainJobResult Run(ExplainJobSettings s, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        log ??= _ => { };
        Check(s);
        var settings = s.Explainers;
        var study = s.Theory ? new StudyOptions { Explainers = settings, LimitSamples = s.LimitSamples } : null;
        var methodNames = s.Methods.ToArray();
        var explainers = Named("--methods", () => ExplainerRegistry.Create(methodNames, settings)); // unknown names are refused here, before any work
        var masks = s.LimeMasks is { } mf ? Explainers.LimeMasks.Read(mf) : null;
        if (masks is not null && s.Text is null && s.Count is not 1)
            throw new UserError("--lime-masks explains one document: give --text, or --split with --count 1");
        s.CheckOutput?.Invoke(s.Output);
        var outDir = Path.GetFullPath(s.Output);
        using var loaded = ModelCheckpoint.Load(s.Model, s.Device);
        // The explained class: fixed (a label or an index), or each document's predicted one (null).
        var targetText = s.Target ?? (loaded.Model.Classes == 2 ? null : "predicted");
        int? fixedClass = targetText is null ? loaded.Model.ExplainedClass : ParseTarget(targetText, loaded) is var pc && pc >= 0 ? pc : null;
        if (s.Replacement is not null && loaded.TextTokenizer is null)
            throw new UserError("--replace-with goes with a pretrained model (its words are replaced by [MASK] or [UNK]); a word-vocabulary model replaces words by UNK");
        var target = Named("--replace-with", () => ExplainTarget.For(loaded, preferFast: !s.Generic, replacement: s.Replacement));
        var aggregationUsed = settings.Aggregation == WordAggregation.Auto ? target.DefaultAggregation : settings.Aggregation;
        var igBaselineUsed = IntegratedGradientsExplainer.Resolve(settings.IgBaseline, target);
        // "all" is every method the model supports; a method named on its own that the model lacks is refused.
        if (methodNames.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)))
            explainers = [.. explainers.Where(e => e.Info.Supports(loaded.Model) || methodNames.Contains(e.Name, StringComparer.OrdinalIgnoreCase))];
        foreach (var e in explainers) target.Require(e);
        if (study is not null && (fixedClass is null || fixedClass != loaded.Model.ExplainedClass))
        {
            log($"note: Theorems 4.1 and 5.1 are written for the paper's model's positive class; --target {targetText} explains another logit, so the theory is skipped");
            study = null;
        }
        if (study is not null && target.Paper is null)
        {
            log($"note: Theorems 4.1 and 5.1 are the paper's model's closed forms; {loaded.Directory} holds a {loaded.Architecture.Architecture}, so the theory is skipped");
            study = null;
        }
        var (docs, source) = Documents(s, loaded, target, log);
        int total = docs.Count, first = 0;
        if (s.Shard is { } sh)
        {
            sh.CheckFits(total, 1, $"the {total} documents of the sample that can be explained");
            var slice = sh.Slice(total);
            first = slice.Start.Value;
            docs = docs.Take(slice).ToList();
        }
        if (masks is not null) explainers = MaskedLime.Replace(explainers, masks, docs[0], s.LimeMasks!);
        var runSettings = new Dictionary<string, string>
        {
            ["model"] = loaded.Directory,
            ["labels"] = loaded.Labels.Describe(),
            ["methods"] = string.Join(",", explainers.Select(e => e.Name)),
            ["removal"] = string.Join(",", settings.Removals.Select(m => m.Name())),
            ["lime_samples"] = masks is null ? settings.LimeSamples.ToString(CultureInfo.InvariantCulture) : $"{masks.Rows} (--lime-masks)",
            ["lime_runs"] = masks is null ? settings.LimeRuns.ToString(CultureInfo.InvariantCulture) : "1 (--lime-masks)",
            ["lime_kernel_width"] = settings.KernelWidth.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            ["word_aggregation"] = aggregationUsed.ToString().ToLowerInvariant(),
            ["perturbation_path"] = target.UsesFastPath ? "fast (exact closed form)" : "generic batched forward",
            ["theory"] = study is null ? "off" : $"on (large-sample limit: {study.LimitSamples} samples{(masks is null ? "" : "; its LIME runs are sampled, not --lime-masks")})",
            ["device"] = loaded.Model.Device.ToString(),
        };
        if (targetText is not null)
            runSettings["target"] = fixedClass is { } fc ? $"{loaded.Labels.ClassNames[fc]} (class {fc})" : "predicted (each document's predicted class; see its prediction)";
        if (masks is not null) runSettings["lime_masks"] = Path.GetFullPath(s.LimeMasks!);
        // A method zero by construction for this model is computed (its scores are rounding noise) and flagged.
        var zero = explainers.Select(e => (e.Name, Reason: e.Info.ZeroReason(loaded.Model))).Where(z => z.Reason is not null).ToList();
        foreach (var (name, reason) in zero)
            log($"note: {name} is zero by construction on this model ({reason}); its scores are rounding noise, flagged in the outputs");
        if (zero.Count > 0) runSettings[ExplanationWriters.ZeroKey] = string.Join("\n", zero.Select(z => $"{z.Name}: {z.Reason}"));
        var clock = Stopwatch.StartNew();
        var (result, predictions) = Explain(loaded, target, docs, explainers, study, runSettings, first, total, fixedClass, Math.Max(1, s.BatchDocuments), log);
        foreach (var d in docs)
            foreach (var w in d.Warnings) log($"{d.Label}: {w}");
        var paths = ExplanationWriters.WriteAll(outDir, result, loaded.Architecture, predictions, first, pages: s.Shard is null);
        if (s.Shard is { } part)
        {
            // What the explanations depend on besides the model (its folder and the device are not compared).
            var compared = new SortedDictionary<string, string>(runSettings.Where(kv => kv.Key is not ("model" or "device")).ToDictionary(), StringComparer.Ordinal)
            {
                ["data"] = source, ["split"] = s.Split!, ["count"] = (s.Count ?? 10).ToString(CultureInfo.InvariantCulture),
                ["ig_steps"] = settings.IgSteps.ToString(CultureInfo.InvariantCulture), ["ig_baseline"] = igBaselineUsed.ToString().ToLowerInvariant(),
            };
            new ShardManifest
            {
                Study = ExplanationWriters.Study, Shard = part.Index, Shards = part.Count, Documents = total, First = first, End = first + docs.Count,
                Model = Path.GetFullPath(loaded.Directory), ModelFingerprint = ModelCheckpoint.Fingerprint(loaded.Directory), Settings = compared,
                Files = paths.Select(p => Path.GetFileName(p)).ToList(), Seconds = new() { ["explain"] = clock.Elapsed.TotalSeconds },
                Environment = new() { ["host"] = Environment.MachineName, ["threads"] = torch.get_num_threads().ToString(CultureInfo.InvariantCulture), ["device"] = runSettings["device"] },
            }.Write(outDir);
            paths = [.. paths, Path.Combine(outDir, ShardManifest.FileName)];
        }
        return new ExplainJobResult(result, predictions, paths, first, total);
    }

    /// <summary>The checks that need neither the model nor the data: the shard (a --split sample, I/N fitting the
    /// documents of --count), one source, --count with --split, a text that is not empty, the limit's samples.</summary>
    public static void Check(ExplainJobSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Shard is { } shard)
        {
            if (s.Split is null) throw new UserError($"--shard {shard} goes with --split (a sample of documents to share out)");
            int count = s.Count ?? 10;
            shard.CheckFits(count, 1, $"the {count} documents of --count");
        }
        var sources = new[] { s.Text is not null, s.File is not null, s.Split is not null }.Count(b => b);
        if (sources != 1) throw new UserError("give exactly one of --text, --file or --split");
        if (s.Count is not null && s.Split is null) throw new UserError("--count goes with --split");
        if (s.Text is { } t0 && string.IsNullOrWhiteSpace(t0)) throw new UserError("--text is empty");
        if (s.LimitSamples == 1) throw new UserError("--limit-samples must be 0 (skip the limit) or at least 2, got 1");
    }

    /// <summary>The documents to explain (and where they come from). A single text that cannot be explained (no word,
    /// or no known word) is an error; in a file or a sample such documents are skipped with a note.</summary>
    private static (List<ExplainDocument> Docs, string Source) Documents(ExplainJobSettings s, LoadedModel loaded, ExplainTarget target, Action<string> log)
    {
        if (s.Text is { } t)
        {
            var d = target.Prepare(t, "text");
            if (d.UnknownCount == d.TokenCount)
                throw new UserError($"none of the {d.TokenCount} words of the text is in the model's vocabulary: there is nothing to explain");
            return ([d], "--text");
        }
        var fileOptions = (s.FileOptions ?? (recorded => recorded ?? new LabelledTextOptions()))(ModelData.RecordedFileOptions(loaded));
        if (s.File is { } f)
        {
            var docs = new List<ExplainDocument>();
            int skipped = 0;
            foreach (var x in LabelledTextLoader.LoadTexts(f, fileOptions))
                if (DocumentSample.TryPrepare(target, x.Text, x.Label is null ? $"line {x.Line}" : $"line {x.Line} (label {x.Label})", $"{f}: line {x.Line}", log) is { } d) docs.Add(d);
                else skipped++;
            if (docs.Count == 0) throw new InvalidDataException($"{f}: no text to explain ({skipped} skipped)");
            return (docs, Path.GetFullPath(f));
        }
        var sample = DocumentSample.FromPart(loaded, target, s.Split!, s.Count ?? 10, s.Explainers.Seed, s.DataPath, fileOptions, log);
        return ([.. sample.Documents], sample.Source);
    }

    /// <summary>Every explainer and the theory, <paramref name="batch"/> documents at a time: one prediction pass per
    /// batch, then the documents of each explained class together (a progress line per document).</summary>
    private static (ExplainRunResult, IReadOnlyList<DocumentPrediction>) Explain(LoadedModel loaded, ExplainTarget target, IReadOnlyList<ExplainDocument> docs,
        IReadOnlyList<IExplainer> explainers, StudyOptions? study, Dictionary<string, string> runSettings, int first, int total, int? explainedClass, int batch, Action<string> log)
    {
        var explanations = new IReadOnlyList<Explanation>[docs.Count];
        var studies = study is null ? null : new DocumentStudyResult[docs.Count];
        var predictions = new DocumentPrediction[docs.Count];
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < docs.Count; start += batch)
        {
            var chunk = Enumerable.Range(start, Math.Min(batch, docs.Count - start)).ToArray();
            var predicted = Predict(loaded, [.. chunk.Select(i => docs[i])]);
            for (int j = 0; j < chunk.Length; j++) predictions[chunk[j]] = predicted[j];
            foreach (var group in chunk.GroupBy(i => explainedClass ?? predictions[i].Class))
            {
                var members = group.ToArray();
                var run = ExplainRun.Run(target.ForClass(group.Key), [.. members.Select(i => docs[i])], explainers, study, runSettings);
                for (int j = 0; j < members.Length; j++)
                {
                    explanations[members[j]] = run.Explanations[j];
                    if (studies is not null) studies[members[j]] = run.Studies![j];
                }
            }
            foreach (int i in chunk)
            {
                var d = docs[i];
                log(string.Create(CultureInfo.InvariantCulture,
                    $"[{first + i + 1}/{total}] {d.Label}: {(d.ModelTokenized ? $"{d.TokenCount} tokens, {d.Occurrences.Length} words" : $"{d.TokenCount} words")}, predicted {predictions[i].Label} ({clock.Elapsed.TotalSeconds:F1} s)"));
            }
        }
        return (new ExplainRunResult(docs, explanations, studies, explainers, runSettings), predictions);
    }

    /// <summary>A class given as a label of the model or an index; -1 for "predicted".</summary>
    private static int ParseTarget(string text, LoadedModel loaded)
    {
        var t = text.Trim();
        if (t.Equals("predicted", StringComparison.OrdinalIgnoreCase)) return -1;
        if (loaded.Labels.TryParseClass(t, out int c)) return c;
        throw new UserError($"--target '{text}' is neither predicted, a label of the model ({loaded.Labels.Describe()}) nor a class index 0 to {loaded.Model.Classes - 1}");
    }

    /// <summary>The logits of the documents as explained (cleaned and truncated), in one batched pass.</summary>
    public static IReadOnlyList<DocumentPrediction> Predict(LoadedModel loaded, IReadOnlyList<ExplainDocument> docs)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int k = loaded.Model.Classes;
        var logits = BatchedPass.Logits(loaded.Model, docs.Count, Math.Max(1, docs.Count), ModelPasses.Rows(docs));
        return [.. Enumerable.Range(0, docs.Count).Select(i =>
        {
            var row = logits[(i * k)..((i + 1) * k)];
            int best = Array.IndexOf(row, row.Max());   // the first of equal largest logits
            return new DocumentPrediction(row, best, loaded.Labels.ClassNames);
        })];
    }

    /// <summary>Runs a parser of a setting; its ArgumentException becomes a UserError naming the option.</summary>
    private static T Named<T>(string option, Func<T> parse)
    {
        try { return parse(); }
        catch (Exception e) when (e is ArgumentException and not ArgumentNullException)
        {
            var m = AttnXai.Common.ErrorText.OneLine(e);
            throw new UserError(m.StartsWith("--", StringComparison.Ordinal) ? m : $"{option}: {m}", e);
        }
    }
}
