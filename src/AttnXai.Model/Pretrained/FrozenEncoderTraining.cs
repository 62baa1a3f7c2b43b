using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AttnXai.Common;
using AttnXai.Common.IO;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Data.Text;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>Settings of <see cref="FrozenEncoderTraining"/>.</summary>
public sealed record HeadTrainingOptions
{
    public BertHead Head { get; init; } = BertHead.Mean;
    /// <summary>Positions per document ([CLS] and [SEP] included); null: the checkpoint's default.</summary>
    public int? Length { get; init; }
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public long Seed { get; init; } = 42;
    /// <summary>Documents per cached chunk of pooled vectors.</summary>
    public int ChunkSize { get; init; } = 500;
    public int EvalBatchSize { get; init; } = 32;
}

/// <summary>What <see cref="FrozenEncoderTraining.Run"/> gives.</summary>
public sealed record HeadTrainingOutcome(int BestEpoch, double ValidationAccuracy, double TestAccuracy, double EncodeSeconds, double TrainSeconds);

/// <summary>
/// A classifier from a pretrained encoder with the encoder frozen (<c>attnxai train --init DIR --freeze encoder</c>):
/// each document goes through the encoder once, in evaluation mode, and what the head reads of it (the pooled vector,
/// <see cref="BertClassifier.Pool"/>) is cached on disk in chunks (<c>OUT/.features/</c>), so that an interrupted run
/// resumes at the first missing chunk and the head's epochs never rerun the encoder. The head (classifier, and the
/// pooler when the head has one) is then trained with AdamW on the cached vectors, the best validation epoch kept, and
/// the whole classifier written as a Hugging Face folder. Same seed, same head.
/// </summary>
public static class FrozenEncoderTraining
{
    public static HeadTrainingOutcome Run(string initDirectory, string output, IReadOnlyList<LabelledDocument> train, IReadOnlyList<LabelledDocument> validation,
        IReadOnlyList<LabelledDocument> test, LabelMap labels, HeadTrainingOptions options, JsonObject? dataSettings = null, Action<string>? log = null)
    {
        log ??= _ => { };
        if (train.Count == 0 || validation.Count == 0) throw new UserError("head training needs training and validation documents");
        var (model, architecture, config, tokenizer) = PretrainedModel.FromEncoder(initDirectory, options.Head, labels.Count, options.Length, options.Seed);
        using var _ = model;
        var clock = Stopwatch.StartNew();
        var cache = Path.Combine(output, ".features");
        Directory.CreateDirectory(cache);
        var fingerprint = $"{Path.GetFullPath(initDirectory)}|{options.Head}|{architecture.Length}";
        var stamp = Path.Combine(cache, "settings.txt");
        if (File.Exists(stamp) && File.ReadAllText(stamp) != fingerprint)
            throw new InvalidDataException($"{cache}: cached vectors of another encoder, head or length ({File.ReadAllText(stamp)}); use another --out");
        AtomicFile.WriteAllText(stamp, fingerprint);
        var encoder = new TextEncoder(tokenizer, architecture.Length, includeMask: true);
        var xTrain = Features(model, encoder, train, "train", cache, options, log);
        var xVal = Features(model, encoder, validation, "validation", cache, options, log);
        var xTest = test.Count > 0 ? Features(model, encoder, test, "test", cache, options, log) : new float[0];
        double encodeSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();

        int d = config.HiddenSize;
        using var scope = torch.NewDisposeScope();
        var Xtr = torch.tensor(xTrain, [train.Count, d]);
        var ytr = torch.tensor(train.Select(t => (long)t.Label).ToArray());
        var parameters = model.HeadParameters().ToList();
        using var optimizer = new Engine.Optim.AdamW(parameters, lr: options.LearningRate, weight_decay: options.WeightDecay);
        var rng = new AttnXai.Common.Random.SplitMix64((ulong)options.Seed);
        Dictionary<string, Tensor>? best = null;
        double bestVal = -1;
        int bestEpoch = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            var order = Enumerable.Range(0, train.Count).ToArray();
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            for (int start = 0; start + options.BatchSize <= order.Length || start == 0; start += options.BatchSize)
            {
                using var step = torch.NewDisposeScope();
                var idx = torch.tensor(order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start)).ToArray().Select(i => (long)i).ToArray());
                var logits = model.Classify(Xtr.index_select(0, idx));
                var loss = torch.nn.functional.cross_entropy(logits, ytr.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                if (start + options.BatchSize >= order.Length) break;
            }
            model.eval();
            double val = Accuracy(model, xVal, validation, d);
            log(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{options.Epochs}: validation accuracy {val:P2}"));
            if (val > bestVal)
            {
                bestVal = val;
                bestEpoch = epoch;
                if (best is not null) foreach (var t in best.Values) t.Dispose();
                best = model.named_parameters().Where(np => parameters.Any(p => ReferenceEquals(p, np.parameter)))
                    .ToDictionary(np => np.name, np => np.parameter.detach().clone().DetachFromDisposeScope());
            }
        }
        using (torch.no_grad())
            foreach (var (name, t) in best!) model.state_dict()[name].copy_(t);
        foreach (var t in best.Values) t.Dispose();
        model.eval();
        double testAcc = test.Count > 0 ? Accuracy(model, xTest, test, d) : double.NaN;
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var metrics = new JsonObject
        {
            ["best_epoch"] = bestEpoch,
            ["validation_accuracy"] = bestVal,
            ["test_accuracy"] = test.Count > 0 ? testAcc : null,
            ["test_count"] = test.Count,
            ["encode_seconds"] = encodeSeconds,
            ["head_training_seconds"] = trainSeconds,
        };
        var training = new JsonObject
        {
            ["init"] = Path.GetFullPath(initDirectory),
            ["freeze"] = "encoder",
            ["head"] = options.Head.ToString().ToLowerInvariant(),
            ["epochs"] = options.Epochs,
            ["batch_size"] = options.BatchSize,
            ["lr"] = options.LearningRate,
            ["weight_decay"] = options.WeightDecay,
            ["seed"] = options.Seed,
            ["train_count"] = train.Count,
            ["validation_count"] = validation.Count,
        };
        if (dataSettings is not null) training["data"] = dataSettings.DeepClone();
        PretrainedModel.Save(output, model, config, tokenizer, labels, options.Seed, training, metrics);
        return new HeadTrainingOutcome(bestEpoch, bestVal, testAcc, encodeSeconds, trainSeconds);
    }

    private static double Accuracy(BertClassifier model, float[] x, IReadOnlyList<LabelledDocument> docs, int d)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var pred = model.Classify(torch.tensor(x, [docs.Count, d])).argmax(1).ToArray<long>();
        return (double)Enumerable.Range(0, docs.Count).Count(i => pred[i] == docs[i].Label) / docs.Count;
    }

    /// <summary>The pooled vectors [n, d] of a part, computed chunk by chunk and cached (a chunk is written atomically
    /// once complete, so a killed run resumes at the first missing one).</summary>
    private static float[] Features(BertClassifier model, TextEncoder encoder, IReadOnlyList<LabelledDocument> docs, string part, string cache,
        HeadTrainingOptions options, Action<string> log)
    {
        int d = model.Architecture.Config.Hidden, n = docs.Count, chunk = options.ChunkSize;
        var result = new float[(long)n * d];
        var clock = Stopwatch.StartNew();
        int computed = 0;
        for (int start = 0, c = 0; start < n; start += chunk, c++)
        {
            int m = Math.Min(chunk, n - start);
            var path = Path.Combine(cache, $"{part}-{n}-{c:D5}.f32");
            if (File.Exists(path) && new FileInfo(path).Length == (long)m * d * 4)
            {
                var bytes = File.ReadAllBytes(path);
                Buffer.BlockCopy(bytes, 0, result, start * d * 4, bytes.Length);
                continue;
            }
            var set = encoder.EncodeAll(docs.Skip(start).Take(m).Select(x => x.Text).ToArray(), docs.Skip(start).Take(m).Select(x => (long)x.Label).ToArray());
            var rows = Evaluation.Rows(model, set);
            BatchedPass.Run(model, m, options.EvalBatchSize, rows, b =>
            {
                var z = model.Encode(b.Embedded(), b.Mask);
                var pooled = model.Pool(z, b.Mask).to(ScalarType.Float32).ToArray<float>();
                pooled.CopyTo(result, (long)(start + b.Start) * d);
            }, trim: true);
            var buffer = new byte[(long)m * d * 4];
            Buffer.BlockCopy(result, start * d * 4, buffer, 0, buffer.Length);
            AtomicFile.WriteAllBytes(path, buffer);
            computed += m;
            double rate = computed / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            log(string.Create(CultureInfo.InvariantCulture,
                $"encoded {part} {start + m}/{n} ({rate:F1} documents/s, about {(n - start - m) / Math.Max(rate, 1e-9) / 60:F1} min left in this part)"));
        }
        return result;
    }
}
