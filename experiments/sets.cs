#:project ../src/AttnXai.Sets/AttnXai.Sets.csproj
#:property PublishAot=false
// Ground-truth set benchmarks: do explanations find the key instances of synthetic multiple-instance tasks?
// Usage (repo root): dotnet run experiments/sets.cs -- [OUT_DIR] [SEEDS]
// The same library code as `attnxai sets`; copy this file and change the settings below (tasks, bag sizes, model
// sizes, position encoding, thresholds...) to explore. Writes results.csv, ensemble.csv, models.csv, bags.csv,
// summary.json and report.html.
using AttnXai.Sets.Benchmark;
using AttnXai.Sets.Tasks;
using AttnXai.Sets.Training;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

var outDir = args.Length > 0 ? args[0] : "runs/experiments/sets";
int seeds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
torch.set_num_threads(1); // tiny models: one thread is as fast and leaves the other cores alone

var settings = new SetBenchmarkSettings
{
    Tasks = SetTask.All,
    Seeds = seeds,
    Bags = 100,
    Methods = ["all"],
    Bag = new BagOptions { MinTokens = 20, MaxTokens = 60, Length = 64, CountK = 3 },
    Model = new SetModelOptions { EmbedDim = 32, Heads = 2, Epochs = 10, LearningRate = 1e-3, PositionEncoding = false },
}.Validate();

var result = SetBenchmark.Run(settings, line => Console.Error.WriteLine("  " + line));
SetOutputs.Write(outDir, result);
Console.Write(SetOutputs.TextSummary(result));
Console.WriteLine($"\nwall time {result.Seconds:F1} s; wrote {string.Join(", ", SetOutputs.Files)} in {Path.GetFullPath(outDir)}");
