#:project ../src/AttnXai.Faithfulness/AttnXai.Faithfulness.csproj
#:property PublishAot=false
// Explaining your own model: a TorchSharp classifier that is not the paper's (attention pooling over word embeddings),
// trained on IMDB by the project's trainer, explained by every explainer that applies, and put through the
// faithfulness test. Usage (repo root): dotnet run experiments/own_model.cs -- [OUT_DIR] [DATA]
using System.Text.Json.Nodes;
using AttnXai.Data.Sources;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Faithfulness;
using AttnXai.Model;
using TorchSharp;
using TorchSharp.Modules;
using AttnXai.Explain.Perturbation;
using static TorchSharp.torch;

var outDir = args.Length > 0 ? args[0] : "runs/experiments/own_model";
ModelArchitectures.Register(PoolingConfig.Name, (json, where) => new PoolingConfig(json!["vocab_size"]!.GetValue<int>(), json["dim"]!.GetValue<int>()));
var data = DataPreparation.Prepare(DataSource.Read(args.Length > 1 ? args[1] : null, log: Console.Error.WriteLine),
    new DataOptions { MaxTrain = 10000, MaxValidation = 1000, MaxTest = 2000 });
var trainer = new Trainer(new PoolingConfig(data.Vocabulary.Count, 32), new TrainingOptions { Epochs = 2, LearningRate = 1e-3, Seed = 1 },
    data.Train, data.Validation, data.Test, outDir) { Vocabulary = data.Vocabulary, DataSettings = data.Settings, Labels = data.Labels };
var outcome = trainer.Run();
using (outcome.Model) Console.WriteLine($"trained in {outcome.Seconds:F0} s: test accuracy {outcome.Test!.Accuracy:P2}");

using var loaded = ModelCheckpoint.Load(outDir);
var target = new ExplainTarget(loaded.Model, loaded.Vocabulary);
var doc = target.Prepare("An awful film: nothing works, although the music is fine and one scene is amazing.");
var usable = ExplainerRegistry.Catalogue.Where(e => e.Supports(loaded.Model)).SelectMany(e => e.Names).ToList();
Console.WriteLine($"explainers that apply: {string.Join(", ", usable)}");
foreach (var explainer in ExplainerRegistry.Create(usable, new ExplainerSettings { Removals = [RemovalMode.Delete] }))
{
    var x = explainer.Explain(target, [doc])[0];
    var top = x.WordScores.Select((s, j) => (s, w: doc.Words[j])).OrderByDescending(p => Math.Abs(p.s)).Take(3);
    Console.WriteLine($"  {x.Method,-16} top words: {string.Join(", ", top.Select(p => $"{p.w} ({p.s:+0.000;-0.000})"))}");
}
var settings = new FaithfulnessSettings { ModelDirectory = outDir, OutputDirectory = Path.Combine(outDir, "faithfulness"), Docs = 100, Explainers = new ExplainerSettings { LimeRuns = 1, LimeSamples = 1000 } };
var clock = System.Diagnostics.Stopwatch.StartNew();
var (result, _, _) = FaithfulnessStudy.Run(settings, _ => { });
Console.WriteLine($"faithfulness test (100 test reviews, every applicable method, three removals) in {clock.Elapsed.TotalSeconds:F0} s:");
foreach (var row in result.Summary.Where(r => r.Removal == ViolationTest.MeanRemoval))
    Console.WriteLine(FormattableString.Invariant($"  faithfulness violations {row.Method,-16} {row.Ratio:F3}"));

/// <summary>The architecture: sizes, how to make the model, and its record in config.json.</summary>
sealed record PoolingConfig(int VocabSize, int Dim) : IModelArchitecture
{
    public const string Name = "attention-pooling";
    public string Architecture => Name;
    public TextInputs Inputs => new(256, VocabSize);
    public int Classes => 2;
    public string Summary => $"attention pooling, d {Dim}";
    public JsonObject ToJson() => new() { ["vocab_size"] = VocabSize, ["dim"] = Dim };
    public IModelArchitecture Validate() => Dim > 0 ? this : throw new ArgumentException("--dim must be positive");
    public ITextClassifier Create(long? seed, Device? device, ScalarType dtype)
    {
        if (seed is { } s) manual_seed(s);
        var model = new PoolingClassifier(this, dtype);   // drawn on the CPU, then moved: a seed gives the same weights everywhere
        if (device is not null) model.to(device);
        return model;
    }
}

/// <summary>e_t = W_e[x_t] + PE(t); one learned query u scores every position, alpha = softmax(e u / sqrt(d)) over the
/// attended positions; the logits are W (sum_t alpha_t e_t) + b. Its attention map has a single query row.</summary>
sealed class PoolingClassifier : nn.Module, IAttentionModel
{
    public PoolingClassifier(PoolingConfig c, ScalarType dtype) : base("PoolingClassifier")
    {
        Inputs = c.Inputs;
        W_e = new Parameter(randn([c.VocabSize, c.Dim], dtype));
        u = new Parameter(randn([c.Dim], dtype).mul(0.1));
        W = new Parameter(randn([2, c.Dim], dtype).mul(0.1));
        b = new Parameter(zeros([2], dtype));
        position_encoding = AttentionClassifier.SinusoidalEncoding(256, c.Dim, dtype);
        RegisterComponents();
    }

    public Parameter W_e { get; private set; }
    public Parameter u { get; private set; }
    public Parameter W { get; private set; }
    public Parameter b { get; private set; }
    private Tensor position_encoding;

    public nn.Module Module => this;
    public TextInputs Inputs { get; }
    public int Classes => 2;
    public int Layers => 1;
    public int Heads => 1;
    public ScalarType DType => W_e.dtype;
    public Device Device => W_e.device;
    public Tensor WordEmbed(Tensor ids) => AttnXai.Engine.Functional.embedding(ids, W_e);
    public Tensor? PositionEncoding => position_encoding;
    public Tensor Logits(Tensor e, Tensor? mask) => LogitsAndAttention(e, mask).Logits;

    public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor e, Tensor? mask)
    {
        var z = e.matmul(u).div(Math.Sqrt(u.shape[0]));                                         // [B, L]
        if (mask is not null) z = z.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var alpha = z.softmax(-1).unsqueeze(1).unsqueeze(1);                                    // [B, 1 head, 1 query, L]
        var h = alpha.squeeze(1).bmm(e).squeeze(1);                                             // [B, d]
        return (h.matmul(W.t()).add(b), [alpha]);
    }
}
