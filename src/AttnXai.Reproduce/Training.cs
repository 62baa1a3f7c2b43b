using AttnXai.Data.Batching;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Torch;

namespace AttnXai.Reproduce;

/// <summary>The training recipe (paper-notes section 1); <see cref="Paper"/> is the paper's, <see cref="Quick"/> a smoke run.</summary>
public sealed record TrainingRecipe
{
    public int EmbedDim { get; init; } = 128;
    public int AttDim { get; init; } = 64;
    public int OutDim { get; init; } = 64;
    public int Heads { get; init; } = 6;
    public int Length { get; init; } = 256;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0.01;
    public long Seed { get; init; } = 42;
    public int ValidationCount { get; init; } = DataSplits.PaperValidationCount;
    /// <summary>Use only this many training reviews (before the split); null = all 25,000.</summary>
    public int? TrainSubset { get; init; }
    /// <summary>Evaluate on only this many test reviews (a seeded sample); null = all 25,000.</summary>
    public int? TestSubset { get; init; }

    public static TrainingRecipe Paper => new();

    /// <summary>A small model on a data subset: a few minutes on two cores.</summary>
    public static TrainingRecipe Quick => new()
    {
        EmbedDim = 32, AttDim = 16, OutDim = 16, Heads = 6, Epochs = 3, BatchSize = 32, LearningRate = 2e-3,
        ValidationCount = 1000, TrainSubset = 10000, TestSubset = 5000,
    };
}

/// <summary>The model-training interface the pipeline needs (the default implementation is <see cref="SimpleTrainer"/>).</summary>
public interface IModelTrainer
{
    ModelBundle Train(IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, TrainingRecipe recipe, Action<string>? progress = null);
}

/// <summary>
/// STUB for AttnXai.Model's trainer (not landed when this was written): the paper's recipe in its plain form —
/// vocabulary of the (sub)train texts with basic_english, seeded train/validation split, AdamW, mini-batches, softmax
/// cross-entropy on the averaged logits, keep the weights of the best validation accuracy, then test accuracy.
/// </summary>
public sealed class SimpleTrainer : IModelTrainer
{
    public ModelBundle Train(IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test, TrainingRecipe recipe, Action<string>? progress = null)
    {
        var trainReviews = recipe.TrainSubset is int n && n < train.Count ? Sample(train, n, (ulong)recipe.Seed) : train;
        var split = DataSplits.TrainValidation(trainReviews, Math.Min(recipe.ValidationCount, trainReviews.Count / 5), (ulong)recipe.Seed);
        var tokenizer = Tokenizers.Get(Tokenizers.BasicEnglish);
        var vocab = Vocabulary.Build(trainReviews.Select(r => r.Text).ToArray(), tokenizer);
        var encoder = new TextEncoder(tokenizer, vocab, recipe.Length);
        EncodedDataset Enc(IReadOnlyList<ImdbReview> rs) => encoder.EncodeAll(rs.Select(r => r.Text).ToArray(), rs.Select(r => (long)r.Label).ToArray());
        var trainData = Enc(split.Train);
        var valData = Enc(split.Validation);
        var config = new ModelConfig(vocab.Count, recipe.EmbedDim, recipe.AttDim, recipe.OutDim, recipe.Heads, recipe.Length);
        var model = new AttentionClassifier(config, recipe.Seed);
        using var opt = new torch.optim.AdamW(model.parameters(), recipe.LearningRate, weight_decay: recipe.WeightDecay);
        var batcher = new MiniBatcher(trainData, recipe.BatchSize, (ulong)recipe.Seed);
        double best = double.NegativeInfinity;
        Dictionary<string, Tensor>? bestState = null;
        for (int epoch = 0; epoch < recipe.Epochs; epoch++)
        {
            model.train();
            int b = 0, total = batcher.BatchesPerEpoch;
            foreach (var batch in batcher.Epoch(epoch))
            {
                using var scope = torch.NewDisposeScope();
                var ids = torch.tensor(batch.Ids, [batch.BatchSize, batch.Length]);
                var y = torch.tensor(batch.Labels, [batch.BatchSize]);
                opt.zero_grad();
                var loss = torch.nn.functional.cross_entropy(model.Forward(ids).Logits, y);
                loss.backward();
                opt.step();
                if (++b % 50 == 0 || b == total) progress?.Invoke($"epoch {epoch + 1}/{recipe.Epochs} batch {b}/{total} loss {loss.item<double>():F4}");
            }
            model.eval();
            var val = Evaluation.Evaluate(model, valData);
            progress?.Invoke($"epoch {epoch + 1}: validation accuracy {val.Accuracy:P2}");
            if (val.Accuracy > best)
            {
                best = val.Accuracy;
                if (bestState != null) foreach (var t in bestState.Values) t.Dispose();
                using var ng = torch.no_grad();
                bestState = model.state_dict().ToDictionary(kv => kv.Key, kv => { var c = kv.Value.detach().clone(); c.MoveToOuterDisposeScope(); return c; });
            }
        }
        if (bestState != null) model.load_state_dict(bestState);
        model.eval();
        var testReviews = recipe.TestSubset is int m && m < test.Count ? Sample(test, m, (ulong)recipe.Seed + 1) : test;
        var acc = Evaluation.Evaluate(model, Enc(testReviews)).Accuracy;
        progress?.Invoke($"test accuracy {acc:P2} on {testReviews.Count} reviews");
        return new ModelBundle(model, vocab, acc, "trained by attnxai reproduce");
    }

    internal static IReadOnlyList<T> Sample<T>(IReadOnlyList<T> items, int n, ulong seed)
    {
        var perm = new AttnXai.Data.Random.SplitMix64(seed).Permutation(items.Count);
        return perm.Take(n).Order().Select(i => items[i]).ToArray();
    }
}
