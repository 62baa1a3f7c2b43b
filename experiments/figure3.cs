#:project ../src/AttnXai.Reproduce/AttnXai.Reproduce.csproj
#:property PublishAot=false
// Figure 3: each head's attention matrix on the sentence (top-left block: [CLS] and the words), figure3.svg + .csv.
// Usage (repo root): dotnet run experiments/figure3.cs -- MODEL_DIR [OUT_DIR] ["your sentence"]
using AttnXai.Reproduce;

var modelDir = args.Length > 0 ? args[0] : "runs/quick/model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/figure3";
var settings = new ReproduceSettings();
if (args.Length > 2) settings = settings with { Sentence = args[2] };
Directory.CreateDirectory(outDir);
using var bundle = ModelBundle.Load(modelDir);
using var ctx = new ReproduceContext(bundle, [], settings);
var fig = Figures.Figure3(ctx, outDir);
Console.WriteLine($"wrote {string.Join(", ", fig.SvgFiles)} and {fig.CsvFile} in {Path.GetFullPath(outDir)}");
