using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using Parameter = TorchSharp.Modules.Parameter;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// Fine-tunes a pretrained encoder into a classifier (<c>attnxai train --init DIR --freeze none|layers:K</c>): a new
/// head on the encoder, AdamW (no decay on biases and LayerNorms) under a linear warm-up and decay
/// (<see cref="LinearSchedule"/>), gradient accumulation, batches of documents of similar length cut to their longest
/// (<see cref="StepPlan"/>), and with <c>layers:K</c> the embeddings and the first K layers frozen and run as in
/// evaluation, their output x^(K) computed once per training document and cached (OUT/.frozen/).
/// <para>
/// Resumable at any step: every <see cref="FineTuneOptions.SaveEvery"/> optimizer steps, at each epoch's end and when
/// the cancellation token fires (SIGTERM, SIGINT), the state (weights, both optimizers, the best epoch's weights, the
/// generator that draws dropout, the step count, the epoch's running loss) is written to OUT/last/ atomically. The
/// data order is a function of (seed, epoch) and the schedule of the step, so a run stopped anywhere and resumed ends
/// with bitwise the same weights as an uninterrupted one (on the same machine and thread count). The validation
/// accuracy after each epoch picks the weights kept; the test part is evaluated at the end (in resumable chunks) and
/// the classifier written as a Hugging Face folder.
/// </para>
/// </summary>
public static class FineTuning
{
    public const string StateFolder = "last";
    public const string StateFile = "state.json";
    public const string MetricsCsv = "metrics.csv";
    private const int TestChunk = 1000;

    /// <summary>Called after every optimizer step with (step, total steps) — e.g. to stop a run at a given step in a test.</summary>
    public sealed record Hooks(Action<long, long>? AfterStep = null, Action? BeforeSteps = null);

    /// <summary>True when <paramref name="output"/> holds the state of an unfinished fine-tuning.</summary>
    public static bool HasResumableState(string output) => FindState(Path.GetFullPath(output)) is not null;

    public static FineTuneOutcome Run(string initDirectory, string output, IReadOnlyList<LabelledDocument> train, IReadOnlyList<LabelledDocument> validation,
        IReadOnlyList<LabelledDocument> test, LabelMap labels, FineTuneOptions options, JsonObject? dataSettings = null, Action<string>? log = null,
        CancellationToken cancellation = default, Hooks? hooks = null)
    {
        log ??= _ => { };
        if (train.Count == 0 || validation.Count == 0) throw new UserError("fine-tuning needs training and validation documents");
        var clock = Stopwatch.StartNew();
        var (model, architecture, config, tokenizer) = PretrainedModel.FromEncoder(initDirectory, options.Head, labels.Count, options.Length, options.Seed);
        using var _ = model;
        options.Validate(model.Layers);
        var outDir = Path.GetFullPath(output);
        int L = architecture.Length;
        var encoder = new TextEncoder(tokenizer, L, includeMask: true);
        var trainSet = Encode(encoder, train);
        var valSet = Encode(encoder, validation);
        var trainLengths = Lengths(trainSet);
        int spe = StepPlan.StepsPerEpoch(train.Count, options.BatchSize, options.Accumulation);
        var schedule = LinearSchedule.WithWarmupFraction(options.LearningRate, options.Warmup, (long)spe * options.Epochs);
        int k = options.FrozenLayers;
        Directory.CreateDirectory(outDir);   // only now: refused settings leave nothing behind

        // What trains: everything, or what is above the frozen part; two optimizers share the schedule.
        // Key biases stay as they are: their gradient is zero by construction (see BertClassifier.KeyBiases), and AdamW
        // would turn its rounding noise into steps of the learning rate's size that no two runs share.
        var frozen = (k >= 0 ? model.EncoderParameters(k) : []).Concat(model.KeyBiases()).ToHashSet(ReferenceEqualityComparer.Instance);
        var trainable = model.named_parameters().Where(np => !frozen.Contains(np.parameter)).ToList();
        foreach (var p in frozen) ((Parameter)p!).requires_grad = false;
        static bool NoDecay(string name) => name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal);
        using var decay = new AdamW(trainable.Where(np => !NoDecay(np.name)).Select(np => (Tensor)np.parameter), options.LearningRate, weight_decay: options.WeightDecay);
        using var noDecay = new AdamW(trainable.Where(np => NoDecay(np.name)).Select(np => (Tensor)np.parameter), options.LearningRate, weight_decay: 0);
        long trainableCount = trainable.Sum(np => np.parameter.numel());

        var settings = new JsonObject
        {
            ["init"] = Path.GetFullPath(initDirectory),
            ["length"] = L,
            ["training"] = options.ToJson(),
            ["train_count"] = train.Count,
            ["validation_count"] = validation.Count,
            ["schedule"] = schedule.ToJson(),
            ["trainable_tensors"] = trainable.Count,
            ["trainable_parameters"] = trainableCount,
        };
        torch.manual_seed(options.Seed);   // the stream dropout draws from (saved and restored with the state)
        var state = new RunState();
        if (FindState(outDir) is { } stateDir)
        {
            state = LoadState(stateDir, settings, model, trainable, decay, noDecay);
            log(string.Create(CultureInfo.InvariantCulture, $"resuming at step {state.Step} of {schedule.TotalSteps} (epoch {state.History.Count + 1}) from {stateDir}"));
        }
        log(string.Create(CultureInfo.InvariantCulture,
            $"fine-tuning: freeze {options.FreezeName}, {trainableCount:N0} trainable parameters, {options.Epochs} epochs x {spe} steps of {options.BatchSize}x{options.Accumulation} documents, " +
            $"AdamW peak lr {options.LearningRate:G} (warm-up {schedule.WarmupSteps} steps, linear decay to step {schedule.TotalSteps}), weight decay {options.WeightDecay:G}, " +
            $"{(options.DynamicPadding ? "dynamic padding" : $"fixed {L} positions")}{(options.Bucketing ? ", length buckets" : "")}, {torch.get_num_threads()} threads"));

        double cacheSeconds = 0;
        float[][]? cache = null;
        if (k >= 0 && options.CacheFrozen && state.Step < schedule.TotalSteps)
        {
            var c0 = Stopwatch.StartNew();
            cache = FrozenCache(initDirectory, model, k, trainSet, trainLengths, Path.Combine(outDir, ".frozen"), options, log, cancellation);
            cacheSeconds = c0.Elapsed.TotalSeconds;
            if (cache is null) return Stopped(outDir, state, schedule, log, 0);
        }

        hooks?.BeforeSteps?.Invoke();
        var sinceStart = Stopwatch.StartNew();
        long stepsThisRun = 0, docsThisRun = 0;
        var lastLog = Stopwatch.StartNew();
        while (state.History.Count < options.Epochs)
        {
            int epoch = state.History.Count + 1;
            var plan = StepPlan.Epoch(trainLengths, epoch, options.Seed, options.BatchSize, options.Accumulation, options.Bucketing);
            model.train();
            var epochClock = Stopwatch.StartNew();
            for (long s = state.Step - (long)(epoch - 1) * spe; s < spe; s++)
            {
                var step = plan[s];
                int docs = step.Sum(b => b.Length);
                double lr = schedule.At(state.Step);
                decay.LearningRate = noDecay.LearningRate = lr;
                decay.zero_grad();
                noDecay.zero_grad();
                foreach (var micro in step)
                {
                    using var scope = torch.NewDisposeScope();
                    var (logits, y) = Forward(model, k, cache, trainSet, trainLengths, micro, options.DynamicPadding, L);
                    var lossSum = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum);
                    double value = lossSum.ToDouble();
                    if (!double.IsFinite(value))
                        throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                            $"fine-tuning diverged at step {state.Step + 1}: the training loss is {value}; lower --lr (now {options.LearningRate:G}); the state of step {state.SavedStep} is kept in {Path.Combine(outDir, StateFolder)}"));
                    lossSum.div(docs).backward();
                    state.LossSum += value;
                    using (torch.no_grad()) state.Correct += logits.argmax(1).eq(y).sum().ToInt64();
                    state.Seen += micro.Length;
                }
                decay.step();
                noDecay.step();
                state.Step++;
                stepsThisRun++;
                docsThisRun += docs;
                hooks?.AfterStep?.Invoke(state.Step, schedule.TotalSteps);
                bool stop = cancellation.IsCancellationRequested;
                if (state.Step % options.SaveEvery == 0 || stop) SaveState(outDir, settings, state, model, trainable, decay, noDecay, sinceStart);
                if (stop) return Stopped(outDir, state, schedule, log, cacheSeconds);
                if (lastLog.Elapsed.TotalSeconds >= 30 || s == spe - 1)
                {
                    lastLog.Restart();
                    double rate = docsThisRun / Math.Max(1e-9, sinceStart.Elapsed.TotalSeconds);
                    double left = ((double)(schedule.TotalSteps - state.Step) * options.BatchSize * options.Accumulation) / Math.Max(rate, 1e-9);
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {epoch}/{options.Epochs} step {s + 1}/{spe} (step {state.Step}/{schedule.TotalSteps}): loss {state.LossSum / state.Seen:F4}, accuracy {(double)state.Correct / state.Seen:P2}, lr {lr:G3}; {rate:F1} documents/s, about {left / 60:F0} min of training left"));
                }
            }
            model.eval();
            var (valLoss, valAcc) = Evaluate(model, valSet, options);
            var row = new FineTuneEpoch(epoch, state.Step, state.Seen == 0 ? double.NaN : state.LossSum / state.Seen, state.Seen == 0 ? double.NaN : (double)state.Correct / state.Seen,
                valLoss, valAcc, state.Seconds + sinceStart.Elapsed.TotalSeconds);
            state.History.Add(row);
            (state.LossSum, state.Correct, state.Seen) = (0, 0, 0);
            bool best = valAcc > state.BestAccuracy;
            if (best)
            {
                state.BestAccuracy = valAcc;
                state.BestEpoch = epoch;
                state.ReplaceBest(Snapshot(trainable));
            }
            log(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}: train loss {row.TrainLoss:F4} accuracy {row.TrainAccuracy:P2} | validation loss {valLoss:F4} accuracy {valAcc:P2}{(best ? " (best)" : "")} | {epochClock.Elapsed.TotalSeconds:F0} s"));
            SaveState(outDir, settings, state, model, trainable, decay, noDecay, sinceStart);
            WriteCsv(Path.Combine(outDir, MetricsCsv), state.History);
            if (cancellation.IsCancellationRequested) return Stopped(outDir, state, schedule, log, cacheSeconds);
        }

        // The cache's gigabytes are not needed any more.
        cache = null;
        GC.Collect();
        // The best epoch's weights, then the test part (resumable chunks), then the classifier's folder.
        using (torch.no_grad())
        {
            var own = model.state_dict();
            foreach (var (name, t) in state.Best!) own[name].copy_(t);
        }
        model.eval();
        double testAcc = double.NaN;
        if (test.Count > 0)
        {
            var acc = TestAccuracy(model, encoder, test, Path.Combine(outDir, ".test"), options, log, cancellation);
            if (acc is null) return Stopped(outDir, state, schedule, log, cacheSeconds);
            testAcc = acc.Value;
        }
        double seconds = state.Seconds + sinceStart.Elapsed.TotalSeconds;
        var training = options.ToJson();
        training["init"] = Path.GetFullPath(initDirectory);
        training["length"] = L;
        training["schedule"] = schedule.ToJson();
        training["best_epoch"] = state.BestEpoch;
        training["steps"] = state.Step;
        training["train_count"] = train.Count;
        training["validation_count"] = validation.Count;
        if (dataSettings is not null) training["data"] = dataSettings.DeepClone();
        var metrics = new JsonObject
        {
            ["best_epoch"] = state.BestEpoch,
            ["validation_accuracy"] = state.BestAccuracy,
            ["test_accuracy"] = test.Count > 0 ? testAcc : null,
            ["test_count"] = test.Count,
            ["training_seconds"] = seconds,
            ["frozen_cache_seconds"] = cacheSeconds,
            ["trainable_parameters"] = trainableCount,
            ["threads"] = torch.get_num_threads(),
            ["epochs"] = new JsonArray([.. state.History.Select(h => (JsonNode?)EpochJson(h))]),
        };
        foreach (var p in frozen) ((Parameter)p!).requires_grad = true;
        PretrainedModel.Save(outDir, model, config, tokenizer, labels, options.Seed, training, metrics);
        // The folder is now a finished model: the state, the cache and the test chunks go.
        foreach (var d in new[] { StateFolder, StateFolder + ".tmp", ".frozen", ".test" })
            if (Directory.Exists(Path.Combine(outDir, d))) Directory.Delete(Path.Combine(outDir, d), recursive: true);
        log(string.Create(CultureInfo.InvariantCulture, $"fine-tuned in {seconds / 60:F1} min ({clock.Elapsed.TotalSeconds / 60:F1} min in this run)"));
        return new FineTuneOutcome(true, state.Step, schedule.TotalSteps, state.History, state.BestEpoch, state.BestAccuracy, testAcc, seconds, cacheSeconds);
    }

    private static FineTuneOutcome Stopped(string outDir, RunState state, LinearSchedule schedule, Action<string> log, double cacheSeconds)
    {
        log($"stopped at step {state.Step} of {schedule.TotalSteps}: the state is saved in {Path.Combine(outDir, StateFolder)}; the same command resumes it");
        return new FineTuneOutcome(false, state.Step, schedule.TotalSteps, state.History, state.BestEpoch, state.BestAccuracy, double.NaN, state.Seconds, cacheSeconds);
    }

    // ---- forward passes ------------------------------------------------------------------------------------------

    private static EncodedDataset Encode(TextEncoder encoder, IReadOnlyList<LabelledDocument> docs) =>
        encoder.EncodeAll([.. docs.Select(d => d.Text)], [.. docs.Select(d => (long)d.Label)]);

    /// <summary>Each document's real positions ([CLS] ... [SEP]).</summary>
    public static int[] Lengths(EncodedDataset set)
    {
        var result = new int[set.Count];
        for (int i = 0; i < set.Count; i++)
        {
            int n = 0;
            for (int t = 0; t < set.Length; t++) if (set.Mask![(long)i * set.Length + t]) n++;
            result[i] = n;
        }
        return result;
    }

    /// <summary>Ids [b, width] and mask [b, width] of documents <paramref name="docs"/>.</summary>
    public static (Tensor Ids, Tensor Mask) Batch(EncodedDataset set, IReadOnlyList<int> docs, int width, Device device)
    {
        var ids = new long[docs.Count * width];
        var mask = new bool[docs.Count * width];
        for (int r = 0; r < docs.Count; r++)
        {
            Array.Copy(set.Ids, (long)docs[r] * set.Length, ids, (long)r * width, width);
            Array.Copy(set.Mask!, (long)docs[r] * set.Length, mask, (long)r * width, width);
        }
        return (torch.tensor(ids, [docs.Count, width], device: device), torch.tensor(mask, [docs.Count, width], device: device));
    }

    /// <summary>Logits and labels of a micro-batch (tensors of the caller's dispose scope).</summary>
    private static (Tensor Logits, Tensor Labels) Forward(BertClassifier model, int k, float[][]? cache, EncodedDataset set, int[] lengths, int[] docs, bool dynamic, int length)
    {
        int width = dynamic ? docs.Max(i => lengths[i]) : length;
        var (ids, mask) = Batch(set, docs, width, model.Device);
        var y = torch.tensor(docs.Select(i => set.Labels[i]).ToArray(), device: model.Device);
        Tensor logits;
        if (k < 0) logits = model.Logits(((ITextClassifier)model).Embed(ids), mask);
        else
        {
            Tensor x;
            if (cache is not null) x = FromCache(cache, docs, lengths, width, model.Architecture.Config.Hidden, model.Device);
            else using (torch.no_grad()) x = model.Prefix(((ITextClassifier)model).Embed(ids), mask, k);
            logits = model.LogitsFrom(k, x, mask);
        }
        return (logits, y);
    }

    private static Tensor FromCache(float[][] cache, int[] docs, int[] lengths, int width, int d, Device device)
    {
        var buffer = new float[(long)docs.Length * width * d];
        for (int r = 0; r < docs.Length; r++)
            Array.Copy(cache[docs[r]], 0, buffer, (long)r * width * d, Math.Min(lengths[docs[r]], width) * d);
        // A copy in libtorch's own (aligned) memory: kernels that vectorise take another path on a managed array's
        // alignment, and the last bits of a step would then depend on where the garbage collector put the buffer.
        using var managed = torch.tensor(buffer, [docs.Length, width, d]);
        return managed.to(device, copy: true);
    }

    /// <summary>The logits [n, C] of a part (evaluation mode, batches of similar length cut to their longest).</summary>
    public static float[] Logits(BertClassifier model, EncodedDataset set, int batchSize, bool dynamic = true)
    {
        var lengths = Lengths(set);
        int c = model.Classes;
        var result = new float[(long)set.Count * c];
        var order = Enumerable.Range(0, set.Count).OrderBy(i => lengths[i]).ToArray();
        using var noGrad = torch.no_grad();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var docs = order[start..Math.Min(order.Length, start + batchSize)];
            int width = dynamic ? docs.Max(i => lengths[i]) : set.Length;
            var (ids, mask) = Batch(set, docs, width, model.Device);
            var logits = model.Logits(((ITextClassifier)model).Embed(ids), mask).to(ScalarType.Float32).cpu().ToArray<float>();
            for (int r = 0; r < docs.Length; r++) Array.Copy(logits, r * c, result, (long)docs[r] * c, c);
        }
        return result;
    }

    private static (double Loss, double Accuracy) Evaluate(BertClassifier model, EncodedDataset set, FineTuneOptions options)
    {
        var logits = Logits(model, set, options.EvalBatchSize, options.DynamicPadding);
        return LossAndAccuracy(logits, set.Labels, model.Classes);
    }

    private static (double Loss, double Accuracy) LossAndAccuracy(float[] logits, long[] labels, int c)
    {
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * c, c);
            double max = double.NegativeInfinity;
            int arg = 0;
            for (int j = 0; j < c; j++) if (row[j] > max) { max = row[j]; arg = j; }
            double z = 0;
            for (int j = 0; j < c; j++) z += Math.Exp(row[j] - max);
            loss += max + Math.Log(z) - row[(int)labels[i]];
            if (arg == labels[i]) correct++;
        }
        return (loss / labels.Length, (double)correct / labels.Length);
    }

    /// <summary>Test accuracy, its logits computed in chunks written atomically (a stopped run resumes at the first
    /// missing one); null when stopped.</summary>
    private static double? TestAccuracy(BertClassifier model, TextEncoder encoder, IReadOnlyList<LabelledDocument> test, string dir, FineTuneOptions options,
        Action<string> log, CancellationToken cancellation)
    {
        Directory.CreateDirectory(dir);
        int c = model.Classes, correct = 0;
        var clock = Stopwatch.StartNew();
        int computed = 0;
        for (int start = 0, chunk = 0; start < test.Count; start += TestChunk, chunk++)
        {
            if (cancellation.IsCancellationRequested) return null;
            int m = Math.Min(TestChunk, test.Count - start);
            var part = test.Skip(start).Take(m).ToList();
            var path = Path.Combine(dir, $"logits-{test.Count}-{chunk:D5}.f32");
            float[] logits;
            if (File.Exists(path) && new FileInfo(path).Length == (long)m * c * 4)
            {
                logits = new float[m * c];
                Buffer.BlockCopy(File.ReadAllBytes(path), 0, logits, 0, m * c * 4);
            }
            else
            {
                logits = Logits(model, Encode(encoder, part), options.EvalBatchSize, options.DynamicPadding);
                var bytes = new byte[m * c * 4];
                Buffer.BlockCopy(logits, 0, bytes, 0, bytes.Length);
                AtomicFile.WriteAllBytes(path, bytes);
                computed += m;
                double rate = computed / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                log(string.Create(CultureInfo.InvariantCulture, $"test {start + m}/{test.Count} ({rate:F1} documents/s, about {(test.Count - start - m) / Math.Max(rate, 1e-9) / 60:F1} min left)"));
            }
            for (int i = 0; i < m; i++)
            {
                int arg = 0;
                for (int j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + arg]) arg = j;
                if (arg == part[i].Label) correct++;
            }
        }
        return (double)correct / test.Count;
    }

    // ---- the frozen part's cache ------------------------------------------------------------------------------

    /// <summary>x^(K) of every training document at its real positions ([len, d] each), computed in chunks of 256
    /// documents written atomically to <paramref name="dir"/> (null when stopped).</summary>
    private static float[][]? FrozenCache(string initDirectory, BertClassifier model, int k, EncodedDataset set, int[] lengths, string dir, FineTuneOptions options,
        Action<string> log, CancellationToken cancellation)
    {
        const int chunk = 256;
        int d = model.Architecture.Config.Hidden, n = set.Count;
        Directory.CreateDirectory(dir);
        var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{model.Architecture.Summary}|layer {k}|length {set.Length}|documents {n}|{ModelCheckpoint.Fingerprint(initDirectory)}");
        var stamp = Path.Combine(dir, "settings.txt");
        if (File.Exists(stamp) && File.ReadAllText(stamp) != fingerprint)
            throw new UserError($"{dir}: cached outputs of another encoder, frozen part, length or data ({File.ReadAllText(stamp)}); delete it or use another --out");
        AtomicFile.WriteAllText(stamp, fingerprint);
        var cache = new float[n][];
        var clock = Stopwatch.StartNew();
        int computed = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            for (int start = 0, c = 0; start < n; start += chunk, c++)
            {
                if (cancellation.IsCancellationRequested) return null;
                int m = Math.Min(chunk, n - start);
                long floats = Enumerable.Range(start, m).Sum(i => (long)lengths[i] * d);
                var path = Path.Combine(dir, $"train-{n}-layer{k}-{c:D5}.f32");
                float[] all;
                if (File.Exists(path) && new FileInfo(path).Length == floats * 4)
                {
                    all = new float[floats];
                    Buffer.BlockCopy(File.ReadAllBytes(path), 0, all, 0, (int)(floats * 4));
                }
                else
                {
                    all = new float[floats];
                    var offsets = new long[m];
                    for (int i = 1; i < m; i++) offsets[i] = offsets[i - 1] + (long)lengths[start + i - 1] * d;
                    var order = Enumerable.Range(start, m).OrderBy(i => lengths[i]).ToArray();
                    using var noGrad = torch.no_grad();
                    for (int b = 0; b < order.Length; b += options.EvalBatchSize)
                    {
                        using var scope = torch.NewDisposeScope();
                        var docs = order[b..Math.Min(order.Length, b + options.EvalBatchSize)];
                        int width = docs.Max(i => lengths[i]);
                        var (ids, mask) = Batch(set, docs, width, model.Device);
                        var x = model.Prefix(((ITextClassifier)model).Embed(ids), mask, k).to(ScalarType.Float32).cpu().ToArray<float>();
                        for (int r = 0; r < docs.Length; r++)
                            Array.Copy(x, (long)r * width * d, all, offsets[docs[r] - start], (long)lengths[docs[r]] * d);
                    }
                    var bytes = new byte[floats * 4];
                    Buffer.BlockCopy(all, 0, bytes, 0, bytes.Length);
                    AtomicFile.WriteAllBytes(path, bytes);
                    computed += m;
                    double rate = computed / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                    log(string.Create(CultureInfo.InvariantCulture, $"frozen part (embeddings and {k} layers) cached for {start + m}/{n} training documents ({rate:F1} documents/s)"));
                }
                long offset = 0;
                for (int i = start; i < start + m; i++)
                {
                    long len = (long)lengths[i] * d;
                    cache[i] = all.AsSpan((int)offset, (int)len).ToArray();
                    offset += len;
                }
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return cache;
    }

    // ---- the resumable state ------------------------------------------------------------------------------------

    private sealed class RunState
    {
        public long Step;
        public long SavedStep;
        public double LossSum;
        public long Correct, Seen;
        public List<FineTuneEpoch> History = [];
        public int BestEpoch;
        public double BestAccuracy = double.NegativeInfinity;
        public Dictionary<string, Tensor>? Best;
        public double Seconds;

        public void ReplaceBest(Dictionary<string, Tensor> best)
        {
            if (Best is not null) foreach (var t in Best.Values) t.Dispose();
            Best = best;
        }
    }

    private static string? FindState(string output)
    {
        foreach (var name in new[] { StateFolder, StateFolder + ".tmp" })
        {
            var d = Path.Combine(output, name);
            if (File.Exists(Path.Combine(d, StateFile))) return d;
        }
        return null;
    }

    private static Dictionary<string, Tensor> Snapshot(List<(string name, Parameter parameter)> trainable)
    {
        using var noGrad = torch.no_grad();
        return trainable.ToDictionary(np => np.name, np => np.parameter.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Writes last.tmp/ (state.json last), then puts it in place of last/.</summary>
    private static void SaveState(string outDir, JsonObject settings, RunState s, BertClassifier model, List<(string name, Parameter parameter)> trainable,
        AdamW decay, AdamW noDecay, Stopwatch sinceStart)
    {
        var last = Path.Combine(outDir, StateFolder);
        var tmp = last + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        using (var scope = torch.NewDisposeScope())
        {
            SafetensorsFile.Save(Path.Combine(tmp, "model.safetensors"), trainable.ToDictionary(np => np.name, np => np.parameter.detach().cpu()));
            SafetensorsFile.Save(Path.Combine(tmp, "optimizer-decay.safetensors"), decay.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
            SafetensorsFile.Save(Path.Combine(tmp, "optimizer-nodecay.safetensors"), noDecay.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
            if (s.Best is not null) SafetensorsFile.Save(Path.Combine(tmp, "best.safetensors"), s.Best.ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
            SafetensorsFile.Save(Path.Combine(tmp, "rng.safetensors"), new Dictionary<string, Tensor> { ["cpu"] = torch.get_rng_state() });
        }
        var json = new JsonObject
        {
            ["settings"] = settings.DeepClone(),
            ["step"] = s.Step,
            ["loss_sum"] = s.LossSum,
            ["correct"] = s.Correct,
            ["seen"] = s.Seen,
            ["best_epoch"] = s.BestEpoch,
            ["best_validation_accuracy"] = s.BestEpoch == 0 ? null : s.BestAccuracy,
            ["seconds"] = s.Seconds + sinceStart.Elapsed.TotalSeconds,
            ["history"] = new JsonArray([.. s.History.Select(h => (JsonNode?)EpochJson(h))]),
        };
        AtomicFile.WriteAllText(Path.Combine(tmp, StateFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (Directory.Exists(last)) Directory.Delete(last, recursive: true);
        Directory.Move(tmp, last);
        s.SavedStep = s.Step;
    }

    private static RunState LoadState(string dir, JsonObject settings, BertClassifier model, List<(string name, Parameter parameter)> trainable, AdamW decay, AdamW noDecay)
    {
        var path = Path.Combine(dir, StateFile);
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        var saved = json["settings"] as JsonObject ?? throw new InvalidDataException($"{path}: missing field 'settings'");
        var differing = Differences(saved, settings);
        if (differing.Count > 0)
            throw new UserError($"{Path.GetDirectoryName(dir)} holds a fine-tuning with other settings ({string.Join("; ", differing)}); run it with the same settings to resume it, or use another --out");
        var s = new RunState
        {
            Step = ModelCheckpoint.Long(json, "step", path),
            LossSum = ModelCheckpoint.Double(json, "loss_sum", path),
            Correct = ModelCheckpoint.Long(json, "correct", path),
            Seen = ModelCheckpoint.Long(json, "seen", path),
            BestEpoch = ModelCheckpoint.Int(json, "best_epoch", path),
            Seconds = ModelCheckpoint.Double(json, "seconds", path),
        };
        s.SavedStep = s.Step;
        if (s.BestEpoch > 0) s.BestAccuracy = ModelCheckpoint.Double(json, "best_validation_accuracy", path);
        foreach (var h in json["history"] as JsonArray ?? throw new InvalidDataException($"{path}: missing field 'history'"))
        {
            var o = h as JsonObject ?? throw new InvalidDataException($"{path}: bad history entry");
            s.History.Add(new FineTuneEpoch(ModelCheckpoint.Int(o, "epoch", path), ModelCheckpoint.Long(o, "steps", path), ModelCheckpoint.Double(o, "train_loss", path),
                ModelCheckpoint.Double(o, "train_accuracy", path), ModelCheckpoint.Double(o, "validation_loss", path), ModelCheckpoint.Double(o, "validation_accuracy", path),
                ModelCheckpoint.Double(o, "seconds", path)));
        }
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var weights = SafetensorsFile.Load(Path.Combine(dir, "model.safetensors"), requireFinite: true);
        using (torch.no_grad())
            foreach (var (name, p) in trainable)
            {
                if (!weights.TryGetValue(name, out var t) || !t.shape.SequenceEqual(p.shape)) throw new InvalidDataException($"{dir}/model.safetensors: missing or misshapen tensor '{name}'");
                p.copy_(t);
            }
        decay.load_state_dict(SafetensorsFile.Load(Path.Combine(dir, "optimizer-decay.safetensors"), requireFinite: true));
        noDecay.load_state_dict(SafetensorsFile.Load(Path.Combine(dir, "optimizer-nodecay.safetensors"), requireFinite: true));
        if (s.BestEpoch > 0)
            s.Best = SafetensorsFile.Load(Path.Combine(dir, "best.safetensors"), requireFinite: true).ToDictionary(kv => kv.Key, kv => kv.Value.to(device).DetachFromDisposeScope());
        var rng = SafetensorsFile.Load(Path.Combine(dir, "rng.safetensors"));
        if (!rng.TryGetValue("cpu", out var cpu)) throw new InvalidDataException($"{dir}/rng.safetensors: missing tensor 'cpu'");
        torch.set_rng_state(cpu);
        return s;
    }

    private static List<string> Differences(JsonObject saved, JsonObject now, string prefix = "")
    {
        var result = new List<string>();
        foreach (var key in saved.Select(kv => kv.Key).Union(now.Select(kv => kv.Key)))
        {
            var a = saved[key];
            var b = now[key];
            if (a is JsonObject ao && b is JsonObject bo) result.AddRange(Differences(ao, bo, prefix + key + "."));
            else if (!JsonNode.DeepEquals(a, b)) result.Add($"{prefix}{key} {a?.ToJsonString() ?? "(none)"} there, {b?.ToJsonString() ?? "(none)"} now");
        }
        return result;
    }

    private static JsonObject EpochJson(FineTuneEpoch m) => new()
    {
        ["epoch"] = m.Epoch,
        ["steps"] = m.Steps,
        ["train_loss"] = m.TrainLoss,
        ["train_accuracy"] = m.TrainAccuracy,
        ["validation_loss"] = m.ValidationLoss,
        ["validation_accuracy"] = m.ValidationAccuracy,
        ["seconds"] = m.Seconds,
    };

    /// <summary>epoch,steps,train_loss,train_acc,val_loss,val_acc,seconds.</summary>
    public static void WriteCsv(string path, IEnumerable<FineTuneEpoch> history)
    {
        var sb = new StringBuilder("epoch,steps,train_loss,train_acc,val_loss,val_acc,seconds\n");
        foreach (var m in history)
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"{m.Epoch},{m.Steps},{m.TrainLoss:R},{m.TrainAccuracy:R},{m.ValidationLoss:R},{m.ValidationAccuracy:R},{m.Seconds:F3}\n"));
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
