#:project ../src/AttnXai.Shortcuts/AttnXai.Shortcuts.csproj
#:property PublishAot=false
// Combinatorial shortcuts (Bai et al., KDD 2021): k label-free tokens inserted into every IMDB review; the paper's
// model trained with them and a control without; accuracy with the tokens masked / deleted, attention on them per
// class, what the explainers see. The same library code as `attnxai shortcuts`.
// Usage (repo root): dotnet run experiments/shortcuts.cs -- [OUT_DIR] [DATA] [quick|paper]
// Copy this file and change the settings below (tokens, position, recipe, methods) to explore.
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Study;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

var outDir = args.Length > 0 ? args[0] : "runs/experiments/shortcuts";
string? data = args.Length > 1 ? args[1] : null;
bool quick = args.Length <= 2 || args[2] != "paper";
torch.set_num_threads(1);
var settings = new ShortcutSettings
{
    DataPath = data,
    OutDir = outDir,
    Insertion = new InsertionSpec { Count = 4, At = InsertAt.Start },
    Recipe = quick ? TrainingRecipe.Quick : TrainingRecipe.Paper,
    RecipeName = quick ? "quick" : "paper",
    Docs = quick ? 100 : 300,
};
ShortcutResult result;
try
{
    result = ShortcutStudy.Run(settings, line => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {line}"));
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or System.Runtime.InteropServices.ExternalException or TorchUnavailableException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
foreach (var a in result.Accuracy) Console.WriteLine($"{a.Model,-9} {a.Condition,-9} accuracy {a.Accuracy:P2}");
foreach (var line in result.Reading) Console.WriteLine(line);
Console.WriteLine($"wrote {ShortcutStudy.ReportHtml} and the CSVs in {Path.GetFullPath(outDir)}");
return 0;
