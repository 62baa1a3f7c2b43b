#:project ../src/AttnXai.Model/AttnXai.Model.csproj
#:property PublishAot=false
// Seed study: the spread of test accuracy over training runs that differ only in their seed.
// Train the runs first, e.g. for s in 42 43 44; do ./attnxai train --out runs/paper-model-seed$s --seed $s; done
// Usage (repo root): dotnet run experiments/seed_study.cs -- OUT.csv MODEL_DIR [MODEL_DIR ...]
// Reads each folder's metrics.json (written by attnxai train) and prints one row per run, then mean, standard
// deviation, min and max, and how many runs reach the authors' 80.19 % and the 80.2 % bar.
using System.Globalization;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;

if (args.Length < 2) { Console.Error.WriteLine("usage: dotnet run experiments/seed_study.cs -- OUT.csv MODEL_DIR [MODEL_DIR ...]"); return 1; }
var table = new CsvTable("model", "seed", "best_epoch", "validation_accuracy", "test_accuracy", "test_count", "training_seconds", "threads");
var accuracies = new List<double>();
foreach (var dir in args.Skip(1))
{
    var metricsPath = Path.Combine(dir, "metrics.json");
    var configPath = Path.Combine(dir, "config.json");
    if (!File.Exists(metricsPath)) { Console.Error.WriteLine($"error: {metricsPath}: no metrics.json (is this a folder written by attnxai train?)"); return 1; }
    var metrics = JsonNode.Parse(File.ReadAllText(metricsPath))!;
    var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath)) : null;
    var seed = config?["seed"]?.ToString() ?? "";
    double test = metrics["test_accuracy"]?.GetValue<double>()
        ?? throw new InvalidDataException($"{metricsPath}: no test_accuracy (was the run trained with a test split?)");
    accuracies.Add(test);
    table.Add(dir, seed, metrics["best_epoch"]?.GetValue<int>(), metrics["validation_accuracy"]?.GetValue<double>(), test,
        metrics["test_count"]?.GetValue<int>(), metrics["training_seconds"]?.GetValue<double>(), metrics["threads"]?.GetValue<int>());
    Console.WriteLine($"{dir,-40} seed {seed,-4} best epoch {metrics["best_epoch"],-3} val {100 * metrics["validation_accuracy"]!.GetValue<double>():F2} %  test {100 * test:F2} %");
}
table.Write(args[0]);
double mean = accuracies.Average();
double sd = accuracies.Count > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Count - 1)) : double.NaN;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{accuracies.Count} runs: test accuracy mean {100 * mean:F2} %, sd {100 * sd:F2} points, min {100 * accuracies.Min():F2} %, max {100 * accuracies.Max():F2} %; " +
    $"{accuracies.Count(a => a >= 0.8019)} reach the authors' 80.19 %, {accuracies.Count(a => a >= 0.802)} reach 80.2 %"));
Console.WriteLine($"wrote {Path.GetFullPath(args[0])}");
return 0;
