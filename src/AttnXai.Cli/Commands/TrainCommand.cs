using AttnXai.Common;
using System.CommandLine;
using System.Globalization;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using Spectre.Console;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai train`: trains the paper's attention classifier (or, with --arch transformer, the multi-layer Transformer)
/// on IMDB or on the user's own labelled data with the paper's recipe (every part an option), resuming automatically
/// when the output folder holds an interrupted run.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("train", "Train the paper's attention classifier (or a Transformer) on IMDB or your own labelled data (paper recipe by default); resumes an interrupted run in --out");
        var dataArgs = new DataArgs("$ATTNXAI_DATA, the cache, then ../shared/data: IMDB", DataArgs.TrainLabelsHelp);
        var output = new Option<string>("--out") { Description = "output folder (checkpoint, metrics, resumable state in <out>/last)", Required = true };
        var embed = new Option<int?>("--embed-dim") { Description = "d_e (paper 128)" }.Range(1, Opt.MaxDimension);
        var att = new Option<int?>("--att-dim") { Description = "d_att (paper 64)" }.Range(1, Opt.MaxDimension);
        var outDim = new Option<int?>("--out-dim") { Description = "d_out (paper 64)" }.Range(1, Opt.MaxDimension);
        var heads = new Option<int?>("--heads") { Description = "K (paper 6); transformer: heads per layer H (default 6)" }.Range(1, Opt.MaxHeads);
        var arch = new Option<string?>("--arch") { Description = "paper (the paper's one-layer classifier, default) or transformer (N layers of multi-head self-attention and feed-forward blocks)" }.OneOf("paper", "transformer");
        var transformerDefaults = new TransformerConfig(VocabSize: 2);
        var layers = new Option<int?>("--layers") { Description = $"transformer: layers N (default {transformerDefaults.Layers})" }.Range(1, Opt.MaxLayers);
        var dim = new Option<int?>("--dim") { Description = $"transformer: width d of the residual stream (default {transformerDefaults.ModelDim}, the paper's d_e)" }.Range(1, Opt.MaxDimension);
        var headDim = new Option<int?>("--head-dim") { Description = $"transformer: per-head dimension d_h (default {transformerDefaults.HeadDim})" }.Range(1, Opt.MaxDimension);
        var ff = new Option<int?>("--ff") { Description = "transformer: feed-forward width d_ff (default 4 d)" }.Range(1, Opt.MaxDimension);
        var dropout = new Option<double?>("--dropout") { Description = $"transformer: dropout on the embeddings and sub-layer outputs (default {transformerDefaults.Dropout})" }.Between(0, 0.99);
        var norm = new Option<string?>("--norm") { Description = "transformer: pre (default) or post layer normalisation" }.OneOf("pre", "post");
        var length = new Option<int?>("--length") { Description = "L, positions with [cls] (paper 256)" }.AtLeast(2, "[CLS] and one word").AtMost(Opt.MaxLength);
        var epochs = new Option<int?>("--epochs") { Description = "epochs (paper 10)" }.Range(1, Opt.MaxEpochs);
        var batch = new Option<int?>("--batch-size") { Description = "mini-batch size (paper 16)" }.Range(1, Opt.MaxBatch);
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate (paper 1e-4)" }.Positive();
        var wd = new Option<double?>("--weight-decay") { Description = "AdamW weight decay (paper 0.01)" }.AtLeast(0);
        var seed = new Option<long?>("--seed") { Description = "seed of the initial weights and the batch order (paper 42)" };
        var splitSeed = new Option<ulong?>("--split-seed") { Description = "seed of the train/validation (and test) split (paper 42)" };
        var valCount = new Option<int?>("--validation-count") { Description = "validation texts taken out of the train part when the data has no validation part (default: 5000 for IMDB as the paper, a tenth otherwise)" }.Range(1, Opt.MaxDocuments);
        var testCount = new Option<int?>("--test-count") { Description = "test texts taken out of a single labelled file (default: a tenth of it)" }.Range(1, Opt.MaxDocuments);
        var maxTrain = new Option<int?>("--max-train") { Description = "subsample the training part to N texts" }.Range(1, Opt.MaxDocuments);
        var maxVal = new Option<int?>("--max-val") { Description = "subsample the validation part to N texts" }.Range(1, Opt.MaxDocuments);
        var maxTest = new Option<int?>("--max-test") { Description = "subsample the test part to N texts" }.Range(1, Opt.MaxDocuments);
        var evalBatch = new Option<int?>("--eval-batch-size") { Description = "batch size of evaluation (default 256)" }.Range(1, Opt.MaxBatch);
        var mask = new Option<bool>("--padding-mask") { Description = "leave padding out of the softmax (the paper's model has no mask)" };
        var noPosition = new Option<bool>("--no-position-encoding") { Description = "all-zero position encoding: the model becomes a set function of its tokens (the paper adds sinusoidal positions)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "basic_english (paper) or clean" }.OneOf([.. Data.Text.Tokenizers.Names]);
        var quick = new Option<bool>("--quick") { Description = $"smoke preset: {TrainingRecipe.Quick} (options still override)" };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var noProgress = new Option<bool>("--plain") { Description = "plain progress lines instead of a progress bar (automatic when output is redirected)" };
        var threads = CliRunner.ThreadsOption();
        var init = new Option<string?>("--init") { Description = "a pretrained Hugging Face encoder folder (BERT, DistilBERT; e.g. `attnxai import`'s all-MiniLM-L6-v2): a classifier with a new head on it" };
        var freeze = new Option<string?>("--freeze") { Description = "--init: encoder (default: the encoder frozen, each document encoded once and cached, the head trained on the cached vectors), none (fine-tune everything) or layers:K (the embeddings and the first K layers frozen, their output cached)" };
        var accumulate = new Option<int?>("--accumulate") { Description = "--init fine-tuning: micro-batches of --batch-size whose gradients make one optimizer step (default 1)" }.Range(1, Opt.MaxBatch);
        var warmup = new Option<double?>("--warmup") { Description = "--init fine-tuning: linear warm-up of the learning rate over this fraction of the steps, then linear decay to 0 (default 0.1)" }.Between(0, 0.99);
        var saveEvery = new Option<int?>("--save-every") { Description = "--init fine-tuning: write the resumable state every N optimizer steps (default 50; also at each epoch's end and on SIGTERM/SIGINT)" }.Range(1, 1_000_000);
        var fixedPadding = new Option<bool>("--fixed-padding") { Description = "--init fine-tuning: every batch padded to --max-length (default: batches of similar length cut to their longest document)" };
        var noCache = new Option<bool>("--no-frozen-cache") { Description = "--init fine-tuning with layers:K: rerun the frozen part at every step instead of caching its output" };
        var head = new Option<string?>("--head") { Description = "--init: mean (default: the mean of the last hidden states, all-MiniLM-L6-v2's pooling), cls ([CLS]'s last hidden state) or pooler (BERT's pooler, then the classifier)" }.OneOf("mean", "cls", "pooler");
        var maxLength = new Option<int?>("--max-length") { Description = "--init: positions per document, [CLS] and [SEP] included (default: the checkpoint's model_max_length)" }.Between(3, 8192);
        foreach (var o in new Option[] { init, freeze, head, maxLength, accumulate, warmup, saveEvery, fixedPadding, noCache }) cmd.Options.Add(o);
        foreach (var o in new Option[] { output, arch, embed, att, outDim, heads, layers, dim, headDim, ff, dropout, norm, length, epochs, batch, lr, wd, seed, splitSeed, valCount, testCount, maxTrain, maxVal, maxTest, evalBatch, mask, noPosition, tokenizer, quick, device, noProgress, threads }
                     .Concat(dataArgs.All()))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(init) is { } initDir)
            {
                foreach (var o in new Option[] { arch, embed, att, outDim, heads, layers, dim, headDim, ff, dropout, norm, length, mask, noPosition, tokenizer, quick })
                    if (r.GetResult(o) is { Implicit: false }) throw new UserError($"{o.Name} does not apply to --init (the pretrained checkpoint fixes the model and its tokenizer)");
                var freezeName = r.GetValue(freeze) ?? "encoder";
                if (freezeName.Trim().ToLowerInvariant() != "encoder")
                    return RunFineTune(r, initDir, dataArgs, output, freezeName, head, maxLength, epochs, batch, lr, wd, seed, splitSeed, valCount, testCount, maxTrain, maxVal, maxTest,
                        evalBatch, threads, accumulate, warmup, saveEvery, fixedPadding, noCache);
                foreach (var o in new Option[] { accumulate, warmup, saveEvery, fixedPadding, noCache })
                    if (r.GetResult(o) is { Implicit: false }) throw new UserError($"{o.Name} goes with fine-tuning (--freeze none or layers:K); --freeze encoder trains the head on cached vectors");
                return RunInit(r, initDir, r.GetValue(dataArgs.Data), dataArgs.Build(r), r.GetValue(output)!, r.GetValue(head) ?? "mean", r.GetValue(maxLength),
                    r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr), r.GetValue(wd), r.GetValue(seed) ?? 42, r.GetValue(splitSeed) ?? Data.Imdb.DataSplits.PaperSeed,
                    r.GetValue(valCount), r.GetValue(testCount), r.GetValue(maxTrain), r.GetValue(maxVal), r.GetValue(maxTest), r.GetValue(evalBatch), r.GetValue(threads));
            }
            foreach (var o in new Option[] { freeze, head, maxLength, accumulate, warmup, saveEvery, fixedPadding, noCache })
                if (r.GetResult(o) is { Implicit: false }) throw new UserError($"{o.Name} goes with --init (a pretrained encoder)");
            var preset = r.GetValue(quick) ? TrainingRecipe.Quick : TrainingRecipe.Paper;
            var dev = r.GetValue(device) is { } ds ? Devices.Parse(ds) : null;
            var dataOptions = (preset.Data with
            {
                Tokenizer = r.GetValue(tokenizer) ?? preset.Data.Tokenizer,
                Length = r.GetValue(length) ?? preset.Data.Length,
                IncludeMask = r.GetValue(mask),
                ValidationCount = r.GetValue(valCount) ?? preset.Data.ValidationCount,
                TestCount = r.GetValue(testCount),
                SplitSeed = r.GetValue(splitSeed) ?? preset.Data.SplitSeed,
                MaxTrain = r.GetValue(maxTrain) ?? preset.Data.MaxTrain,
                MaxValidation = r.GetValue(maxVal) ?? preset.Data.MaxValidation,
                MaxTest = r.GetValue(maxTest) ?? preset.Data.MaxTest,
            }).Validate();
            var options = preset.Training with
            {
                Epochs = r.GetValue(epochs) ?? preset.Training.Epochs,
                BatchSize = r.GetValue(batch) ?? preset.Training.BatchSize,
                LearningRate = r.GetValue(lr) ?? preset.Training.LearningRate,
                WeightDecay = r.GetValue(wd) ?? preset.Training.WeightDecay,
                Seed = r.GetValue(seed) ?? preset.Training.Seed,
                EvalBatchSize = r.GetValue(evalBatch) ?? 256,
                Device = dev,
            };
            options.Validate();
            bool transformer = r.GetValue(arch) == "transformer";
            foreach (var (o, forTransformer) in new (Option, bool)[] { (embed, false), (att, false), (outDim, false), (noPosition, false),
                         (layers, true), (dim, true), (headDim, true), (ff, true), (dropout, true), (norm, true) })
                if (forTransformer != transformer && r.GetResult(o) is { Implicit: false })
                    throw new UserError($"{o.Name} applies to --arch {(forTransformer ? "transformer" : "paper")} only");
            // The model's sizes, given the vocabulary and the classes the data brings; checked now with placeholders.
            Func<int, int, IModelArchitecture> architecture = transformer
                ? (vocab, classes) =>
                {
                    int d = r.GetValue(dim) ?? transformerDefaults.ModelDim;
                    return (transformerDefaults with
                    {
                        VocabSize = vocab, ModelDim = d, Heads = r.GetValue(heads) ?? transformerDefaults.Heads,
                        HeadDim = r.GetValue(headDim) ?? transformerDefaults.HeadDim, Layers = r.GetValue(layers) ?? transformerDefaults.Layers,
                        FeedForwardDim = r.GetValue(ff) ?? 4 * d, Dropout = r.GetValue(dropout) ?? transformerDefaults.Dropout,
                        Length = dataOptions.Length, Classes = classes, PaddingMask = dataOptions.IncludeMask,
                        Norm = r.GetValue(norm) == "post" ? NormPlacement.Post : NormPlacement.Pre,
                        ClsId = Data.Text.Vocabulary.ClsId, UnkId = Data.Text.Vocabulary.UnkId,
                    }).Validate();
                }
                : (vocab, classes) => new ModelConfig(vocab, r.GetValue(embed) ?? preset.EmbedDim, r.GetValue(att) ?? preset.AttDim,
                    r.GetValue(outDim) ?? preset.OutDim, r.GetValue(heads) ?? preset.Heads, dataOptions.Length, classes, dataOptions.IncludeMask,
                    Data.Text.Vocabulary.ClsId, Data.Text.Vocabulary.UnkId, PositionEncoding: !r.GetValue(noPosition)).Validate();
            architecture(2, 2);
            // The options that size the model, as given, for the memory check's message.
            var sizing = new Option[] { embed, att, outDim, heads, layers, dim, headDim, ff, length, batch }
                .Where(o => r.GetResult(o) is { Implicit: false }).Select(o => $"{o.Name} ({r.GetResult(o)!.Tokens.FirstOrDefault()?.Value})").ToList();
            // Now with the smallest vocabulary (the Transformer's attention maps grow with L^2 whatever the data), and
            // again once the data's vocabulary is known, before the model is made.
            MemoryEstimate.Check(MemoryEstimate.TrainingBytes(architecture(2, 2), options.BatchSize), "training this model", sizing);
            var outDir = Output.Folder(r.GetValue(output)!);
            if (File.Exists(Path.Combine(outDir, ModelCheckpoint.ConfigFile)) && !Trainer.HasResumableState(outDir))
                throw new IOException($"--out {outDir} already holds a trained model (config.json) without a resumable state; choose another --out folder");
            CliRunner.ApplyThreads(r.GetValue(threads));
            bool plain = r.GetValue(noProgress) || Console.IsOutputRedirected;
            return Run(r.GetValue(dataArgs.Data), dataArgs.Build(r), outDir, dataOptions, options, architecture, plain, sizing);
        });
        return cmd;
    }

    /// <summary>`train --init DIR`: a classifier with a new head on a frozen pretrained encoder
    /// (<see cref="AttnXai.Model.Pretrained.FrozenEncoderTraining"/>), the data split as for every other model.</summary>
    private static int RunInit(ParseResult r, string initDir, string? dataPath, LabelledTextOptions fileOptions, string output, string head, int? maxLength,
        int? epochs, int? batch, double? lr, double? wd, long seed, ulong splitSeed, int? valCount, int? testCount, int? maxTrain, int? maxVal, int? maxTest,
        int? evalBatch, int? threads)
    {
        var inv = CultureInfo.InvariantCulture;
        var dir = InitFolder(initDir);
        var outDir = Output.Folder(output);
        if (File.Exists(Path.Combine(outDir, ModelCheckpoint.ConfigFile)))
            throw new IOException($"--out {outDir} already holds a trained model (config.json); choose another --out folder");
        var dataOptions = new DataOptions { ValidationCount = valCount, TestCount = testCount, SplitSeed = splitSeed, MaxTrain = maxTrain, MaxValidation = maxVal, MaxTest = maxTest }.Validate();
        var options = new AttnXai.Model.Pretrained.HeadTrainingOptions
        {
            Head = AttnXai.Model.Pretrained.PretrainedModel.ParseHead(head, "--head"),
            Length = maxLength,
            Epochs = epochs ?? 30,
            BatchSize = batch ?? 32,
            LearningRate = lr ?? 1e-3,
            WeightDecay = wd ?? 0.01,
            Seed = seed,
            EvalBatchSize = evalBatch ?? 32,
        };
        CliRunner.ApplyThreads(threads);
        var (source, train, validation, test, settings) = ReadParts(dataPath, fileOptions, dataOptions);
        Console.WriteLine(string.Create(inv, $"encoder: {dir} (frozen), head {head}; train {train.Count}, validation {validation.Count}, test {test.Count}; {torch.get_num_threads()} threads"));
        var outcome = AttnXai.Model.Pretrained.FrozenEncoderTraining.Run(dir, outDir, train, validation, test, source.Labels, options, settings, Console.WriteLine);
        Console.WriteLine(string.Create(inv,
            $"best epoch {outcome.BestEpoch}: validation {outcome.ValidationAccuracy:P2}, test {outcome.TestAccuracy:P2} ({test.Count} documents); encoding {outcome.EncodeSeconds:F0} s, head {outcome.TrainSeconds:F1} s; wrote {outDir}"));
        return 0;
    }

    /// <summary>--init's folder, checked: it exists and is a Hugging Face checkpoint folder.</summary>
    private static string InitFolder(string initDir)
    {
        var dir = Path.GetFullPath(initDir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--init: folder not found: {dir}");
        if (!AttnXai.Model.Pretrained.HfCheckpoint.IsCheckpointFolder(dir))
            throw new InvalidDataException($"--init {dir}: not a pretrained checkpoint folder (a config.json with a model_type such as bert; `attnxai import` makes one)");
        return dir;
    }

    /// <summary>The parts a pretrained model trains on: the data split as for every other model, subsampled.</summary>
    private static (SourceParts Source, IReadOnlyList<LabelledDocument> Train, IReadOnlyList<LabelledDocument> Validation, IReadOnlyList<LabelledDocument> Test, System.Text.Json.Nodes.JsonObject Settings)
        ReadParts(string? dataPath, LabelledTextOptions fileOptions, DataOptions dataOptions)
    {
        var source = DataSource.Read(dataPath, fileOptions, Console.WriteLine);
        Console.WriteLine($"data: {source.Description}");
        var parts = PartSplit.Apply(source, dataOptions.ValidationCount, dataOptions.TestCount, dataOptions.SplitSeed);
        var train = DataPreparation.Subsample(parts.Train, dataOptions.MaxTrain, dataOptions.SplitSeed, 101);
        var validation = DataPreparation.Subsample(parts.Validation, dataOptions.MaxValidation, dataOptions.SplitSeed, 102);
        var test = DataPreparation.Subsample(parts.Test, dataOptions.MaxTest, dataOptions.SplitSeed, 103);
        var settings = DataPreparation.SettingsJson(source, parts, dataOptions with { Tokenizer = "wordpiece" }, fileOptions);
        return (source, train, validation, test, settings);
    }

    /// <summary>`train --init DIR --freeze none|layers:K`: fine-tuning (<see cref="AttnXai.Model.Pretrained.FineTuning"/>),
    /// resumable at any step; SIGTERM and SIGINT save the state and stop (exit 143 / 130).</summary>
    private static int RunFineTune(ParseResult r, string initDir, DataArgs dataArgs, Option<string> output, string freezeName, Option<string?> head, Option<int?> maxLength,
        Option<int?> epochs, Option<int?> batch, Option<double?> lr, Option<double?> wd, Option<long?> seed, Option<ulong?> splitSeed, Option<int?> valCount, Option<int?> testCount,
        Option<int?> maxTrain, Option<int?> maxVal, Option<int?> maxTest, Option<int?> evalBatch, Option<int?> threads, Option<int?> accumulate, Option<double?> warmup,
        Option<int?> saveEvery, Option<bool> fixedPadding, Option<bool> noCache)
    {
        var inv = CultureInfo.InvariantCulture;
        var dir = InitFolder(initDir);
        var outDir = Output.Folder(r.GetValue(output)!);
        if (File.Exists(Path.Combine(outDir, ModelCheckpoint.ConfigFile)) && !AttnXai.Model.Pretrained.FineTuning.HasResumableState(outDir))
            throw new IOException($"--out {outDir} already holds a trained model (config.json); choose another --out folder");
        ulong split = r.GetValue(splitSeed) ?? Data.Imdb.DataSplits.PaperSeed;
        var dataOptions = new DataOptions
        {
            ValidationCount = r.GetValue(valCount), TestCount = r.GetValue(testCount), SplitSeed = split,
            MaxTrain = r.GetValue(maxTrain), MaxValidation = r.GetValue(maxVal), MaxTest = r.GetValue(maxTest),
        }.Validate();
        var options = new AttnXai.Model.Pretrained.FineTuneOptions
        {
            Head = AttnXai.Model.Pretrained.PretrainedModel.ParseHead(r.GetValue(head) ?? "mean", "--head"),
            Length = r.GetValue(maxLength),
            FrozenLayers = AttnXai.Model.Pretrained.FineTuneOptions.ParseFreeze(freezeName),
            Epochs = r.GetValue(epochs) ?? 2,
            BatchSize = r.GetValue(batch) ?? 16,
            Accumulation = r.GetValue(accumulate) ?? 1,
            LearningRate = r.GetValue(lr) ?? 5e-5,
            Warmup = r.GetValue(warmup) ?? 0.1,
            WeightDecay = r.GetValue(wd) ?? 0.01,
            Seed = r.GetValue(seed) ?? 42,
            DynamicPadding = !r.GetValue(fixedPadding),
            CacheFrozen = !r.GetValue(noCache),
            SaveEvery = r.GetValue(saveEvery) ?? 50,
            EvalBatchSize = r.GetValue(evalBatch) ?? 32,
        };
        CliRunner.ApplyThreads(r.GetValue(threads));
        var (source, train, validation, test, settings) = ReadParts(r.GetValue(dataArgs.Data), dataArgs.Build(r), dataOptions);
        Console.WriteLine(string.Create(inv, $"encoder: {dir}, head {r.GetValue(head) ?? "mean"}, freeze {options.FreezeName}; train {train.Count}, validation {validation.Count}, test {test.Count}"));
        using var stop = new CancellationTokenSource();
        int signal = 0;
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext c)
        {
            c.Cancel = true;
            if (signal == 0) Console.WriteLine($"{c.Signal}: saving the state after the current step, then stopping");
            signal = c.Signal == System.Runtime.InteropServices.PosixSignal.SIGINT ? 130 : 143;
            stop.Cancel();
        }
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        var outcome = AttnXai.Model.Pretrained.FineTuning.Run(dir, outDir, train, validation, test, source.Labels, options, settings, Console.WriteLine, stop.Token);
        if (!outcome.Completed) return signal == 0 ? 143 : signal;
        Console.WriteLine(string.Create(inv,
            $"best epoch {outcome.BestEpoch}: validation {outcome.ValidationAccuracy:P2}, test {outcome.TestAccuracy:P2} ({test.Count} documents); {outcome.Steps} steps, {outcome.Seconds / 60:F1} min; wrote {outDir}"));
        return 0;
    }

    private static int Run(string? dataPath, LabelledTextOptions fileOptions, string output, DataOptions dataOptions, TrainingOptions options,
        Func<int, int, IModelArchitecture> architecture, bool plain, IReadOnlyList<string> sizing)
    {
        var inv = CultureInfo.InvariantCulture;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var source = DataSource.Read(dataPath, fileOptions, Console.WriteLine);
        Console.WriteLine($"data: {source.Description}");
        var data = DataPreparation.Prepare(source, dataOptions, fileOptions);
        Console.WriteLine($"labels: {data.Labels.Describe()}");
        var config = architecture(data.Vocabulary.Count, data.Labels.Count);
        MemoryEstimate.Check(MemoryEstimate.TrainingBytes(config, options.BatchSize),
            string.Create(inv, $"training this model ({config.Summary}, with the data's vocabulary of {data.Vocabulary.Count:N0} tokens)"), sizing);
        string split = data.Parts.TestSplitCount is { } tc ? $" (validation and test split out of one file, seed {dataOptions.SplitSeed})"
            : data.Parts.ValidationSplitCount is not null ? $" (validation split out of the train part, seed {dataOptions.SplitSeed})" : "";
        Console.WriteLine(string.Create(inv,
            $"read and encoded in {clock.Elapsed.TotalSeconds:F1} s: vocabulary {data.Vocabulary.Count} tokens ({dataOptions.Tokenizer}), train {data.Train.Count}, validation {data.Validation.Count}, test {data.Test.Count}{split}"));
        long parameters = config switch { ModelConfig m => m.ParameterCount, TransformerConfig t => t.ParameterCount, _ => 0 };
        Console.WriteLine(string.Create(inv, $"model: {config.Summary}, {config.Classes} classes, {parameters:N0} parameters"));
        Console.WriteLine(string.Create(inv,
            $"training: AdamW lr {options.LearningRate:G}, weight decay {options.WeightDecay:G}, batch {options.BatchSize}, {options.Epochs} epochs, seed {options.Seed}, {torch.get_num_threads()} threads, device {options.Device?.ToString() ?? "cpu"}"));

        TrainingOutcome outcome;
        if (plain)
        {
            var trainer = MakeTrainer(config, options, data, output, new PlainObserver());
            outcome = trainer.Run();
        }
        else
        {
            outcome = null!;
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx => outcome = MakeTrainer(config, options, data, output, new SpectreObserver(ctx)).Run());
        }
        using (outcome.Model)
        {
            Console.WriteLine(string.Create(inv, $"best epoch {outcome.BestEpoch}: validation accuracy {outcome.Validation.Accuracy:P2} ({outcome.Validation.Correct}/{outcome.Validation.Count})"));
            if (outcome.Test is { } t) Console.WriteLine(string.Create(inv, $"test accuracy {t.Accuracy:P2} ({t.Correct}/{t.Count}), loss {t.Loss:F4}"));
            Console.WriteLine(string.Create(inv, $"training time {outcome.Seconds:F1} s (this process {clock.Elapsed.TotalSeconds:F1} s, {outcome.Steps} steps)"));
            Console.WriteLine($"model written to {Path.GetFullPath(output)} (labels: {data.Labels})");
        }
        return 0;
    }

    private static Trainer MakeTrainer(IModelArchitecture config, TrainingOptions options, PreparedData data, string output, ITrainingObserver observer) =>
        new(config, options, data.Train, data.Validation, data.Test, output)
        {
            Vocabulary = data.Vocabulary,
            Tokenizer = data.Tokenizer.Name,
            DataSettings = data.Settings,
            Labels = data.Labels,
            Observer = observer,
        };

    private static string EpochLine(EpochMetrics m, bool best) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch}: train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2} | val loss {m.ValidationLoss:F4} acc {m.ValidationAccuracy:P2} | {m.Seconds:F1} s{(best ? " (best)" : "")}");

    /// <summary>One line at every tenth of an epoch and one per epoch (for logs and CI).</summary>
    private sealed class PlainObserver : ITrainingObserver
    {
        private int _batches, _epochs;
        public void Started(int firstEpoch, int epochs, int batchesPerEpoch) { _batches = batchesPerEpoch; _epochs = epochs; }
        public void Step(int epoch, int batch, double meanLoss, double meanAccuracy)
        {
            int every = Math.Max(1, _batches / 10);
            if (batch % every == 0 || batch == _batches)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{_epochs} batch {batch}/{_batches} loss {meanLoss:F4} acc {meanAccuracy:P2}"));
        }
        public void EpochCompleted(EpochMetrics metrics, bool best) => Console.WriteLine(EpochLine(metrics, best));
        public void Message(string text) => Console.WriteLine(text);
    }

    private sealed class SpectreObserver(ProgressContext ctx) : ITrainingObserver
    {
        private ProgressTask? _task;
        private int _batches, _epochs;
        public void Started(int firstEpoch, int epochs, int batchesPerEpoch) { _batches = batchesPerEpoch; _epochs = epochs; }
        public void Step(int epoch, int batch, double meanLoss, double meanAccuracy)
        {
            if (_task is null || batch == 1) _task = ctx.AddTask($"epoch {epoch}/{_epochs}", maxValue: _batches);
            _task.Value = batch;
            if (batch % 10 == 0 || batch == _batches)
                _task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{_epochs} loss {meanLoss:F4} acc {meanAccuracy:P1}");
        }
        public void EpochCompleted(EpochMetrics metrics, bool best) { _task = null; AnsiConsole.WriteLine(EpochLine(metrics, best)); }
        public void Message(string text) => AnsiConsole.WriteLine(text);
    }
}
