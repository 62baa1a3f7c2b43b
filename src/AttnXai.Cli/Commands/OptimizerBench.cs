using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Model;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench optimizer`: AttnXai's AdamW step (<see cref="AdamW"/>, the one the trainer uses) against TorchSharp's
/// <c>torch.optim.AdamW</c> on the paper's model (dense embedding of the IMDB vocabulary's size, 13 M parameters).
/// Two copies of the model start from the same seed; in every step one batch's gradients are computed on the first copy
/// and copied to the second, so both optimizers see the same gradients; then each optimizer steps its copy, the order
/// alternating from step to step, and only the step is timed. Prints the medians, their ratio, and how far the two
/// copies' parameters have drifted apart (TorchSharp updates the first moment with mul_ and add_, PyTorch and AttnXai
/// with lerp_, so the last bits may differ).
/// </summary>
public static class OptimizerBench
{
    public static Command Create()
    {
        var cmd = new Command("optimizer", "AttnXai's AdamW step against TorchSharp's torch.optim.AdamW on the paper's model");
        var steps = new Option<int>("--steps") { Description = "optimizer steps measured per optimizer (after 3 warm-up steps)", DefaultValueFactory = _ => 40 }.AtMost(Opt.MaxSteps);
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size (default: the IMDB basic_english vocabulary, 100684)", DefaultValueFactory = _ => 100684 }.AtMost(Opt.MaxVocabulary);
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { steps, vocab, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            int n = r.GetValue(steps);
            if (n < 1) throw new UserError($"--steps must be at least 1, got {n}");
            if (r.GetValue(vocab) < 2) throw new UserError($"--vocab must be at least 2, got {r.GetValue(vocab)}");
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(new ModelConfig(r.GetValue(vocab)), n);
            return 0;
        });
        return cmd;
    }

    public static void Run(ModelConfig config, int steps)
    {
        var inv = CultureInfo.InvariantCulture;
        const double lr = 1e-4, weightDecay = 0.01;
        using var own = new AttentionClassifier(config, 42);
        using var theirs = new AttentionClassifier(config, 42);
        var ownParams = own.parameters().ToArray();
        var theirParams = theirs.parameters().ToArray();
        long count = ownParams.Sum(p => p.numel());
        Console.WriteLine(string.Create(inv, $"model: paper configuration, D {config.VocabSize}, {count:N0} parameters in {ownParams.Length} tensors; AdamW lr {lr:G}, weight decay {weightDecay:G}, batch 16; {torch.get_num_threads()} threads"));
        using var ownOptimizer = new AdamW(ownParams, lr, weight_decay: weightDecay);
        using var theirOptimizer = torch.optim.AdamW(theirParams, lr, 0.9, 0.999, 1e-8, weightDecay);
        var rng = new System.Random(1);
        var y = torch.tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 2)).ToArray(), [16]);
        var ownTimes = new List<double>();
        var theirTimes = new List<double>();
        for (int s = 0; s < steps + 3; s++)
        {
            using var scope = torch.NewDisposeScope();
            var ids = new long[16 * config.Length];
            for (int i = 0; i < ids.Length; i++) ids[i] = i % config.Length == 0 ? config.ClsId : rng.Next(2, config.VocabSize);
            ownOptimizer.zero_grad();
            theirOptimizer.zero_grad();
            torch.nn.functional.cross_entropy(own.Forward(torch.tensor(ids, [16, config.Length])).Logits, y).backward();
            using (torch.no_grad())
                for (int k = 0; k < ownParams.Length; k++)
                    theirParams[k].grad = ownParams[k].grad!.clone();
            // Alternate which optimizer steps first, so neither always finds the caches warm.
            double a = 0, b = 0;
            if (s % 2 == 0) { a = Time(ownOptimizer.step); b = Time(() => theirOptimizer.step()); }
            else { b = Time(() => theirOptimizer.step()); a = Time(ownOptimizer.step); }
            if (s >= 3) { ownTimes.Add(a); theirTimes.Add(b); }
        }
        double drift = 0, largest = 0;
        using (torch.no_grad())
            for (int k = 0; k < ownParams.Length; k++)
            {
                using var scope = torch.NewDisposeScope();
                drift = Math.Max(drift, (ownParams[k] - theirParams[k]).abs().max().ToDouble());
                largest = Math.Max(largest, ownParams[k].abs().max().ToDouble());
            }
        double ownMs = 1000 * Median(ownTimes), theirMs = 1000 * Median(theirTimes);
        Console.WriteLine(string.Create(inv, $"{"optimizer",-36} {"step (ms, median)",18} {"of " + steps + " steps",12}"));
        Console.WriteLine(string.Create(inv, $"{"AttnXai Optim.AdamW (trainer)",-36} {ownMs,18:F2} {1000 * ownTimes.Sum(),12:F0}"));
        Console.WriteLine(string.Create(inv, $"{"TorchSharp torch.optim.AdamW",-36} {theirMs,18:F2} {1000 * theirTimes.Sum(),12:F0}"));
        Console.WriteLine(string.Create(inv, $"TorchSharp's step takes {theirMs / ownMs:F2}x AttnXai's; parameters after {steps + 3} steps differ by at most {drift:E2} (largest |parameter| {largest:F3})"));
    }

    private static double Time(Action step)
    {
        var sw = Stopwatch.StartNew();
        step();
        return sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
