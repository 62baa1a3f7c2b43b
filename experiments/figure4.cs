#:project ../src/AttnXai.Reproduce/AttnXai.Reproduce.csproj
#:property PublishAot=false
// Figure 4: LIME (5 runs, n = 5000) against Theorem 5.1 on aclImdb/test/neg/9657_4.txt, both removal modes.
// Usage (repo root): dotnet run experiments/figure4.cs -- MODEL_DIR [OUT_DIR] [IMDB_PATH]
using AttnXai.Data.Imdb;
using AttnXai.Reproduce;
using AttnXai.Explain.Perturbation;

var modelDir = args.Length > 0 ? args[0] : "runs/quick/model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/figure4";
var data = Reproduction.LocateData(args.Length > 2 ? args[2] : null);
var settings = new ReproduceSettings { LimeRuns = 5, LimeSamples = 5000, Figure4Review = "test/neg/9657_4.txt" };
Directory.CreateDirectory(outDir);
var test = ImdbReader.Read(data).Test;
using var bundle = ModelBundle.Load(modelDir);
using var ctx = new ReproduceContext(bundle, test, settings);
var fig = Figures.Figure4(ctx, outDir);
foreach (var f in fig.Findings) Console.WriteLine(f);
Console.WriteLine($"wrote {string.Join(", ", fig.SvgFiles)} and {fig.CsvFile} in {Path.GetFullPath(outDir)}");
