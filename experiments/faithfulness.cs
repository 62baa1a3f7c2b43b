#:project ../src/AttnXai.Faithfulness/AttnXai.Faithfulness.csproj
#:property PublishAot=false
// The faithfulness violation test (Liu et al., ICML 2022) over the same library code as `attnxai faithfulness`.
// Usage (repo root): dotnet run experiments/faithfulness.cs -- MODEL_DIR [OUT_DIR] [DOCS] [DATA]
// Copy this file and change the settings below (methods, removals, seed, LIME runs) to explore other set-ups.
using AttnXai.Explain.Explainers;
using AttnXai.Faithfulness;

var modelDir = args.Length > 0 ? args[0] : "runs/paper-model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/faithfulness";
int docs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100;
var settings = new FaithfulnessSettings
{
    ModelDirectory = modelDir,
    OutputDirectory = outDir,
    DataPath = args.Length > 3 ? args[3] : null,
    Docs = docs,
    Methods = ["all"],
    Removals = FeatureRemovals.All,
    Seed = 0,
    Explainers = new ExplainerSettings { LimeRuns = 5 },
};
var (result, erasure, files) = FaithfulnessStudy.Run(settings, Console.Error.WriteLine);
Console.WriteLine($"{result.Documents.Count} documents; violation ratio per method (mean over the removals):");
foreach (var row in result.Summary.Where(r => r.Removal == ViolationTest.MeanRemoval))
    Console.WriteLine(FormattableString.Invariant($"  {row.Method,-17} {row.Ratio:F3} [{row.WilsonLow:F3}, {row.WilsonHigh:F3}]"));
Console.WriteLine("erasure curves, AOPC of comprehensiveness (higher: more faithful) and sufficiency (lower):");
var aopc = Erasure.Summarise(erasure).Where(r => r.Fraction == "aopc").ToList();
foreach (var m in result.Methods)
    Console.WriteLine(FormattableString.Invariant($"  {m,-17} {aopc.Single(r => r.Method == m && r.Measure == "comprehensiveness").Mean:F3}  {aopc.Single(r => r.Method == m && r.Measure == "sufficiency").Mean:F3}"));
Console.WriteLine($"wrote {string.Join(", ", files)}");
