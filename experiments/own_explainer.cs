#:project ../src/AttnXai.Faithfulness/AttnXai.Faithfulness.csproj
#:property PublishAot=false
// Your own explainer: a new method in one class at the end of this file (about 30 lines), found by its name without
// any registration, run next to LIME and a gradient on one sentence and on a seeded sample of the test part (pairwise
// agreement, written as CSV), then put through the faithfulness test.
// Usage (repo root): dotnet run experiments/own_explainer.cs -- [MODEL_DIR] [DOCS] [DATA]
// MODEL_DIR (default runs/experiments/own_explainer/model) is trained first with the quick recipe (`attnxai train
// --quick`: one to three minutes on two cores) when it holds no model; DATA is IMDB or a labelled file. The contract
// a method implements (what ScoreTokens receives, positions, the catalogue entry): src/AttnXai.Explain/README.md.
using AttnXai.Data.Sources;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Jobs;
using AttnXai.Faithfulness;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

var modelDir = args.Length > 0 ? args[0] : "runs/experiments/own_explainer/model";
int docs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200;
// The data: as given, else the IMDB copy the tests read next to the repository, else IMDB as `attnxai train` finds it.
const string SharedImdb = "../shared/data/aclImdb_v1_labeled.tar.gz";
var dataPath = args.Length > 2 ? args[2] : File.Exists(SharedImdb) ? SharedImdb : null;
var clock = System.Diagnostics.Stopwatch.StartNew();
if (!File.Exists(Path.Combine(modelDir, ModelCheckpoint.ConfigFile)))
{
    var recipe = TrainingRecipe.Quick;
    var data = DataPreparation.Prepare(DataSource.Read(dataPath, log: Console.Error.WriteLine), recipe.Data);
    var trainer = new Trainer(recipe.Config(data.Vocabulary.Count), recipe.Training, data.Train, data.Validation, data.Test, modelDir)
        { Vocabulary = data.Vocabulary, Tokenizer = data.Tokenizer.Name, DataSettings = data.Settings, Labels = data.Labels };
    var outcome = trainer.Run();
    using (outcome.Model) Console.WriteLine($"trained the quick paper model in {outcome.Seconds:F0} s: test accuracy {outcome.Test!.Accuracy:P2}");
}

// Next to LIME and G-avg on one sentence: the method is made by its name, like the library's own.
using (var loaded = ModelCheckpoint.Load(modelDir))
{
    var target = ExplainTarget.For(loaded);
    var doc = target.Prepare("An awful film: nothing works, although the music is fine and one scene is amazing.");
    var explainers = ExplainerRegistry.Create(["alpha-gxi", "lime-delete", "G-avg"], new ExplainerSettings { LimeRuns = 1, LimeSamples = 2000 });
    foreach (var x in ExplainRun.Run(target, [doc], explainers, study: null).Explanations[0])
    {
        var top = x.WordScores.Select((s, j) => (s, w: doc.Words[j])).OrderByDescending(p => Math.Abs(p.s)).Take(4);
        Console.WriteLine($"  {x.Method,-12} top words: {string.Join(", ", top.Select(p => $"{p.w} ({p.s:+0.000;-0.000})"))}");
    }
}

// A seeded sample of the model's own test part, explained, and how the methods agree (signed ranks, top 5 words),
// per document and as medians, written as tidy CSV next to the model folder.
using (var loaded = ModelCheckpoint.Load(modelDir))
{
    var target = ExplainTarget.For(loaded);
    var sample = DocumentSample.FromPart(loaded, target, "test", count: 10, seed: 1, dataPath: dataPath);
    var explainers = ExplainerRegistry.Create(["alpha-gxi", "lime-delete", "G-avg"], new ExplainerSettings { LimeRuns = 1, LimeSamples = 1000 });
    var agreement = PairwiseAgreement.Compute(ExplainRun.Run(target, sample.Documents, explainers, study: null).Explanations, RankBy.Signed, k: 5);
    foreach (var m in agreement.Medians)
        Console.WriteLine($"  {m.MethodA} vs {m.MethodB}: median Spearman {m.MedianSpearman:F3}, median top-5 overlap {m.MedianTopKOverlap:F2} ({m.Documents} documents)");
    agreement.WriteCsv(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelDir))!, "agreement"));
}

// The faithfulness violation test (three removals) with LIME, G-avg and the random baseline as references.
var settings = new FaithfulnessSettings
{
    ModelDirectory = modelDir, OutputDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelDir))!, "faithfulness"), DataPath = dataPath,
    Docs = docs, Methods = ["alpha-gxi", "lime-delete", "G-avg", "random"], Explainers = new ExplainerSettings { LimeRuns = 1, LimeSamples = 1000 },
};
var (result, _, files) = FaithfulnessStudy.Run(settings, _ => { });
Console.WriteLine($"faithfulness violations on {result.Documents.Count} test reviews (mean over the three removals; lower is better):");
foreach (var row in result.Summary.Where(r => r.Removal == ViolationTest.MeanRemoval))
    Console.WriteLine(FormattableString.Invariant($"  {row.Method,-12} {row.Ratio:F3} [{row.WilsonLow:F3}, {row.WilsonHigh:F3}]"));
Console.WriteLine($"wrote {files.Count} files in {settings.OutputDirectory} ({clock.Elapsed.TotalSeconds:F0} s in all)");

/// <summary>alpha-gxi: the [CLS] query's mean attention on a token times GxI (the gradient of the explained logit at
/// the token's embedding, dotted with that embedding): attention weighted by what the token's input does to the logit.
/// Signed. Declaring the catalogue entry is all the registration a method needs.</summary>
sealed class AttentionGradientTimesInput() : TokenExplainer(WordAggregation.Auto), ICataloguedExplainer
{
    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new("alpha-gxi", "mean [CLS] attention on the token times e_t . g_t", Signed: true, typeof(IAttentionModel), (_, _) => new AttentionGradientTimesInput()),
    ];

    public override string Name => "alpha-gxi";

    protected override (double[] Tokens, Dictionary<string, double>? Diagnostics)[] ScoreTokens(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        // One batched pass: attention [H, L] (the [CLS] row per head) and the embeddings and gradients [L, d] per document.
        var passes = ModelPasses.Run(target.Model, documents, gradients: true, batchSize: target.BatchSize, attention: true);
        int L = target.Inputs.Length;
        return [.. documents.Select((doc, b) =>
        {
            var (a, e, g) = (passes[b].Attention!, passes[b].Embedded!, passes[b].Gradient!);
            int H = a.Length / L, D = g.Length / L;
            var scores = new double[doc.TokenCount];
            for (int t = 0; t < scores.Length; t++)   // token t sits at position t + 1: [CLS] is at 0
            {
                double alpha = 0, gxi = 0;
                for (int h = 0; h < H; h++) alpha += a[h * L + t + 1] / H;
                for (int k = 0; k < D; k++) gxi += e[(t + 1) * D + k] * g[(t + 1) * D + k];
                scores[t] = alpha * gxi;
            }
            return (scores, (Dictionary<string, double>?)new() { ["output"] = passes[b].Output });
        })];
    }
}
