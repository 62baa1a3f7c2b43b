using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Model;
using AttnXai.Engine;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench model`: training throughput (AdamW, batch 16, dense embedding of the IMDB vocabulary's size, synthetic
/// ids) and inference throughput. For the paper's model (<c>--arch paper</c>, the default) inference is measured at
/// batch 1, 16 and 1,000 for the [CLS]-only forward and for the full-attention forward in the same run, with their
/// ratio; for the Transformer (<c>--arch transformer --layers N --heads H --dim D</c>) at batch 1, 16 and 64, of the
/// forward that computes the last layer at [CLS] only and of the one that returns every layer's maps, with the time an
/// epoch of 20,000 training reviews takes at the measured training rate, and the ratio of its training step to the
/// paper model's, stepped in alternation in the same run (a yardstick that survives a machine shared with other work).
/// </summary>
public static class ModelBenchCommand
{
    /// <summary>Training reviews per epoch in the paper's split (20,000 train / 5,000 validation).</summary>
    private const int EpochDocuments = 20000;

    public static Command Create()
    {
        var cmd = new Command("model", "Training and inference throughput of the paper's model ([CLS]-only vs full attention) or of the Transformer");
        var arch = new Option<string>("--arch") { Description = "paper (the paper's one-layer model) or transformer", DefaultValueFactory = _ => "paper" };
        var steps = new Option<int?>("--steps") { Description = "training steps measured after 3 warm-up steps (default: 300 for paper, 20 for transformer)" }.AtMost(Opt.MaxSteps);
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size (default: the IMDB basic_english vocabulary, 100684)", DefaultValueFactory = _ => 100684 }.AtMost(Opt.MaxVocabulary);
        var batches = new Option<string?>("--batches") { Description = "inference batch sizes, comma-separated (default: 1,16,1000 for paper, 1,16,64 for transformer)" };
        var seconds = new Option<double>("--seconds") { Description = "minimum measured time per inference case", DefaultValueFactory = _ => 3.0 }.AtMost(3600);
        var defaults = new TransformerConfig(VocabSize: 2);
        var layers = new Option<int?>("--layers") { Description = $"transformer: layers N (default {defaults.Layers})" }.AtMost(Opt.MaxLayers);
        var heads = new Option<int?>("--heads") { Description = $"transformer: heads per layer H (default {defaults.Heads})" }.AtMost(Opt.MaxHeads);
        var dim = new Option<int?>("--dim") { Description = $"transformer: model width d (default {defaults.ModelDim}, the paper's d_e)" }.AtMost(Opt.MaxDimension);
        var headDim = new Option<int?>("--head-dim") { Description = $"transformer: per-head dimension d_h (default {defaults.HeadDim})" }.AtMost(Opt.MaxDimension);
        var ff = new Option<int?>("--ff") { Description = "transformer: feed-forward width d_ff (default 4 d)" }.AtMost(Opt.MaxDimension);
        var mask = new Option<bool>("--mask") { Description = "transformer: with the padding mask" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { arch, steps, vocab, batches, seconds, layers, heads, dim, headDim, ff, mask, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string a = r.GetValue(arch)!;
            bool transformer = a switch
            {
                "paper" => false,
                "transformer" => true,
                _ => throw new UserError($"--arch must be paper or transformer, got '{a}'"),
            };
            if (!transformer)
                foreach (var o in new Option[] { layers, heads, dim, headDim, ff, mask })
                    if (r.GetResult(o) is { Implicit: false })
                        throw new UserError($"{o.Name} applies to --arch transformer only");
            int n = r.GetValue(steps) ?? (transformer ? 20 : 300);
            if (n < 1) throw new UserError($"--steps must be at least 1, got {n}");
            if (r.GetValue(vocab) < 2) throw new UserError($"--vocab must be at least 2, got {r.GetValue(vocab)}");
            if (!(r.GetValue(seconds) >= 0)) throw new UserError($"--seconds must be a non-negative number, got {r.GetValue(seconds)}");
            var sizes = (r.GetValue(batches) ?? (transformer ? "1,16,64" : "1,16,1000"))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : throw new UserError($"--batches: '{s}' is not a positive whole number")).ToArray();
            if (sizes.Length == 0) throw new UserError("--batches lists no batch size");
            if (transformer)
            {
                int d = r.GetValue(dim) ?? defaults.ModelDim;
                var config = defaults with
                {
                    VocabSize = r.GetValue(vocab), ModelDim = d, Heads = r.GetValue(heads) ?? defaults.Heads, HeadDim = r.GetValue(headDim) ?? defaults.HeadDim,
                    Layers = r.GetValue(layers) ?? defaults.Layers, FeedForwardDim = r.GetValue(ff) ?? 4 * d, PaddingMask = r.GetValue(mask),
                };
                Validated(config.Validate);
                CliRunner.ApplyThreads(r.GetValue(threads));
                RunTransformer(config, n, sizes, r.GetValue(seconds));
            }
            else
            {
                CliRunner.ApplyThreads(r.GetValue(threads));
                Run(new ModelConfig(r.GetValue(vocab)), n, sizes, r.GetValue(seconds));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>A configuration's validation error, named in the options' words.</summary>
    private static void Validated(Func<TransformerConfig> validate)
    {
        try { validate(); }
        catch (ArgumentException e) { throw new UserError($"bad transformer size: {e.Message} (--layers, --heads, --dim, --head-dim, --ff)"); }
    }

    public static void Run(ModelConfig config, int steps, int[] batchSizes, double minSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"model: paper configuration, D {config.VocabSize}, d_e {config.EmbedDim}, d_att {config.AttDim}, d_out {config.OutDim}, K {config.Heads}, L {config.Length}; {torch.get_num_threads()} threads; synthetic ids"));
        using var model = new AttentionClassifier(config, 42);
        var ids = new SyntheticIds(config.Length, config.VocabSize, config.ClsId, config.UnkId);
        using (var optimizer = new AdamW(model.parameters(), 1e-4, weight_decay: 0.01))
        {
            var step = TrainingStep(model, optimizer, (x, m) => model.Forward(x).Logits, ids, withMask: false);
            double t = MeasureSteps(steps, [step]).Seconds[0];
            Console.WriteLine(string.Create(inv, $"training (batch {TrainBatch}, AdamW, {steps} steps): {steps * TrainBatch / t,10:F1} documents/s  ({1000 * t / steps:F1} ms/step)"));
        }

        Console.WriteLine(string.Create(inv, $"{"inference batch",-16} {"[CLS]-only docs/s",18} {"full attention docs/s",22} {"speed-up",9}"));
        model.eval();
        using var noGrad = torch.no_grad();
        foreach (int b in batchSizes)
        {
            using var scope = torch.NewDisposeScope();
            var (x, _) = ids.Next(b);
            double fast = Throughput(() => model.Forward(x).Logits, b, minSeconds);
            double full = Throughput(() => model.ForwardFullAttention(x).Logits, b, minSeconds);
            Console.WriteLine(string.Create(inv, $"{b,-16} {fast,18:F1} {full,22:F1} {fast / full,8:F1}x"));
        }
    }

    /// <summary>The Transformer's training throughput (training mode, dropout on) with the time of an epoch of 20,000
    /// reviews, then its inference throughput (evaluation mode, no gradients) at each batch size.</summary>
    public static void RunTransformer(TransformerConfig config, int steps, int[] batchSizes, double minSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"model: transformer, D {config.VocabSize}, d {config.ModelDim}, N {config.Layers} layers, H {config.Heads} heads of d_h {config.HeadDim}, d_ff {config.FeedForwardDim}, {config.Norm}-norm, dropout {config.Dropout}, mask {(config.PaddingMask ? "yes" : "no")}, L {config.Length}; {config.ParameterCount:N0} parameters ({config.ParameterCount - (long)config.VocabSize * config.ModelDim:N0} outside the embedding); {torch.get_num_threads()} threads; synthetic ids"));
        using var model = new TransformerClassifier(config, 42);
        var ids = new SyntheticIds(config.Length, config.VocabSize, config.ClsId, config.UnkId);
        // The paper's model, stepped in alternation with the Transformer, is the yardstick: on a machine shared with
        // other work the two rates suffer alike, and their ratio carries over to the paper model's known epoch time.
        using (var paper = new AttentionClassifier(new ModelConfig(config.VocabSize), 42))
        using (var optimizer = new AdamW(model.parameters(), 1e-4, weight_decay: 0.01))
        using (var paperOptimizer = new AdamW(paper.parameters(), 1e-4, weight_decay: 0.01))
        {
            var step = TrainingStep(model, optimizer, (x, m) => model.Forward(x, m).Logits, ids, config.PaddingMask);
            var paperStep = TrainingStep(paper, paperOptimizer, (x, m) => paper.Forward(x).Logits, ids, withMask: false);
            var (seconds, cpu, busy) = MeasureSteps(steps, [step, paperStep]);
            double rate = steps * TrainBatch / seconds[0];
            Console.WriteLine(string.Create(inv, $"training (batch {TrainBatch}, AdamW, {steps} steps): {rate,8:F2} documents/s  ({1000 * seconds[0] / steps:F0} ms/step, CPU {1000 * cpu[0] / steps:F0} ms/step); epoch of {EpochDocuments:N0} reviews: {EpochDocuments / rate / 60:F1} min"));
            Console.WriteLine(string.Create(inv, $"the paper's model, stepped in alternation: {1000 * seconds[1] / steps:F0} ms/step (CPU {1000 * cpu[1] / steps:F0} ms/step); the Transformer's step takes {seconds[0] / seconds[1]:F1}x as long (CPU: {cpu[0] / cpu[1]:F1}x); {busy:F2} cores busy (of {torch.get_num_threads()} threads)"));
        }
        Console.WriteLine(string.Create(inv, $"{"inference batch",-16} {"logits docs/s",14} {"with all maps docs/s",21} {"speed-up",9}"));
        model.eval();
        using var noGrad = torch.no_grad();
        foreach (int b in batchSizes)
        {
            using var scope = torch.NewDisposeScope();
            var (x, m) = ids.Next(b);
            var mask = config.PaddingMask ? m : null;
            double fast = Throughput(() => model.Forward(x, mask).Logits, b, minSeconds);
            double maps = Throughput(() => model.Forward(x, mask, attention: true).Logits, b, minSeconds);
            Console.WriteLine(string.Create(inv, $"{b,-16} {fast,14:F1} {maps,21:F1} {fast / maps,8:F2}x"));
        }
    }

    private const int TrainBatch = 16;

    /// <summary>One training step as the trainer's: a batch of 16, cross-entropy, backward, AdamW.</summary>
    private static Action TrainingStep(nn.Module model, AdamW optimizer, Func<Tensor, Tensor?, Tensor> logits, SyntheticIds ids, bool withMask)
    {
        var y = Enumerable.Range(0, TrainBatch).Select(i => (long)(i % 2)).ToArray();
        model.train();
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            var (x, m) = ids.Next(TrainBatch);
            optimizer.zero_grad();
            var loss = torch.nn.functional.cross_entropy(logits(x, withMask ? m : null), torch.tensor(y, [TrainBatch]));
            loss.backward();
            optimizer.step();
            loss.ToSingle();
        };
    }

    /// <summary>3 warm-up rounds, then <paramref name="steps"/> rounds of one step of each model in turn. Returns each
    /// model's measured wall-clock and CPU seconds (the process's CPU time: with one thread, a measure of the work that
    /// other processes on the machine hardly change) and the CPU time over the wall time (the cores kept busy: below the
    /// thread count when other work competes for the cores).</summary>
    private static (double[] Seconds, double[] CpuSeconds, double Busy) MeasureSteps(int steps, Action[] models)
    {
        for (int s = 0; s < 3; s++) foreach (var step in models) step();
        var seconds = new double[models.Length];
        var cpuSeconds = new double[models.Length];
        var process = Process.GetCurrentProcess();
        var all = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++)
            for (int i = 0; i < models.Length; i++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                models[i]();
                seconds[i] += sw.Elapsed.TotalSeconds;
                process.Refresh();
                cpuSeconds[i] += (process.TotalProcessorTime - cpu0).TotalSeconds;
            }
        return (seconds, cpuSeconds, cpuSeconds.Sum() / all.Elapsed.TotalSeconds);
    }

    /// <summary>Documents per second: one warm-up call, then repeated calls for at least minSeconds (at least 3 calls).</summary>
    private static double Throughput(Func<Tensor> forward, int batch, double minSeconds)
    {
        Touch(forward);
        int calls = 0;
        var sw = Stopwatch.StartNew();
        while (calls < 3 || sw.Elapsed.TotalSeconds < minSeconds)
        {
            Touch(forward);
            calls++;
        }
        return calls * batch / sw.Elapsed.TotalSeconds;
    }

    /// <summary>One forward call whose tensors are all released before the next.</summary>
    private static void Touch(Func<Tensor> forward)
    {
        using var scope = torch.NewDisposeScope();
        forward().sum().ToSingle();
    }

    /// <summary>Batches of synthetic documents: [CLS], 50 to L-1 random words, UNK padding; the mask true at [CLS] and
    /// the words.</summary>
    private sealed class SyntheticIds(int length, int vocab, long cls, long unk)
    {
        private readonly System.Random rng = new(1);

        public (Tensor Ids, Tensor Mask) Next(int b)
        {
            var ids = new long[b * length];
            var mask = new bool[b * length];
            for (int i = 0; i < b; i++)
            {
                int words = rng.Next(Math.Min(50, length - 1), length);
                for (int t = 0; t < length; t++)
                {
                    ids[i * length + t] = t == 0 ? cls : t <= words ? rng.Next(2, vocab) : unk;
                    mask[i * length + t] = t <= words;
                }
            }
            return (torch.tensor(ids, [b, length]), torch.tensor(mask, [b, length]));
        }
    }
}
