using System.CommandLine;
using AttnXai.Explain.Explainers;
using AttnXai.Faithfulness;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai faithfulness`: the faithfulness violation test of Liu et al. (ICML 2022) on a seeded sample of a part of the
/// model's data (or other data, IMDB or the user's own),
/// for every chosen explainer and the random baseline, with three removals of the top word and the erasure curves (see
/// src/AttnXai.Faithfulness/README.md). Progress goes to standard error; the written files to standard output.
/// </summary>
public static class FaithfulnessCommand
{
    /// <summary>The --quick preset: a smoke run of a minute or two.</summary>
    public const int QuickDocs = 100;
    /// <summary>The --quick preset's explainer settings: one LIME run of 1,000 samples.</summary>
    public static readonly ExplainerSettings QuickExplainers = new() { LimeRuns = 1, LimeSamples = 1000 };

    public static Command Create()
    {
        var cmd = new Command("faithfulness", "Faithfulness violation test (Liu et al., 2022): remove each explainer's top word three ways and count sign violations");
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, vocab.txt)", Required = true };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var dataArgs = new DataArgs("the data the model was trained on", DataArgs.ModelLabelsHelp);
        var split = new Option<string>("--split") { Description = "test, val or train: the part of --data, split as the model's training split it", DefaultValueFactory = _ => "test" }.OneOf([.. ModelData.PartNames]);
        var docs = new Option<int?>("--docs") { Description = "documents tested, a seeded sample of the split (default 1000)" }.Range(1, Opt.MaxDocuments);
        var methods = new Option<string>("--methods") { Description = $"comma list of {string.Join(", ", FaithfulnessStudy.KnownMethods)}, or all", DefaultValueFactory = _ => "all" };
        var removals = new Option<string>("--removals") { Description = "comma list of delete (re-encode without the word), zero (its word embedding set to 0), attention (masked out of the softmax), or all", DefaultValueFactory = _ => "delete,zero,attention" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sample, LIME, SHAP and the random baseline (default 0)" };
        var targetClass = new Option<string?>("--target") { Description = "the class whose logit is explained and tested, a label or a class index (default: the last class of a two-class model, the positive one)" };
        var erasure = new Option<string>("--erasure-removal") { Description = "how the erasure curves take tokens out: delete (re-encode without them, as ferret and ERASER) or unk (UNK in place)", DefaultValueFactory = _ => "delete" }.OneOf("delete", "unk");
        var quick = new Option<bool>("--quick") { Description = $"smoke preset: {QuickDocs} documents, {QuickExplainers.LimeRuns} LIME run of {QuickExplainers.LimeSamples} samples (options still override)" };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var threads = CliRunner.ThreadsOption();
        var chunkSize = Opt.ChunkSizeOption("one batch per explainer, then one of their removals and one of their erasure curves", DefaultChunkSize);
        var shard = Opt.ShardOption();
        var explainerOptions = new ExplainerOptions(new ExplainerSettings(), QuickExplainers,
            [LimeExplainer.RunsSetting, LimeExplainer.SamplesSetting]);
        foreach (var o in new Option[] { model, split, docs, methods, removals, erasure, seed, targetClass }.Concat(explainerOptions.All)
                     .Concat([quick, threads, device, output, chunkSize, shard]).Concat(dataArgs.All()))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CheckShard(r);
            bool q = r.GetValue(quick);
            var settings = new FaithfulnessSettings
            {
                ModelDirectory = r.GetValue(model)!,
                OutputDirectory = r.GetValue(output)!,
                DataPath = r.GetValue(dataArgs.Data),
                Split = r.GetValue(split)!,
                Target = r.GetValue(targetClass),
                Docs = r.GetValue(docs) ?? (q ? QuickDocs : 1000),
                DocsGiven = r.GetValue(docs) is not null,
                Methods = r.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Removals = Opt.Parse("--removals", () => FeatureRemovals.ParseList(r.GetValue(removals)!)),
                Seed = r.GetValue(seed),
                Explainers = ExplainerOptions.Read(r, q ? QuickExplainers : new ExplainerSettings()),
                ErasureRemoval = Opt.Parse("--erasure-removal", () => RemovalNames.Parse(r.GetValue(erasure)!)),
                ChunkSize = r.GetValue(chunkSize) ?? DefaultChunkSize,
                Shard = r.Shard(),
            };
            Opt.Parse("--methods", () => FaithfulnessStudy.Explainers(settings.Methods, settings.Seed, settings.Explainers)); // before any work
            Output.Folder(settings.OutputDirectory);
            var dev = r.GetValue(device) is { } ds ? Devices.Parse(ds) : null;
            CliRunner.ApplyThreads(r.GetValue(threads));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var fileOptions = dataArgs.Build(r, ModelData.RecordedFileOptions(settings.ModelDirectory));
            var (result, curves, files) = FaithfulnessStudy.Run(settings with { Device = dev, FileOptions = fileOptions }, msg => Console.Error.WriteLine(msg));
            string part = settings.Shard is { } sh ? $" (shard {sh}; `attnxai merge` of the {sh.Count} part folders gives the whole test)" : "";
            Console.WriteLine($"faithfulness test on {result.Documents.Count} document(s){part}, {result.Methods.Count} method(s), {sw.Elapsed.TotalSeconds:F1} s");
            if (settings.Shard is null) PrintSummary(ViolationSummary.Of(result), Erasure.Summarise(curves));
            Console.WriteLine("wrote:");
            foreach (var f in files) Console.WriteLine("  " + f);
            return 0;
        });
        return cmd;
    }

    public const int DefaultChunkSize = 100;

    /// <summary>The --shard checks that need no data: I/N fits the documents asked for (--docs) in chunks (--chunk-size).</summary>
    public static void CheckShard(ParseResult r)
    {
        if (r.Shard() is not { } shard) return;
        int docs = r.GetValue<int?>("--docs") ?? (r.GetValue<bool>("--quick") ? QuickDocs : 1000);
        shard.CheckFits(docs, r.GetValue<int?>("--chunk-size") ?? DefaultChunkSize, $"the {docs} documents of --docs");
    }

    /// <summary>One line per method and removal: the violation ratio, its Wilson interval and the counts.</summary>
    public static void PrintSummary(ViolationSummary summary, IReadOnlyList<ErasureSummaryRow> erasure)
    {
        foreach (var row in summary.Rows)
            Console.WriteLine(FormattableString.Invariant($"  {row.Method,-17} {row.Removal,-9} ratio {row.Ratio:F3} [{row.WilsonLow:F3}, {row.WilsonHigh:F3}]  violations {row.Violations}/{row.N}, undecided {row.Undecided}"));
        foreach (var row in erasure.Where(x => x.Fraction == "aopc"))
            Console.WriteLine(FormattableString.Invariant($"  {row.Method,-17} AOPC {row.Measure,-17} {row.Mean:F3} (standard error {row.StandardError:F3})"));
    }
}
