using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Common.Sharding;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
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
/// `attnxai explain`: every chosen explainer and the paper's theory on texts, written as JSON, tidy CSV and paged
/// HTML of highlighted words with the model's prediction. Texts go through the paper's LIME-compatible cleaning (the
/// "clean" tokenizer: runs of characters outside [A-Za-z0-9] become spaces, lower-case, truncated to 255 words) so
/// that LIME's words and the model's tokens coincide.
/// </summary>
public static class ExplainCommand
{
    /// <summary>The most samples of the large-sample limit (streamed, so the bound is time, not memory).</summary>
    public const long MaxLimitSamples = 100_000_000;

    public static Command Create()
    {
        var cmd = new Command("explain", "Explain texts with attention, gradient, IG, LIME, occlusion and SHAP explainers and the paper's theory (JSON, CSV, HTML)");
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, vocab.txt)", Required = true };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var text = new Option<string?>("--text") { Description = "one text to explain" };
        var file = new Option<string?>("--file") { Description = "explain every text of a file: .txt (one text per line) or a CSV/TSV/JSONL file (its text column; its labels, when present, are shown)" };
        var split = new Option<string?>("--split") { Description = "explain documents of this part of --data: test, val or train (split as the model's training split it)" }.OneOf([.. ModelData.PartNames]);
        var count = new Option<int?>("--count") { Description = "--split: documents explained, a seeded sample that takes the labels in turn (default 10)" }.Range(1, Opt.MaxDocuments);
        var dataArgs = new DataArgs("the data the model was trained on", DataArgs.ModelLabelsHelp);
        var methods = new Option<string?>("--methods") { Description = $"comma list of {ExplainerRegistry.Known} (default)" };
        var removal = new Option<string?>("--removal") { Description = "removal of LIME/occlusion/SHAP words: delete (lime's default, the authors' run), unk (in place) or both (default both)" }.OneOf("delete", "unk", "both");
        var limeMasks = new Option<string?>("--lime-masks") { Description = "LIME on your own masks instead of sampled ones (one document only): a text file, one sample per line, one 0/1 per distinct word (in order of first occurrence), e.g. 1101 or 1,1,0,1" };
        var limitSamples = new Option<long?>("--limit-samples") { Description = $"samples of LIME's large-sample limit (default 200000; 0 skips it; at most {MaxLimitSamples:N0})" }.Between(0, MaxLimitSamples);
        var seed = new Option<ulong?>("--seed") { Description = "seed of LIME and SHAP sampling and of the --split sample (default 0)" };
        var aggregation = new Option<string?>("--aggregation") { Description = "per-word value of per-token methods: last, sum, mean, max, first (default: last, the authors', for word-vocabulary models; sum over the WordPieces for pretrained models)" }.OneOf("last", "sum", "mean", "max", "first", "auto");
        var replacement = new Option<string?>("--replace-with") { Description = "pretrained models: what a removed word's WordPieces become with --removal unk: mask (default) or unk" }.OneOf("mask", "unk");
        var targetClass = new Option<string?>("--target") { Description = "the class whose logit is explained: predicted (each document's predicted class), a label, or a class index (default: the last class of a two-class model, the positive one; predicted for more classes)" };
        var noTheory = new Option<bool>("--no-theory") { Description = "skip Theorems 4.1/5.1 and the agreement numbers" };
        var generic = new Option<bool>("--generic") { Description = "evaluate perturbations through the batched forward instead of the exact fast path" };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var threads = CliRunner.ThreadsOption();
        var shardOption = Opt.ShardOption();
        var explainerOptions = new ExplainerOptions(new ExplainerSettings(), settings: [LimeExplainer.SamplesSetting, LimeExplainer.RunsSetting,
            LimeExplainer.KernelWidthSetting, IntegratedGradientsExplainer.StepsSetting, IntegratedGradientsExplainer.BaselineSetting]);
        foreach (var o in new Option[] { model, output, text, file, split, count, methods, removal }.Concat(explainerOptions.All.Take(3))
                     .Concat([limeMasks, limitSamples, seed, aggregation]).Concat(explainerOptions.All.Skip(3))
                     .Concat([replacement, targetClass, noTheory, generic, device, threads, shardOption]).Concat(dataArgs.All()))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CheckShard(r);
            var sources = new[] { r.GetValue(text) is not null, r.GetValue(file) is not null, r.GetValue(split) is not null }.Count(b => b);
            if (sources != 1) throw new UserError("give exactly one of --text, --file or --split");
            if (r.GetValue(count) is not null && r.GetValue(split) is null) throw new UserError("--count goes with --split");
            if (r.GetValue(split) is null && (r.Given(dataArgs.Data) || r.Given(dataArgs.Labels))) throw new UserError("--data and --labels go with --split");
            if (r.GetValue(text) is { } t0 && string.IsNullOrWhiteSpace(t0)) throw new UserError("--text is empty");
            var removals = (r.GetValue(removal) ?? "both").Trim().ToLowerInvariant() switch
            {
                "delete" => new[] { RemovalMode.Delete },
                "unk" => new[] { RemovalMode.ReplaceWithUnk },
                _ => new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk },
            };
            var settings = ExplainerOptions.Read(r, new ExplainerSettings
            {
                Aggregation = WordScores.Parse(r.GetValue(aggregation) ?? "auto"),
                Removals = removals,
                Seed = r.GetValue(seed) ?? 0,
            });
            long limit = r.GetValue(limitSamples) ?? 200_000;
            if (limit == 1) throw new UserError("--limit-samples must be 0 (skip the limit) or at least 2, got 1");
            var study = r.GetValue(noTheory) ? null : new StudyOptions
            {
                Explainers = settings, LimitSamples = limit,
            };
            var methodNames = (r.GetValue(methods) ?? "all").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var explainers = Opt.Parse("--methods", () => ExplainerRegistry.Create(methodNames, settings)); // unknown names are refused here, before any work
            var masks = r.GetValue(limeMasks) is { } mf ? LimeMasks.Read(mf) : null;
            if (masks is not null && r.GetValue(text) is null && r.GetValue(count) is not 1)
                throw new UserError("--lime-masks explains one document: give --text, or --split with --count 1");
            var outDir = Output.Folder(r.GetValue(output)!);
            var dev = r.GetValue(device) is { } ds ? Devices.Parse(ds) : null;
            CliRunner.ApplyThreads(r.GetValue(threads));
            using var loaded = ModelCheckpoint.Load(r.GetValue(model)!, dev);
            // The explained class: fixed (a label or an index), or each document's predicted one (null).
            var targetText = r.GetValue(targetClass) ?? (loaded.Model.Classes == 2 ? null : "predicted");
            int? fixedClass = targetText is null ? loaded.Model.ExplainedClass : ParseTarget(targetText, loaded) is var pc && pc >= 0 ? pc : null;
            if (r.GetValue(replacement) is not null && loaded.TextTokenizer is null)
                throw new UserError("--replace-with goes with a pretrained model (its words are replaced by [MASK] or [UNK]); a word-vocabulary model replaces words by UNK");
            var target = Opt.Parse("--replace-with", () => ExplainTarget.For(loaded, preferFast: !r.GetValue(generic),
                replacement: r.GetValue(replacement) is { } rw ? Enum.Parse<ReplacementToken>(rw, ignoreCase: true) : null));
            var aggregationUsed = settings.Aggregation == WordAggregation.Auto ? target.DefaultAggregation : settings.Aggregation;
            var igBaselineUsed = IntegratedGradientsExplainer.Resolve(settings.IgBaseline, target);
            // "all" is every method the model supports; a method named on its own that the model lacks is refused.
            if (methodNames.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)))
                explainers = [.. explainers.Where(e => e.Info.Supports(loaded.Model) || methodNames.Contains(e.Name, StringComparer.OrdinalIgnoreCase))];
            foreach (var e in explainers) target.Require(e);
            if (study is not null && (fixedClass is null || fixedClass != loaded.Model.ExplainedClass))
            {
                Console.Error.WriteLine($"note: Theorems 4.1 and 5.1 are written for the paper's model's positive class; --target {targetText} explains another logit, so the theory is skipped");
                study = null;
            }
            if (study is not null && target.Paper is null)
            {
                Console.Error.WriteLine($"note: Theorems 4.1 and 5.1 are the paper's model's closed forms; {loaded.Directory} holds a {loaded.Architecture.Architecture}, so the theory is skipped");
                study = null;
            }
            var (docs, source) = Documents(r, loaded, target, text, file, split, count, dataArgs, settings.Seed);
            var shard = r.Shard();
            int total = docs.Count, first = 0;
            if (shard is { } sh)
            {
                sh.CheckFits(total, 1, $"the {total} documents of the sample that can be explained");
                var slice = sh.Slice(total);
                first = slice.Start.Value;
                docs = docs.Take(slice).ToList();
            }
            if (masks is not null) explainers = MaskedLime.Replace(explainers, masks, docs[0], r.GetValue(limeMasks)!);
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
            if (masks is not null) runSettings["lime_masks"] = Path.GetFullPath(r.GetValue(limeMasks)!);
            // A method zero by construction for this model is computed (its scores are rounding noise) and flagged.
            var zero = explainers.Select(e => (e.Name, Reason: e.Info.ZeroReason(loaded.Model))).Where(z => z.Reason is not null).ToList();
            foreach (var (name, reason) in zero)
                Console.Error.WriteLine($"note: {name} is zero by construction on this model ({reason}); its scores are rounding noise, flagged in the outputs");
            if (zero.Count > 0) runSettings[ExplanationWriters.ZeroKey] = string.Join("\n", zero.Select(z => $"{z.Name}: {z.Reason}"));
            var clock = Stopwatch.StartNew();
            var (result, predictions) = Explain(loaded, target, docs, explainers, study, runSettings, first, total, fixedClass);
            foreach (var d in docs)
                foreach (var w in d.Warnings) Console.Error.WriteLine($"{d.Label}: {w}");
            var paths = ExplanationWriters.WriteAll(outDir, result, loaded.Architecture, predictions, first, pages: shard is null);
            if (shard is { } part)
            {
                // What the explanations depend on besides the model (its folder and the device are not compared).
                var compared = new SortedDictionary<string, string>(runSettings.Where(kv => kv.Key is not ("model" or "device")).ToDictionary(), StringComparer.Ordinal)
                {
                    ["data"] = source, ["split"] = r.GetValue(split)!, ["count"] = (r.GetValue(count) ?? 10).ToString(CultureInfo.InvariantCulture),
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
            string of = shard is { } s2 ? $" (shard {s2}: documents {first} to {first + docs.Count - 1} of {total}; `attnxai merge` of the {s2.Count} part folders gives the whole run)" : "";
            Console.WriteLine($"explained {docs.Count} document(s){of} with {explainers.Count} method(s); wrote:");
            foreach (var p in paths.Take(6)) Console.WriteLine("  " + p);
            if (paths.Count > 6) Console.WriteLine($"  ... and {paths.Count - 6} more HTML page(s)");
            return 0;
        });
        return cmd;
    }

    /// <summary>The --shard checks that need no data: --split, and I/N fitting the documents of --count.</summary>
    public static void CheckShard(ParseResult r)
    {
        if (r.Shard() is not { } shard) return;
        if (r.GetValue<string?>("--split") is null) throw new UserError($"--shard {shard} goes with --split (a sample of documents to share out)");
        int count = r.GetValue<int?>("--count") ?? 10;
        shard.CheckFits(count, 1, $"the {count} documents of --count");
    }

    /// <summary>The documents to explain (and where they come from). A single --text that cannot be explained (no word, or no known word) is an
    /// error, as in predict; in a file or a sample such documents are skipped with a note.</summary>
    private static (List<ExplainDocument> Docs, string Source) Documents(ParseResult r, LoadedModel loaded, ExplainTarget target, Option<string?> text, Option<string?> file,
        Option<string?> split, Option<int?> count, DataArgs dataArgs, ulong seed)
    {
        var docs = new List<ExplainDocument>();
        if (r.GetValue(text) is { } t)
        {
            var d = target.Prepare(t, "text");
            if (d.UnknownCount == d.TokenCount)
                throw new UserError($"none of the {d.TokenCount} words of the text is in the model's vocabulary: there is nothing to explain");
            docs.Add(d);
            return (docs, "--text");
        }
        int skipped = 0;
        void Add(string body, string label, string where)
        {
            try
            {
                var d = target.Prepare(body, label);
                if (d.UnknownCount == d.TokenCount) throw new UserError($"none of its {d.TokenCount} words is in the model's vocabulary");
                docs.Add(d);
            }
            catch (Exception e) when (e is ArgumentException or UserError) { skipped++; Console.Error.WriteLine($"{where} skipped: {CliRunner.Message(e)}"); }
        }
        if (r.GetValue(file) is { } f)
        {
            foreach (var x in LabelledTextLoader.LoadTexts(f, dataArgs.Build(r, ModelData.RecordedFileOptions(loaded))))
                Add(x.Text, x.Label is null ? $"line {x.Line}" : $"line {x.Line} (label {x.Label})", $"{f}: line {x.Line}");
            if (docs.Count == 0) throw new InvalidDataException($"{f}: no text to explain ({skipped} skipped)");
            return (docs, Path.GetFullPath(f));
        }
        var name = r.GetValue(split)!;
        var (source, part) = ModelData.ReadPart(loaded, r.GetValue(dataArgs.Data), dataArgs.Build(r, ModelData.RecordedFileOptions(loaded)), name);
        var sample = PartSplit.SampleAcrossLabels(part, r.GetValue(count) ?? 10, seed, $"the {name} part of {source.Description}");
        foreach (var doc in sample) Add(doc.Text, $"{doc.Origin} (label {loaded.Labels.ClassNames[doc.Label]})", doc.Origin);
        if (docs.Count == 0) throw new InvalidDataException($"no document of the sample can be explained ({skipped} skipped)");
        return (docs, source.Path);
    }

    /// <summary>Every explainer and the theory, one document at a time (a progress line each, on standard error).</summary>
    private static (ExplainRunResult, IReadOnlyList<DocumentPrediction>) Explain(LoadedModel loaded, ExplainTarget target, IReadOnlyList<ExplainDocument> docs,
        IReadOnlyList<IExplainer> explainers, StudyOptions? study, Dictionary<string, string> runSettings, int first, int total, int? explainedClass)
    {
        var explanations = new List<IReadOnlyList<Explanation>>();
        var studies = study is null ? null : new List<DocumentStudyResult>();
        var predictions = new List<DocumentPrediction>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            var prediction = Predict(loaded, d);
            var one = ExplainRun.Run(target.ForClass(explainedClass ?? prediction.Class), [d], explainers, study, runSettings);
            explanations.Add(one.Explanations[0]);
            studies?.Add(one.Studies![0]);
            predictions.Add(prediction);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{first + i + 1}/{total}] {d.Label}: {(d.ModelTokenized ? $"{d.TokenCount} tokens, {d.Occurrences.Length} words" : $"{d.TokenCount} words")}, predicted {predictions[^1].Label} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        return (new ExplainRunResult(docs, explanations, studies, explainers, runSettings), predictions);
    }

    /// <summary>A class given as a label of the model or an index.</summary>
    private static int ParseTarget(string text, LoadedModel loaded)
    {
        var t = text.Trim();
        if (t.Equals("predicted", StringComparison.OrdinalIgnoreCase)) return -1;
        if (loaded.Labels.TryGetClass(t, out int c)) return c;
        if (int.TryParse(t, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out c) && c < loaded.Model.Classes) return c;
        throw new UserError($"--target '{text}' is neither predicted, a label of the model ({loaded.Labels.Describe()}) nor a class index 0 to {loaded.Model.Classes - 1}");
    }

    /// <summary>Both logits of the document as explained (cleaned and truncated).</summary>
    private static DocumentPrediction Predict(LoadedModel loaded, ExplainDocument d)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = BatchedPass.Logits(loaded.Model, 1, 1, ModelPasses.Rows([d]));
        int best = Array.IndexOf(logits, logits.Max());   // the first of equal largest logits
        return new DocumentPrediction(logits, best, loaded.Labels.ClassNames);
    }
}
