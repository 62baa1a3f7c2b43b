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
/// `attnxai bench model`: training throughput of the paper's configuration (AdamW, batch 16, dense embedding of the
/// IMDB vocabulary's size, synthetic ids) and inference throughput at batch 1, 16 and 1,000 of the [CLS]-only forward
/// and of the full-attention forward, measured in the same run, with their ratio.
/// </summary>
public static class ModelBenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("model", "Training and inference throughput of the paper's model ([CLS]-only vs full attention)");
        var steps = new Option<int>("--steps") { Description = "training steps measured (after 10 warm-up steps)", DefaultValueFactory = _ => 300 }.AtLeast(1);
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size (default: the IMDB basic_english vocabulary, 100684)", DefaultValueFactory = _ => 100684 }.AtLeast(2);
        var batches = new Option<string>("--batches") { Description = "inference batch sizes, comma-separated", DefaultValueFactory = _ => "1,16,1000" };
        var seconds = new Option<double>("--seconds") { Description = "minimum measured time per inference case", DefaultValueFactory = _ => 3.0 }.Positive();
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { steps, vocab, batches, seconds, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var sizes = r.GetValue(batches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out var b) && b > 0 ? b : throw new ArgumentException($"--batches: '{s}' is not a positive whole number")).ToArray();
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(new ModelConfig(r.GetValue(vocab)), r.GetValue(steps), sizes, r.GetValue(seconds));
            return 0;
        });
        return cmd;
    }

    public static void Run(ModelConfig config, int steps, int[] batchSizes, double minSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"model: paper configuration, D {config.VocabSize}, d_e {config.EmbedDim}, d_att {config.AttDim}, d_out {config.OutDim}, K {config.Heads}, L {config.Length}; {torch.get_num_threads()} threads; synthetic ids"));
        using var model = new AttentionClassifier(config, 42);
        var rng = new System.Random(1);
        Tensor Ids(int b)
        {
            var ids = new long[b * config.Length];
            for (int i = 0; i < b; i++)
            {
                int words = rng.Next(50, config.Length);
                for (int t = 0; t < config.Length; t++)
                    ids[i * config.Length + t] = t == 0 ? config.ClsId : t <= words ? rng.Next(2, config.VocabSize) : config.UnkId;
            }
            return torch.tensor(ids, [b, config.Length]);
        }

        // Training: AdamW, batch 16, as in the trainer's step.
        using (var optimizer = new AdamW(model.parameters(), 1e-4, weight_decay: 0.01))
        {
            const int B = 16;
            double Train(int n)
            {
                var sw = Stopwatch.StartNew();
                for (int s = 0; s < n; s++)
                {
                    using var scope = torch.NewDisposeScope();
                    var ids = Ids(B);
                    var y = torch.tensor(Enumerable.Range(0, B).Select(i => (long)(i % 2)).ToArray(), [B]);
                    optimizer.zero_grad();
                    var loss = torch.nn.functional.cross_entropy(model.Forward(ids).Logits, y);
                    loss.backward();
                    optimizer.step();
                    loss.ToSingle();
                }
                return sw.Elapsed.TotalSeconds;
            }
            Train(10);
            double t = Train(steps);
            Console.WriteLine(string.Create(inv, $"training (batch {B}, AdamW, {steps} steps): {steps * B / t,10:F1} documents/s  ({1000 * t / steps:F1} ms/step)"));
        }

        Console.WriteLine(string.Create(inv, $"{"inference batch",-16} {"[CLS]-only docs/s",18} {"full attention docs/s",22} {"speed-up",9}"));
        model.eval();
        using var noGrad = torch.no_grad();
        foreach (int b in batchSizes)
        {
            using var scope = torch.NewDisposeScope();
            var ids = Ids(b);
            double fast = Throughput(() => model.Forward(ids), b, minSeconds);
            double full = Throughput(() => model.ForwardFullAttention(ids), b, minSeconds);
            Console.WriteLine(string.Create(inv, $"{b,-16} {fast,18:F1} {full,22:F1} {fast / full,8:F1}x"));
        }
    }

    /// <summary>Documents per second: one warm-up call, then repeated calls for at least minSeconds (at least 3 calls).</summary>
    private static double Throughput(Func<ForwardResult> forward, int batch, double minSeconds)
    {
        Touch(forward());
        int calls = 0;
        var sw = Stopwatch.StartNew();
        while (calls < 3 || sw.Elapsed.TotalSeconds < minSeconds)
        {
            Touch(forward());
            calls++;
        }
        return calls * batch / sw.Elapsed.TotalSeconds;
    }

    private static void Touch(ForwardResult r)
    {
        using var scope = torch.NewDisposeScope();
        r.Logits.sum().ToSingle();
        foreach (var t in new[] { r.Logits, r.HeadLogits, r.Attention, r.Query, r.Embedded, r.FullAttention }) t?.Dispose();
    }
}
