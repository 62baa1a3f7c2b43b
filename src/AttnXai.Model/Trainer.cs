using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// Trains a model of any architecture (the paper's classifier, the Transformer, a script's own model) with AdamW and
/// softmax cross-entropy on its logits, keeps the weights of
/// the epoch with the best validation accuracy, and (with an output folder) keeps a resumable state in
/// <c>&lt;out&gt;/last/</c> after every completed epoch, <c>&lt;out&gt;/metrics.csv</c>, and at the end a checkpoint
/// folder (<see cref="ModelCheckpoint"/>) in <c>&lt;out&gt;</c>.
/// <para>
/// Resuming: when <c>&lt;out&gt;/last/state.json</c> exists, training continues after its last completed epoch (with its
/// weights, optimizer state and best-so-far); the batch order of epoch e depends only on (seed, e) and nothing else is
/// random, so an interrupted and resumed run ends with bitwise the same weights as an uninterrupted one.
/// </para>
/// </summary>
public sealed class Trainer
{
    public const string LastFolder = "last";
    public const string StateFile = "state.json";
    public const string MetricsCsv = "metrics.csv";
    private const string RngFile = "rng.safetensors";

    private readonly IModelArchitecture _architecture;
    private readonly TrainingOptions _options;
    private readonly EncodedDataset _train;
    private readonly EncodedDataset _validation;
    private readonly EncodedDataset? _test;
    private readonly string? _out;

    /// <param name="output">Folder for the resumable state, metrics and final checkpoint; null trains in memory.</param>
    public Trainer(IModelArchitecture architecture, TrainingOptions options, EncodedDataset train, EncodedDataset validation,
        EncodedDataset? test = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        architecture.Validate();
        options.Validate();
        var inputs = architecture.Inputs;
        foreach (var (d, name) in new[] { (train, "train"), (validation, "validation") }.Concat(test is null ? [] : new[] { (test, "test") }))
        {
            if (d.Length != inputs.Length) throw new ArgumentException($"the {name} data is encoded to {d.Length} positions but the model takes {inputs.Length}");
            if (inputs.PaddingMask && d.Mask is null) throw new ArgumentException($"the model uses a padding mask but the {name} data was encoded without one");
        }
        if (train.Count == 0) throw new ArgumentException("the training set is empty");
        if (validation.Count == 0) throw new ArgumentException("the validation set is empty");
        if (options.MaxSteps is not null && output is not null)
            throw new ArgumentException("MaxSteps stops inside an epoch and cannot be combined with an output folder (its state is per completed epoch)");
        _architecture = architecture;
        _options = options;
        _train = train;
        _validation = validation;
        _test = test;
        _out = output is null ? null : Path.GetFullPath(output);
    }

    /// <summary>Written into the checkpoint when training ends (vocabulary, tokenizer, data settings).</summary>
    public Vocabulary? Vocabulary { get; init; }
    public string Tokenizer { get; init; } = Tokenizers.BasicEnglish;
    public JsonObject? DataSettings { get; init; }
    /// <summary>The label of each class (null: <see cref="ModelCheckpoint.DefaultLabels"/>).</summary>
    public LabelMap? Labels { get; init; }
    public ITrainingObserver? Observer { get; init; }

    /// <summary>Where the resumable state lives (null without an output folder).</summary>
    public string? StateDirectory => _out is null ? null : Path.Combine(_out, LastFolder);

    /// <summary>True when the output folder holds a resumable state.</summary>
    public static bool HasResumableState(string output) => FindState(Path.GetFullPath(output)) is not null;

    private static string? FindState(string output)
    {
        foreach (var name in new[] { LastFolder, LastFolder + ".tmp" })
        {
            var d = Path.Combine(output, name);
            if (File.Exists(Path.Combine(d, StateFile))) return d;
        }
        return null;
    }

    /// <summary>Trains (resuming from the output folder's state when there is one) and returns the best model; the
    /// caller disposes <see cref="TrainingOutcome.Model"/>.</summary>
    public TrainingOutcome Run(CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        var model = _architecture.Create(_options.Seed, _options.Device, _options.DType);
        try
        {
            return Train(model, total, cancellation);
        }
        catch
        {
            model.Module.Dispose();
            throw;
        }
    }

    private TrainingOutcome Train(ITextClassifier model, Stopwatch total, CancellationToken cancellation)
    {
        var o = _options;
        using var optimizer = new AdamW(model.Module.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);
        var batcher = new MiniBatcher(_train, o.BatchSize, unchecked((ulong)o.Seed), shuffle: true, dropLast: o.DropLast && _train.Count >= o.BatchSize);
        var history = new List<EpochMetrics>();
        int bestEpoch = 0;
        double bestAcc = double.NegativeInfinity;
        double previousSeconds = 0;
        Dictionary<string, Tensor>? best = null;
        int startEpoch = 0;
        try
        {
            if (_out is not null && FindState(_out) is { } stateDir)
            {
                var s = LoadState(stateDir, model, optimizer);
                (startEpoch, history, bestEpoch, bestAcc, best, previousSeconds) = s;
                Observer?.Message($"resuming after epoch {startEpoch} of {o.Epochs} from {stateDir}");
            }
            Observer?.Started(startEpoch + 1, o.Epochs, batcher.BatchesPerEpoch);
            long steps = optimizer.Steps;
            for (int epoch = startEpoch + 1; epoch <= o.Epochs; epoch++)
            {
                if (o.MaxSteps is { } max && steps >= max) break;
                var sw = Stopwatch.StartNew();
                model.Module.train();
                double lossSum = 0;
                long correct = 0, seen = 0;
                foreach (var batch in batcher.Epoch(epoch - 1))
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (o.MaxSteps is { } m && steps >= m) break;
                    using var scope = torch.NewDisposeScope();
                    var ids = torch.tensor(batch.Ids, [batch.BatchSize, batch.Length], device: model.Device);
                    var y = torch.tensor(batch.Labels, [batch.BatchSize], device: model.Device);
                    optimizer.zero_grad();
                    var logits = model.LogitsOfIds(ids, Evaluation.BatchMask(model, batch));
                    var loss = torch.nn.functional.cross_entropy(logits, y);
                    double lossValue = loss.ToDouble();
                    // A non-finite loss means the weights have blown up: stop before this update; the state of the
                    // last completed epoch on disk stays as it was.
                    if (!double.IsFinite(lossValue)) throw Diverged(epoch, batch.Index + 1, steps + 1, $"the training loss is {lossValue}");
                    loss.backward();
                    optimizer.step();
                    steps++;
                    lossSum += lossValue * batch.BatchSize;
                    using (torch.no_grad()) correct += logits.argmax(1).eq(y).sum().ToInt64();
                    seen += batch.BatchSize;
                    Observer?.Step(epoch, batch.Index + 1, lossSum / seen, (double)correct / seen);
                }
                model.Module.eval();
                var val = Evaluation.Evaluate(model, _validation, o.EvalBatchSize);
                if (!double.IsFinite(val.Loss)) throw Diverged(epoch, batcher.BatchesPerEpoch, steps, $"the validation loss after the epoch is {val.Loss}");
                var metrics = new EpochMetrics(epoch, seen == 0 ? double.NaN : lossSum / seen, seen == 0 ? double.NaN : (double)correct / seen,
                    val.Loss, val.Accuracy, sw.Elapsed.TotalSeconds);
                history.Add(metrics);
                bool improved = val.Accuracy > bestAcc;
                if (improved)
                {
                    bestAcc = val.Accuracy;
                    bestEpoch = epoch;
                    DisposeAll(best);
                    best = Snapshot(model);
                }
                if (_out is not null)
                {
                    SaveState(model, optimizer, epoch, history, bestEpoch, bestAcc, best!, previousSeconds + total.Elapsed.TotalSeconds);
                    WriteCsv(Path.Combine(_out, MetricsCsv), history);
                }
                Observer?.EpochCompleted(metrics, improved);
            }

            if (best is not null)
                using (torch.no_grad())
                    foreach (var (name, t) in model.Module.state_dict()) t.copy_(best[name]);
            model.Module.eval();
            var validation = Evaluation.Evaluate(model, _validation, o.EvalBatchSize);
            var test = _test is null ? null : Evaluation.Evaluate(model, _test, o.EvalBatchSize);
            double seconds = previousSeconds + total.Elapsed.TotalSeconds;
            var outcome = new TrainingOutcome(model, history, bestEpoch, validation, test, startEpoch, seconds, steps);
            if (_out is not null && Vocabulary is not null) WriteCheckpoint(outcome);
            return outcome;
        }
        finally
        {
            DisposeAll(best);
        }
    }

    private TrainingDivergedException Diverged(int epoch, int batch, long step, string what)
    {
        string kept = _out is null ? "nothing was written"
            : FindState(_out) is { } state ? $"the state after epoch {epoch - 1} is kept in {state}"
            : "nothing was written (no epoch completed)";
        return new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
            $"training diverged at epoch {epoch}, batch {batch} (step {step}): {what}; lower --lr (now {_options.LearningRate:G}); {kept}"));
    }

    // ---- checkpoint -----------------------------------------------------------------------------------------

    private void WriteCheckpoint(TrainingOutcome r)
    {
        var training = _options.ToJson();
        training["best_epoch"] = r.BestEpoch;
        training["steps"] = r.Steps;
        training["train_count"] = _train.Count;
        training["validation_count"] = _validation.Count;
        if (_test is not null) training["test_count"] = _test.Count;
        if (DataSettings is not null) training["data"] = DataSettings.DeepClone();
        var metrics = new JsonObject
        {
            ["best_epoch"] = r.BestEpoch,
            ["validation_accuracy"] = r.Validation.Accuracy,
            ["validation_loss"] = r.Validation.Loss,
            ["validation_count"] = r.Validation.Count,
            ["test_accuracy"] = r.Test?.Accuracy,
            ["test_loss"] = r.Test?.Loss,
            ["test_count"] = r.Test?.Count,
            ["training_seconds"] = r.Seconds,
            ["steps"] = r.Steps,
            ["threads"] = torch.get_num_threads(),
            ["epochs"] = new JsonArray(r.History.Select(EpochJson).ToArray<JsonNode?>()),
        };
        ModelCheckpoint.Save(_out!, r.Model, _architecture, Vocabulary!, Tokenizer, _options.Seed, training, metrics, Labels);
    }

    private static JsonObject EpochJson(EpochMetrics m) => new()
    {
        ["epoch"] = m.Epoch,
        ["train_loss"] = m.TrainLoss,
        ["train_accuracy"] = m.TrainAccuracy,
        ["validation_loss"] = m.ValidationLoss,
        ["validation_accuracy"] = m.ValidationAccuracy,
        ["seconds"] = m.Seconds,
    };

    /// <summary>epoch,train_loss,train_acc,val_loss,val_acc,seconds (invariant culture).</summary>
    public static void WriteCsv(string path, IEnumerable<EpochMetrics> history)
    {
        var sb = new StringBuilder("epoch,train_loss,train_acc,val_loss,val_acc,seconds\n");
        foreach (var m in history)
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"{m.Epoch},{m.TrainLoss:R},{m.TrainAccuracy:R},{m.ValidationLoss:R},{m.ValidationAccuracy:R},{m.Seconds:F3}\n"));
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    // ---- resumable state ------------------------------------------------------------------------------------

    private static Dictionary<string, Tensor> Snapshot(ITextClassifier model)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? d)
    {
        if (d is null) return;
        foreach (var t in d.Values) t.Dispose();
    }

    /// <summary>Writes the state into last.tmp/ (state.json last), then replaces last/ by it.</summary>
    private void SaveState(ITextClassifier model, AdamW optimizer, int epoch, List<EpochMetrics> history,
        int bestEpoch, double bestAcc, Dictionary<string, Tensor> best, double seconds)
    {
        var last = Path.Combine(_out!, LastFolder);
        var tmp = last + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        using (var scope = torch.NewDisposeScope())
        {
            ModelCheckpoint.SaveWeights(Path.Combine(tmp, "model.safetensors"), model);
            SafetensorsFile.Save(Path.Combine(tmp, "best.safetensors"), best.ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
            SafetensorsFile.Save(Path.Combine(tmp, "optimizer.safetensors"), optimizer.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu()));
            // The CPU generator's state: dropout draws from it, so a resumed run continues its stream exactly.
            SafetensorsFile.Save(Path.Combine(tmp, RngFile), new Dictionary<string, Tensor> { ["cpu"] = torch.get_rng_state() });
        }
        var state = new JsonObject
        {
            ["epoch"] = epoch,
            ["best_epoch"] = bestEpoch,
            ["best_validation_accuracy"] = bestAcc,
            ["seconds"] = seconds,
            ["architecture"] = _architecture.Architecture,
            ["model"] = _architecture.ToJson(),
            ["training"] = _options.ToJson(),
            ["train_count"] = _train.Count,
            ["validation_count"] = _validation.Count,
            ["history"] = new JsonArray(history.Select(EpochJson).ToArray<JsonNode?>()),
        };
        AtomicFile.WriteAllText(Path.Combine(tmp, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (Directory.Exists(last)) Directory.Delete(last, recursive: true);
        Directory.Move(tmp, last);
    }

    private (int Epoch, List<EpochMetrics> History, int BestEpoch, double BestAcc, Dictionary<string, Tensor> Best, double Seconds)
        LoadState(string dir, ITextClassifier model, AdamW optimizer)
    {
        var statePath = Path.Combine(dir, StateFile);
        JsonObject s;
        try { s = JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject ?? throw new InvalidDataException($"{statePath}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: not valid JSON ({JsonErrors.Describe(e)})", e); }
        var savedModel = ModelArchitectures.Read(s["architecture"]?.GetValue<string>(), s["model"], statePath + " (model)");
        if (!savedModel.Equals(_architecture))
            throw new ArgumentException($"{dir} holds a run of another model ({ModelArchitectures.Differences(savedModel, _architecture)}); use another --out folder or delete it");
        var saved = (s["training"] as JsonObject)?.DeepClone() as JsonObject ?? throw new InvalidDataException($"{statePath}: missing field 'training'");
        var now = _options.ToJson();
        saved.Remove("epochs");
        now.Remove("epochs");
        var differing = now.Select(kv => kv.Key).Union(saved.Select(kv => kv.Key))
            .Where(key => !JsonNode.DeepEquals(saved[key], now[key]))
            .Select(key => $"{key} {saved[key]?.ToJsonString() ?? "(none)"} there, {now[key]?.ToJsonString() ?? "(none)"} now").ToList();
        if (differing.Count > 0)
            throw new ArgumentException($"{dir} holds a run with other training settings ({string.Join("; ", differing)}); use another --out folder or delete it");
        if (ModelCheckpoint.Int(s, "train_count", statePath) != _train.Count || ModelCheckpoint.Int(s, "validation_count", statePath) != _validation.Count)
            throw new ArgumentException($"{dir} holds a run on data of other sizes; use another --out folder or delete it");
        int epoch = ModelCheckpoint.Int(s, "epoch", statePath);
        int bestEpoch = ModelCheckpoint.Int(s, "best_epoch", statePath);
        double bestAcc = ModelCheckpoint.Double(s, "best_validation_accuracy", statePath);
        double seconds = ModelCheckpoint.Double(s, "seconds", statePath);
        var history = new List<EpochMetrics>();
        foreach (var h in s["history"] as JsonArray ?? throw new InvalidDataException($"{statePath}: missing field 'history'"))
        {
            var o = h as JsonObject ?? throw new InvalidDataException($"{statePath}: bad history entry");
            history.Add(new EpochMetrics(ModelCheckpoint.Int(o, "epoch", statePath), ModelCheckpoint.Double(o, "train_loss", statePath),
                ModelCheckpoint.Double(o, "train_accuracy", statePath), ModelCheckpoint.Double(o, "validation_loss", statePath),
                ModelCheckpoint.Double(o, "validation_accuracy", statePath), ModelCheckpoint.Double(o, "seconds", statePath)));
        }
        ModelCheckpoint.LoadWeights(Path.Combine(dir, "model.safetensors"), model);
        var device = model.Device;
        Dictionary<string, Tensor> best;
        using (var scope = torch.NewDisposeScope())
        {
            var opt = SafetensorsFile.Load(Path.Combine(dir, "optimizer.safetensors"), requireFinite: true);
            optimizer.load_state_dict(opt.ToDictionary(kv => kv.Key, kv => kv.Key == "step" ? kv.Value : kv.Value.to(device)));
            var b = SafetensorsFile.Load(Path.Combine(dir, "best.safetensors"), requireFinite: true);
            best = b.ToDictionary(kv => kv.Key, kv => kv.Value.to(device).DetachFromDisposeScope());
            // States written before the generator was saved resume without it (the paper's model draws nothing).
            var rngPath = Path.Combine(dir, RngFile);
            if (File.Exists(rngPath))
            {
                var rng = SafetensorsFile.Load(rngPath);
                if (!rng.TryGetValue("cpu", out var cpu)) throw new InvalidDataException($"{rngPath}: missing tensor 'cpu'");
                torch.set_rng_state(cpu);
            }
        }
        return (epoch, history, bestEpoch, bestAcc, best, seconds);
    }
}
