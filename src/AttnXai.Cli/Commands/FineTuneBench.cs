using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Model.Pretrained;
using AttnXai.Onnx;
using TorchSharp;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench finetune`: the fine-tuning throughput of all-MiniLM-L6-v2 on the same IMDB training reviews in one
/// run, in documents per second over one epoch (after a warm-up epoch): every batch padded to the length against
/// dynamic padding with length buckets, and with the embeddings and first layers frozen, with and without the cache of
/// their output (whose one-off cost is printed apart).
/// </summary>
public static class FineTuneBench
{
    public static Command Create()
    {
        var cmd = new Command("finetune", "Fine-tuning throughput on all-MiniLM-L6-v2: fixed vs dynamic padding, frozen layers with and without the cache (documents/s in one run)");
        var docs = new Option<int>("--docs") { Description = "training reviews per epoch (default 96)", DefaultValueFactory = _ => 96 }.Range(2, 100_000);
        var length = new Option<int>("--max-length") { Description = "positions per review (default 256)", DefaultValueFactory = _ => 256 }.Between(8, 512);
        var batch = new Option<int>("--batch-size") { Description = "documents per step (default 16)", DefaultValueFactory = _ => 16 }.Range(1, 1024);
        var frozen = new Option<int>("--frozen-layers") { Description = "K of layers:K in the frozen rows (default 2)", DefaultValueFactory = _ => 2 }.Range(0, 6);
        var data = new Option<string?>("--data") { Description = "IMDB (folder or archive; default ../shared/data when present)" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { docs, length, batch, frozen, data, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(r.GetValue(docs), r.GetValue(length), r.GetValue(batch), r.GetValue(frozen), r.GetValue(data));
            return 0;
        });
        return cmd;
    }

    private static void Run(int count, int length, int batch, int frozen, string? dataPath)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(CpuInfo.Describe());
        var checkpoint = MiniLmCheckpoint.Ensure();
        var path = dataPath ?? AttnXai.Common.IO.RepoPaths.SharedImdbArchive()
            ?? throw new FileNotFoundException("--data: no IMDB data found (give --data DIR or archive)");
        var location = DataLocator.Probe(path, DataOrigin.Explicit) ?? throw new FileNotFoundException($"--data: no IMDB data at {Path.GetFullPath(path)}", path);
        var imdb = ImdbReader.Read(location.Path);
        // Every 25,000 / count-th training review: both labels, the corpus's spread of lengths.
        int stride = Math.Max(1, imdb.Train.Count / count);
        var train = imdb.Train.Where((_, i) => i % stride == 0).Take(count).Select(x => new LabelledDocument(x.Text, x.Label, x.RelativePath)).ToList();
        var validation = train.Take(2).ToList();
        var labels = new LabelMap(["neg", "pos"]);
        Console.WriteLine(string.Create(inv, $"model: all-MiniLM-L6-v2, {train.Count} training reviews at {length} tokens, batch {batch}, {torch.get_num_threads()} threads; one timed epoch after a warm-up epoch"));
        Console.WriteLine("| setting | documents/s | relative to the first row | one-off cache (s) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        double? first = null;
        foreach (var (name, options) in new (string, FineTuneOptions)[]
        {
            ("freeze none, fixed padding", new FineTuneOptions { FrozenLayers = -1, DynamicPadding = false, Bucketing = false }),
            ("freeze none, dynamic padding + buckets", new FineTuneOptions { FrozenLayers = -1 }),
            ($"freeze layers:{frozen}, dynamic padding + buckets, no cache", new FineTuneOptions { FrozenLayers = frozen, CacheFrozen = false }),
            ($"freeze layers:{frozen}, dynamic padding + buckets, cached", new FineTuneOptions { FrozenLayers = frozen }),
        })
        {
            var o = options with { Length = length, BatchSize = batch, Epochs = 1, Warmup = 0, SaveEvery = 1_000_000 };
            double seconds = 0, cache = 0;
            for (int round = 0; round < 2; round++)
            {
                var dir = Path.Combine(Path.GetTempPath(), $"attnxai-bench-finetune-{Environment.ProcessId}-{round}");
                try
                {
                    Stopwatch? clock = null;
                    var outcome = FineTuning.Run(checkpoint, dir, train, validation, [], labels, o,
                        hooks: new FineTuning.Hooks(BeforeSteps: () => clock = Stopwatch.StartNew(), AfterStep: (step, total) => { if (step == total) clock!.Stop(); }));
                    seconds = clock!.Elapsed.TotalSeconds;
                    cache = outcome.FrozenCacheSeconds;
                }
                finally
                {
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                }
            }
            double rate = train.Count / seconds;
            first ??= rate;
            Console.WriteLine(string.Create(inv, $"| {name} | {rate:F1} | {rate / first.Value:F2} | {(o.FrozenLayers >= 0 && o.CacheFrozen ? cache.ToString("F1", inv) : "")} |"));
        }
    }
}
