#:project ../src/AttnXai.Reproduce/AttnXai.Reproduce.csproj
#:property PublishAot=false
// Figure 1: the seven explainers on one sentence, as highlighted text (figure1.svg + figure1.csv).
// Usage (repo root): dotnet run experiments/figure1.cs -- MODEL_DIR [OUT_DIR] ["your sentence"]
// Copy this file and change the settings below to explore other sentences or LIME settings.
using AttnXai.Reproduce;
using AttnXai.Explain.Perturbation;

var modelDir = args.Length > 0 ? args[0] : "runs/quick/model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/figure1";
var settings = new ReproduceSettings { LimeRuns = 5, LimeSamples = 5000 };
if (args.Length > 2) settings = settings with { Sentence = args[2] };
Directory.CreateDirectory(outDir);
using var bundle = ModelBundle.Load(modelDir);
using var ctx = new ReproduceContext(bundle, [], settings);
var fig = Figures.Figure1(ctx, outDir);
foreach (var f in fig.Findings) Console.WriteLine(f);
Console.WriteLine($"wrote {string.Join(", ", fig.SvgFiles)} and {fig.CsvFile} in {Path.GetFullPath(outDir)}");
