#:project ../src/AttnXai.Reproduce/AttnXai.Reproduce.csproj
#:property PublishAot=false
// The LIME study: per test review, 5 LIME runs, Theorem 5.1 and the large-sample limit, agreement measures, summary,
// histograms, binned tables. Resumable (parts/ chunks). Also the gradient study when the 4th argument is "gradients".
// Usage (repo root): dotnet run experiments/study_lime.cs -- MODEL_DIR [OUT_DIR] [DOCS] [delete|unk|gradients]
using System.Diagnostics;
using AttnXai.Data.Imdb;
using AttnXai.Reproduce;
using AttnXai.Explain.Perturbation;

var modelDir = args.Length > 0 ? args[0] : "runs/quick/model";
var outDir = args.Length > 1 ? args[1] : "runs/experiments/study";
int? docs = args.Length > 2 ? int.Parse(args[2]) : 200;
var what = args.Length > 3 ? args[3] : "delete";
var settings = new ReproduceSettings { Docs = docs, LimeRuns = 5, LimeSamples = 5000, LimitSamples = 50_000 };
Directory.CreateDirectory(outDir);
var test = ImdbReader.Read(Reproduction.LocateData(null)).Test;
using var bundle = ModelBundle.Load(modelDir);
using var ctx = new ReproduceContext(bundle, test, settings);
var sw = Stopwatch.StartNew();
void Progress(int done, int total) => Console.Write($"\r{Pipeline.Bar(done, total)} {done}/{total}");
var result = what == "gradients"
    ? Studies.Gradients(ctx, outDir, Progress)
    : Studies.LimeStudy(ctx, what == "unk" ? RemovalMode.ReplaceWithUnk : RemovalMode.Delete, outDir, Progress);
Console.WriteLine();
foreach (var f in result.Findings) Console.WriteLine(f);
Console.WriteLine($"{result.Documents} documents in {sw.Elapsed.TotalSeconds:F1} s; summary: {Path.Combine(outDir, result.SummaryCsv)}");
