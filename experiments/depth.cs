#:project ../src/AttnXai.Depth/AttnXai.Depth.csproj
#:property PublishAot=false
// The depth study (src/AttnXai.Depth/README.md) over the same library code as `attnxai depth`: the paper's model and
// Transformers of 1, 2, 4 and 6 layers, the same 50 seeded IMDB test documents, agreement between explainers,
// violation ratios, erasure curves and the theorems on the last layer. Resumable: rerun the same command to continue.
// Usage (repo root): dotnet run experiments/depth.cs -- OUT_DIR [DATA] [NAME=MODEL_DIR ...]
//   NAME=MODEL_DIR reuses a trained model instead of training it, e.g. paper=runs/paper-model transformer-2=runs/t2.
// Copy this file and change the settings below (depths, methods, documents, LIME samples) to explore other set-ups.
using AttnXai.Depth;
using AttnXai.Explain.Perturbation;

var outDir = args.Length > 0 ? args[0] : "runs/experiments/depth";
var data = args.Length > 1 && !args[1].Contains('=') ? args[1] : null;
var reused = args.Skip(data is null ? 1 : 2).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
var models = new List<DepthModel> { DepthModel.Paper() };
models.AddRange(new[] { 1, 2, 4, 6 }.Select(n => DepthModel.Transformer(n)));
foreach (var (name, dir) in reused)
{
    var m = DepthModel.Parse(name, dir);
    int i = models.FindIndex(x => x.Name == m.Name);
    if (i < 0) throw new ArgumentException($"{name} is not one of the study's models");
    models[i] = m;
}
var settings = new DepthSettings
{
    OutputDirectory = outDir,
    DataPath = data,
    Models = models,
    Docs = 50,
    Seed = 0,
    Methods = DepthSettings.DefaultMethods,
    LimeSamples = 1000,
    IgSteps = 32,
};
new DepthStudy(settings, line => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {line}")).Run();
// The headline table (headline.csv): one line per model.
var (header, rows) = AttnXai.Common.IO.Csv.Parse(File.ReadAllText(Path.Combine(outDir, DepthReport.HeadlineFile)));
Console.WriteLine(string.Join(" | ", header));
foreach (var r in rows) Console.WriteLine(string.Join(" | ", r.Select(c => double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out var v) && c.Contains('.') ? v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : c)));
Console.WriteLine($"report: {Path.GetFullPath(Path.Combine(outDir, DepthReport.ReportFile))}");
