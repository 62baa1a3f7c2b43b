using System.CommandLine;
using AttnXai.Faithfulness;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai faithfulness`: the faithfulness violation test of Liu et al. (ICML 2022) on a seeded sample of IMDB reviews,
/// for every chosen explainer and the random baseline, with three removals of the top word (see
/// src/AttnXai.Faithfulness/README.md). Progress goes to standard error; the written files to standard output.
/// </summary>
public static class FaithfulnessCommand
{
    public static Command Create()
    {
        var cmd = new Command("faithfulness", "Faithfulness violation test (Liu et al., 2022): remove each explainer's top word three ways and count sign violations");
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, vocab.txt)", Required = true };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var data = new Option<string?>("--data") { Description = "IMDB folder or archive (default: $ATTNXAI_DATA, the cache, then ../shared/data)" };
        var split = new Option<string>("--split") { Description = "test, val or train (val/train: the model's own split of the train reviews)", DefaultValueFactory = _ => "test" };
        var docs = new Option<int>("--docs") { Description = "reviews tested, a seeded sample of the split", DefaultValueFactory = _ => 1000 };
        var methods = new Option<string>("--methods") { Description = $"comma list of {string.Join(", ", FaithfulnessStudy.KnownMethods)}, or all", DefaultValueFactory = _ => "all" };
        var removals = new Option<string>("--removals") { Description = "comma list of delete (re-encode without the word), zero (its word embedding set to 0), attention (masked out of the softmax), or all", DefaultValueFactory = _ => "delete,zero,attention" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sample, LIME, SHAP and the random baseline (default 0)" };
        var limeRuns = new Option<int>("--lime-runs") { Description = "LIME runs averaged per document", DefaultValueFactory = _ => 5 };
        var limeSamples = new Option<int>("--lime-samples") { Description = "LIME samples per run", DefaultValueFactory = _ => 5000 };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, data, split, docs, methods, removals, seed, limeRuns, limeSamples, threads, device, output })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            var settings = new FaithfulnessSettings
            {
                ModelDirectory = r.GetValue(model)!,
                OutputDirectory = r.GetValue(output)!,
                DataPath = r.GetValue(data),
                Split = r.GetValue(split)!,
                Docs = r.GetValue(docs),
                Methods = r.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Removals = FeatureRemovals.ParseList(r.GetValue(removals)!),
                Seed = r.GetValue(seed),
                LimeRuns = r.GetValue(limeRuns),
                LimeSamples = r.GetValue(limeSamples),
                Device = r.GetValue(device) is { } ds ? new Device(ds) : null,
            };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var (result, files) = FaithfulnessStudy.Run(settings, msg => Console.Error.WriteLine(msg));
            Console.WriteLine($"faithfulness test on {result.Documents.Count} document(s), {result.Methods.Count} method(s), {sw.Elapsed.TotalSeconds:F1} s");
            foreach (var row in result.Summary)
                Console.WriteLine(FormattableString.Invariant($"  {row.Method,-17} {row.Removal,-9} ratio {row.Ratio:F3} [{row.WilsonLow:F3}, {row.WilsonHigh:F3}]  violations {row.Violations}/{row.N}, undecided {row.Undecided}"));
            Console.WriteLine("wrote:");
            foreach (var f in files) Console.WriteLine("  " + f);
            return 0;
        });
        return cmd;
    }
}
