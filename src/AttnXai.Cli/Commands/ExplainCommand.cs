using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Common.Sharding;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Jobs;
using AttnXai.Explain.Output;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

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
            var job = Job(r, dataArgs);
            ExplainJob.Check(job);
            if (r.GetValue(split) is null && (r.Given(dataArgs.Data) || r.Given(dataArgs.Labels))) throw new UserError("--data and --labels go with --split");
            CliRunner.ApplyThreads(r.GetValue(threads));
            var result = ExplainJob.Run(job, Console.Error.WriteLine);
            int explained = result.Run.Documents.Count, first = result.First;
            string of = job.Shard is { } s2 ? $" (shard {s2}: documents {first} to {first + explained - 1} of {result.Total}; `attnxai merge` of the {s2.Count} part folders gives the whole run)" : "";
            Console.WriteLine($"explained {explained} document(s){of} with {result.Run.Explainers.Count} method(s); wrote:");
            foreach (var p in result.Files.Take(6)) Console.WriteLine("  " + p);
            if (result.Files.Count > 6) Console.WriteLine($"  ... and {result.Files.Count - 6} more HTML page(s)");
            return 0;
        });
        return cmd;
    }

    /// <summary>The job of a parsed command line (options checked while parsing; the job checks how they combine).</summary>
    public static ExplainJobSettings Job(ParseResult r, DataArgs dataArgs)
    {
        var removals = (r.GetValue<string?>("--removal") ?? "both").Trim().ToLowerInvariant() switch
        {
            "delete" => new[] { RemovalMode.Delete },
            "unk" => new[] { RemovalMode.ReplaceWithUnk },
            _ => new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk },
        };
        return new ExplainJobSettings
        {
            Model = r.GetValue<string>("--model")!,
            Output = r.GetValue<string>("--out")!,
            Text = r.GetValue<string?>("--text"),
            File = r.GetValue<string?>("--file"),
            Split = r.GetValue<string?>("--split"),
            Count = r.GetValue<int?>("--count"),
            DataPath = r.GetValue(dataArgs.Data),
            FileOptions = recorded => dataArgs.Build(r, recorded),
            Methods = (r.GetValue<string?>("--methods") ?? "all").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Explainers = ExplainerOptions.Read(r, new ExplainerSettings
            {
                Aggregation = WordScores.Parse(r.GetValue<string?>("--aggregation") ?? "auto"),
                Removals = removals,
                Seed = r.GetValue<ulong?>("--seed") ?? 0,
            }),
            LimitSamples = r.GetValue<long?>("--limit-samples") ?? 200_000,
            Theory = !r.GetValue<bool>("--no-theory"),
            Target = r.GetValue<string?>("--target"),
            Generic = r.GetValue<bool>("--generic"),
            Replacement = r.GetValue<string?>("--replace-with") is { } rw ? Enum.Parse<ReplacementToken>(rw, ignoreCase: true) : null,
            LimeMasks = r.GetValue<string?>("--lime-masks"),
            Device = r.GetValue<string?>("--device") is { } ds ? Devices.Parse(ds) : null,
            Shard = r.Shard(),
            CheckOutput = path => Output.Folder(path),
        };
    }

    /// <summary>The --shard checks that need no data: --split, and I/N fitting the documents of --count.</summary>
    public static void CheckShard(ParseResult r)
    {
        if (r.Shard() is not { } shard) return;
        if (r.GetValue<string?>("--split") is null) throw new UserError($"--shard {shard} goes with --split (a sample of documents to share out)");
        int count = r.GetValue<int?>("--count") ?? 10;
        shard.CheckFits(count, 1, $"the {count} documents of --count");
    }
}
