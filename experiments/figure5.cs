#:project ../src/AttnXai.Reproduce/AttnXai.Reproduce.csproj
#:property PublishAot=false
// Figure 5: Theorem 4.1 (authors' form) vs autograd gradients on the sentence, two heatmaps, and the numeric check.
// Usage (repo root): dotnet run experiments/figure5.cs -- MODEL_DIR [OUT_DIR] ["your sentence"]
using AttnXai.Reproduce;

var modelDir = args.Length > 0 ? args[0] : "runs/quick/model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/figure5";
var settings = new ReproduceSettings { Figure5Columns = 80 };
if (args.Length > 2) settings = settings with { Sentence = args[2] };
Directory.CreateDirectory(outDir);
using var bundle = ModelBundle.Load(modelDir);
using var ctx = new ReproduceContext(bundle, [], settings);
var fig = Figures.Figure5(ctx, outDir);
foreach (var f in fig.Findings) Console.WriteLine(f);
Console.WriteLine($"wrote {string.Join(", ", fig.SvgFiles)} and {fig.CsvFile} in {Path.GetFullPath(outDir)}");
