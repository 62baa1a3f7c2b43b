using AttnXai.Model;
using System.CommandLine;
using AttnXai.Explain.Explainers;
using System.Globalization;
using AttnXai.Sets.Benchmark;
using AttnXai.Sets.Tasks;
using AttnXai.Sets.Training;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai sets`: ground-truth set benchmarks (synthetic multiple-instance tasks with known key instances): trains the
/// attention classifier several times per task, scores every explainer's token scores against the keys (AUROC, AUPRC),
/// flags silent failures and ensembles over seeds. Progress goes to stderr, the summary table to stdout.
/// </summary>
public static class SetsCommand
{
    public static Command Create()
    {
        var d = new SetBenchmarkSettings();
        var b = d.Bag;
        var m = d.Model;
        var cmd = new Command("sets", "Ground-truth set benchmarks: do explanations find the known key instances of synthetic multiple-instance tasks?");
        var tasks = new Option<string>("--tasks") { Description = $"comma-separated tasks ({string.Join(", ", SetTask.All.Select(t => t.Name))}) or all", DefaultValueFactory = _ => "all" };
        var seeds = new Option<int>("--seeds") { Description = "models per task (seeds --seed .. --seed + M - 1), ensembled", DefaultValueFactory = _ => d.Seeds }.AtMost(Opt.MaxSeeds);
        var bags = new Option<int>("--bags") { Description = "test bags explained and scored per model", DefaultValueFactory = _ => d.Bags }.AtMost(Opt.MaxBags);
        var testBags = new Option<int>("--test-bags") { Description = "test bags for accuracy (the first --bags are explained)", DefaultValueFactory = _ => d.TestBags }.AtMost(Opt.MaxBags);
        var trainBags = new Option<int>("--train-bags") { Description = "training bags per task", DefaultValueFactory = _ => d.TrainBags }.AtMost(Opt.MaxBags);
        var valBags = new Option<int>("--val-bags") { Description = "validation bags per task (best epoch)", DefaultValueFactory = _ => d.ValidationBags }.AtMost(Opt.MaxBags);
        var methods = new Option<string>("--methods") { Description = "comma-separated explainers (alpha-avg, alpha-max, G-avg, G-l1, G-l2, GxI, IG, lime, occlusion, shap, NAME-delete/-unk), random, or all", DefaultValueFactory = _ => "all" };
        var output = new Option<string>("--out") { Description = "output folder (CSV tables, summary.json, report.html)", DefaultValueFactory = _ => "runs/sets" };
        var seed = new Option<long>("--seed") { Description = "seed of the bags, the models and the sampling explainers", DefaultValueFactory = _ => d.Seed };
        var threads = CliRunner.ThreadsOption($"libtorch threads, at least 1 (default 1: the models are tiny; more than the {Environment.ProcessorCount} cores is capped)");
        var quick = new Option<bool>("--quick") { Description = "smoke preset: 2 seeds, 600/150/200 train/validation/test bags, 20 explained, 5 epochs, LIME 1 run of 1000 samples, SHAP 512 samples, IG 32 steps (options still override)" };
        var minTokens = new Option<int>("--min-tokens") { Description = "fewest tokens per bag", DefaultValueFactory = _ => b.MinTokens }.AtMost(Opt.MaxLength);
        var maxTokens = new Option<int>("--max-tokens") { Description = "most tokens per bag (at most --length - 1)", DefaultValueFactory = _ => b.MaxTokens }.AtMost(Opt.MaxLength);
        var length = new Option<int>("--length") { Description = "L: model positions, [CLS] included", DefaultValueFactory = _ => b.Length }.AtMost(Opt.MaxLength);
        var fillers = new Option<int>("--fillers") { Description = "filler words in the vocabulary", DefaultValueFactory = _ => b.Fillers }.AtMost(Opt.MaxVocabulary);
        var maxKey = new Option<int>("--max-key-count") { Description = "a present key word occurs 1..this many times", DefaultValueFactory = _ => b.MaxKeyCount }.AtMost(Opt.MaxLength);
        var countK = new Option<int>("--count-k") { Description = "k of the count task (positive iff A occurs at least k times)", DefaultValueFactory = _ => b.CountK }.AtMost(Opt.MaxLength);
        var embed = new Option<int>("--embed-dim") { Description = "d_e", DefaultValueFactory = _ => m.EmbedDim }.AtMost(Opt.MaxDimension);
        var att = new Option<int>("--att-dim") { Description = "d_att", DefaultValueFactory = _ => m.AttDim }.AtMost(Opt.MaxDimension);
        var outDim = new Option<int>("--out-dim") { Description = "d_out", DefaultValueFactory = _ => m.OutDim }.AtMost(Opt.MaxDimension);
        var heads = new Option<int>("--heads") { Description = "K", DefaultValueFactory = _ => m.Heads }.AtMost(Opt.MaxHeads);
        var epochs = new Option<int>("--epochs") { Description = "training epochs (best validation epoch kept)", DefaultValueFactory = _ => m.Epochs }.AtMost(Opt.MaxEpochs);
        var batch = new Option<int>("--batch-size") { Description = "mini-batch size", DefaultValueFactory = _ => m.BatchSize }.AtMost(Opt.MaxBatch);
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => m.LearningRate };
        var position = new Option<bool>("--position-encoding") { Description = "keep the sinusoidal position encoding (default off: the model is a set function)" };
        var noMask = new Option<bool>("--no-padding-mask") { Description = "let padding take part in the softmax, as the paper's model does (default: masked)" };
        var accThreshold = new Option<double>("--accuracy-threshold") { Description = "silent failure: test accuracy at least this ...", DefaultValueFactory = _ => d.AccuracyThreshold };
        var aurocThreshold = new Option<double>("--auroc-threshold") { Description = "... while the method's AUROC is below this", DefaultValueFactory = _ => d.AurocThreshold };
        var explainerOptions = new ExplainerOptions(d.Explainers, SetBenchmarkSettings.Quick.Explainers,
            [LimeExplainer.SamplesSetting, LimeExplainer.RunsSetting, KernelShapExplainer.SamplesSetting, IntegratedGradientsExplainer.StepsSetting]);
        foreach (var o in new Option[] { quick, tasks, seeds, bags, testBags, trainBags, valBags, methods, output, seed, threads, minTokens, maxTokens, length, fillers, maxKey, countK,
                     embed, att, outDim, heads, epochs, batch, lr, position, noMask, accThreshold, aurocThreshold }.Concat(explainerOptions.All))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var p = r.GetValue(quick) ? SetBenchmarkSettings.Quick : d;
            T V<T>(Option<T> o, T preset) => r.Given(o) ? r.GetValue(o)! : preset;
            var settings = new SetBenchmarkSettings
            {
                Tasks = Opt.Parse("--tasks", () => SetTask.Parse(r.GetValue(tasks)!)),
                Seeds = V(seeds, p.Seeds),
                Bags = V(bags, p.Bags),
                TestBags = V(testBags, p.TestBags),
                TrainBags = V(trainBags, p.TrainBags),
                ValidationBags = V(valBags, p.ValidationBags),
                Methods = [r.GetValue(methods)!],
                Seed = r.GetValue(seed),
                AccuracyThreshold = r.GetValue(accThreshold),
                AurocThreshold = r.GetValue(aurocThreshold),
                Explainers = ExplainerOptions.Read(r, p.Explainers),
                Bag = new BagOptions
                {
                    MinTokens = r.GetValue(minTokens), MaxTokens = r.GetValue(maxTokens), Length = r.GetValue(length), Fillers = r.GetValue(fillers),
                    MaxKeyCount = r.GetValue(maxKey), CountK = r.GetValue(countK),
                },
                Model = new SetModelOptions
                {
                    EmbedDim = r.GetValue(embed), AttDim = r.GetValue(att), OutDim = r.GetValue(outDim), Heads = r.GetValue(heads),
                    Epochs = V(epochs, p.Model.Epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                    PositionEncoding = r.GetValue(position), PaddingMask = !r.GetValue(noMask),
                },
            }.Validate();
            // The bags of a task are held at once (ids and masks of L positions each), a model is trained on them, and
            // a LIME or SHAP run holds its samples' design matrix (samples x distinct words, float64).
            var sizing = new Option[] { trainBags, valBags, testBags, length, maxTokens, explainerOptions[LimeExplainer.SamplesSetting], explainerOptions[KernelShapExplainer.SamplesSetting], embed, att, outDim, heads, batch, fillers }
                .Where(o => r.GetResult(o) is { Implicit: false }).Select(o => $"{o.Name} ({r.GetResult(o)!.Tokens.FirstOrDefault()?.Value})").ToList();
            var bag = settings.Bag;
            double bytes = 9.0 * ((double)settings.TrainBags + settings.ValidationBags + settings.TestBags) * bag.Length
                + MemoryEstimate.TrainingBytes(new ModelConfig(bag.Fillers + 16, settings.Model.EmbedDim, settings.Model.AttDim, settings.Model.OutDim,
                    settings.Model.Heads, bag.Length), settings.Model.BatchSize)
                + 8.0 * Math.Max(settings.Explainers.LimeSamples, settings.Explainers.ShapSamples) * bag.MaxTokens;
            MemoryEstimate.Check(bytes, "the benchmark (its bags, a model's training, a LIME or SHAP run)", sizing);
            var dir = Output.Folder(r.GetValue(output)!);
            CliRunner.ApplyThreads(r.GetValue(threads), fallback: 1);
            return Run(settings, dir);
        });
        return cmd;
    }

    private static int Run(SetBenchmarkSettings settings, string output)
    {
        var inv = CultureInfo.InvariantCulture;
        var dir = output;
        Console.Error.WriteLine($"sets: {settings.Tasks.Count} task(s) x {settings.Seeds} model(s), {settings.MethodNames().Count} methods on {settings.Bags} bags each; {torch.get_num_threads()} libtorch thread(s)");
        var result = SetBenchmark.Run(settings, line => Console.Error.WriteLine("  " + line));
        SetOutputs.Write(dir, result);
        Console.Write(SetOutputs.TextSummary(result));
        Console.WriteLine(string.Create(inv, $"\nwall time {result.Seconds:F1} s; wrote {string.Join(", ", SetOutputs.Files)} in {dir}"));
        return 0;
    }
}
