using AttnXai.Common;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Pretrained.Tests;

/// <summary>Fine-tuning (<see cref="FineTuning"/>) on a tiny random BERT encoder folder and synthetic reviews: the
/// schedule against hand-worked values, the step plan, dynamic padding against fixed padding, bitwise resumption after
/// a stop and after a crash, the cached frozen part against the uncached one, and refused settings.</summary>
public class FineTuningTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-finetune-tests-" + Guid.NewGuid().ToString("N"));

    public FineTuningTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private static readonly string[] Words = ["the", "movie", "was", "good", "bad", "great", "awful", "plot", "actor", "and", "it", "is", "a", "not", "fun", "dull"];
    private const int Length = 24;

    /// <summary>A bare 2-layer BERT encoder (d 8, H 2, dropout 0.1) with random weights, as a Hugging Face folder.</summary>
    private string Encoder()
    {
        var dir = Path.Combine(_root, "encoder");
        if (Directory.Exists(dir)) return dir;
        var vocab = Path.Combine(_root, "vocab.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words, "##s", ".", ","]);
        int v = 5 + Words.Length + 3;
        var config = new BertConfig(BertConfig.Bert, VocabSize: v, HiddenSize: 8, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 16,
            MaxPositionEmbeddings: 32, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenAct: "gelu", PadTokenId: 0, Labels: ["LABEL_0", "LABEL_1"], Architectures: ["BertModel"]);
        var sizes = PretrainedModel.Sizes(config);
        using var model = new BertClassifier(new BertArchitecture(sizes, BertHead.Mean, 2, Length, new SpecialTokens(2, 1, 0, 3, 4)));
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        var tensors = model.state_dict().Where(kv => !kv.Key.StartsWith("classifier.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Key.Contains("LayerNorm.weight") ? torch.ones(kv.Value.shape).add(torch.randn(kv.Value.shape).mul(0.1)) : torch.randn(kv.Value.shape).mul(0.5));
        HfCheckpoint.Write(dir, config, tensors, vocab);
        return dir;
    }

    /// <summary>Reviews of 2 to 20 words; positive when they say good/great/fun more than bad/awful/dull.</summary>
    private static List<LabelledDocument> Reviews(int count, int seed)
    {
        var rng = new Random(seed);
        var docs = new List<LabelledDocument>();
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, rng.Next(2, 21)).Select(_ => Words[rng.Next(Words.Length)]).ToList();
            int score = words.Count(w => w is "good" or "great" or "fun") - words.Count(w => w is "bad" or "awful" or "dull");
            docs.Add(new LabelledDocument(string.Join(' ', words) + ".", score > 0 || (score == 0 && i % 2 == 0) ? 1 : 0, $"doc{i}"));
        }
        return docs;
    }

    private static readonly LabelMap Labels = new(["neg", "pos"]);

    private static FineTuneOptions Options(int frozen = -1) => new()
    {
        Length = Length, FrozenLayers = frozen, Epochs = 2, BatchSize = 4, Accumulation = 2, LearningRate = 1e-2, Warmup = 0.25, SaveEvery = 2, EvalBatchSize = 5, Seed = 11,
    };

    private FineTuneOutcome Train(string name, FineTuneOptions options, CancellationToken token = default, FineTuning.Hooks? hooks = null) =>
        FineTuning.Run(Encoder(), Path.Combine(_root, name), Reviews(30, 1), Reviews(10, 2), Reviews(7, 3), Labels, options, cancellation: token, hooks: hooks);

    private byte[] Weights(string name) => File.ReadAllBytes(Path.Combine(_root, name, "model.safetensors"));

    [Fact]
    public void ScheduleMatchesHandWorkedValues()
    {
        // Peak 1e-3, warm-up 2 of 6 steps: 0, 1/2, 1, then (6 - k) / 4: 3/4, 1/2, 1/4, and 0 from step 6 on.
        var s = new LinearSchedule(1e-3, 2, 6).Validate();
        double[] expected = [0, 5e-4, 1e-3, 7.5e-4, 5e-4, 2.5e-4, 0, 0];
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], s.At(k), 15);
        // No warm-up: 1, 2/3, 1/3 over 3 steps.
        var t = new LinearSchedule(3.0, 0, 3).Validate();
        Assert.Equal([3.0, 2.0, 1.0, 0.0], [.. Enumerable.Range(0, 4).Select(k => Math.Round(t.At(k), 12))]);
        // A tenth of 25 steps rounds up to 3.
        Assert.Equal(3, LinearSchedule.WithWarmupFraction(1e-3, 0.1, 25).WarmupSteps);
        var e = Assert.Throws<UserError>(() => LinearSchedule.WithWarmupFraction(1e-3, 0.5, 1));
        Assert.Contains("does not fit the 1 optimizer steps", e.Message);
    }

    [Fact]
    public void StepPlanCoversEveryDocumentOnceAndBucketsByLength()
    {
        var rng = new Random(5);
        var lengths = Enumerable.Range(0, 1001).Select(_ => rng.Next(3, 257)).ToArray();
        foreach (bool bucketing in new[] { false, true })
        {
            var plan = StepPlan.Epoch(lengths, 1, 42, 8, 3, bucketing);
            Assert.Equal(StepPlan.StepsPerEpoch(1001, 8, 3), plan.Length);
            Assert.Equal(Enumerable.Range(0, 1001), plan.SelectMany(s => s.SelectMany(b => b)).Order());
            Assert.All(plan[..^1], s => Assert.Equal([8, 8, 8], s.Select(b => b.Length)));
            Assert.Equal(1001 % 24, plan[^1].Sum(b => b.Length));
            // Same (seed, epoch), same plan; another epoch, another order.
            Assert.Equal(plan.SelectMany(s => s.SelectMany(b => b)), StepPlan.Epoch(lengths, 1, 42, 8, 3, bucketing).SelectMany(s => s.SelectMany(b => b)));
            Assert.NotEqual(plan.SelectMany(s => s.SelectMany(b => b)), StepPlan.Epoch(lengths, 2, 42, 8, 3, bucketing).SelectMany(s => s.SelectMany(b => b)));
        }
        // Bucketing: the positions a batch pads to (its longest document) fall well below those of random batches.
        long Padded(int[][][] plan) => plan.Sum(s => s.Sum(b => (long)b.Length * b.Max(i => lengths[i])));
        long random = Padded(StepPlan.Epoch(lengths, 1, 42, 8, 3, false)), bucketed = Padded(StepPlan.Epoch(lengths, 1, 42, 8, 3, true));
        Assert.True(bucketed < 0.7 * random, $"bucketed {bucketed} vs random {random} positions");
        Assert.True(bucketed >= lengths.Sum());
    }

    [Fact]
    public void DynamicPaddingGivesTheLogitsOfFixedPadding()
    {
        var (model, _, _, tokenizer) = PretrainedModel.FromEncoder(Encoder(), BertHead.Mean, 2, Length, 3);
        using var _m = model;
        var docs = Reviews(23, 9);
        var set = new TextEncoder(tokenizer, Length, includeMask: true).EncodeAll([.. docs.Select(d => d.Text)], [.. docs.Select(d => (long)d.Label)]);
        Assert.True(FineTuning.Lengths(set).Max() < Length && FineTuning.Lengths(set).Min() < 8, "the documents must leave padding");
        var dynamic = FineTuning.Logits(model, set, 4, dynamic: true);
        var fixedPad = FineTuning.Logits(model, set, 4, dynamic: false);
        Assert.Equal(23 * 2, dynamic.Length);
        Assert.True(dynamic.Zip(fixedPad).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, "dynamic vs fixed padding");
        // And both equal the documents one at a time, unpadded.
        var one = FineTuning.Logits(model, set, 1, dynamic: true);
        Assert.True(dynamic.Zip(one).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, "batched vs one at a time");
    }

    [Theory]
    [InlineData(-1, false)]   // everything trains; stopped (SIGTERM) at step 3, between two saves
    [InlineData(1, false)]    // layers:1 with the cached frozen part
    [InlineData(1, true)]     // killed at step 5 without saving: resumes from step 4 and redoes step 5
    public void StoppedOrKilledRunResumesToBitwiseTheUninterruptedWeights(int frozen, bool kill)
    {
        var options = Options(frozen);
        var full = Train("full", options);
        Assert.True(full.Completed);
        Assert.Equal(2 * 4, full.Steps);   // 30 documents in steps of 4 x 2: 4 steps per epoch

        using (var stop = new CancellationTokenSource())
        {
            var hooks = new FineTuning.Hooks((step, _) =>
            {
                if (kill && step == 5) throw new IOException("simulated crash");
                if (!kill && step == 3) stop.Cancel();
            });
            if (kill) Assert.Throws<IOException>(() => Train("resumed", options, stop.Token, hooks));
            else Assert.False(Train("resumed", options, stop.Token, hooks).Completed);
        }
        Assert.True(FineTuning.HasResumableState(Path.Combine(_root, "resumed")));
        var resumed = Train("resumed", options);
        Assert.True(resumed.Completed);
        Assert.Equal(Weights("full"), Weights("resumed"));
        Assert.Equal(full.History.Select(h => (h.TrainLoss, h.ValidationAccuracy)), resumed.History.Select(h => (h.TrainLoss, h.ValidationAccuracy)));
        Assert.Equal(full.TestAccuracy, resumed.TestAccuracy);
        Assert.False(Directory.Exists(Path.Combine(_root, "resumed", FineTuning.StateFolder)));
    }

    [Fact]
    public void CachedFrozenPartTrainsAsTheUncachedModelAndStaysFrozen()
    {
        var cached = Train("cached", Options(1));
        var uncached = Train("uncached", Options(1) with { CacheFrozen = false });
        using var scope = NewDisposeScope();
        var a = SafetensorsFile.Load(Path.Combine(_root, "cached", "model.safetensors"));
        var b = SafetensorsFile.Load(Path.Combine(_root, "uncached", "model.safetensors"));
        var init = HfCheckpoint.ReadWeights(Encoder());
        foreach (var (name, t) in a)
        {
            double diff = t.sub(b[name]).abs().max().ToDouble();
            Assert.True(diff <= 1e-6, $"{name}: cached and uncached differ by {diff}");
        }
        // The embeddings and layer 0 are the encoder's, bitwise; layer 1 moved.
        foreach (var (name, t) in init)
        {
            var mine = a[name];
            bool frozen = name.Contains("embeddings.") || name.Contains("layer.0.") || name.EndsWith(".key.bias");   // key biases: zero gradient by construction
            if (frozen) Assert.True(mine.equal(t).all().item<bool>(), $"{name} changed");
            else if (name.Contains("layer.1.")) Assert.False(mine.equal(t).all().item<bool>(), $"{name} did not train");
        }
        Assert.Equal(cached.TestAccuracy, uncached.TestAccuracy);
    }

    [Fact]
    public void ResumeUnderOtherSettingsAndImpossibleSettingsAreRefused()
    {
        using (var stop = new CancellationTokenSource())
            Assert.False(Train("run", Options(), stop.Token, new FineTuning.Hooks((step, _) => { if (step == 2) stop.Cancel(); })).Completed);
        var before = Directory.GetFiles(Path.Combine(_root, "run"), "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        var e = Assert.Throws<UserError>(() => Train("run", Options() with { LearningRate = 2e-2 }));
        Assert.Contains("other settings", e.Message);
        Assert.Contains("lr 0.01 there, 0.02 now", e.Message);
        Assert.Equal(before, Directory.GetFiles(Path.Combine(_root, "run"), "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList());

        var f = Assert.Throws<UserError>(() => Train("deep", Options(3)));
        Assert.Contains("--freeze layers:3: the model has 2 layers", f.Message);
        var g = Assert.Throws<UserError>(() => Train("warm", Options() with { Epochs = 1, BatchSize = 30, Accumulation = 1, Warmup = 0.5 }));
        Assert.Contains("warm-up", g.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "deep", FineTuning.StateFolder)));
    }
}
