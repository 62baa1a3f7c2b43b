using System.CommandLine;
using AttnXai.Explain.Explainers;
using System.Globalization;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;
using AttnXai.Shortcuts.Study;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai shortcuts --out DIR`: the combinatorial-shortcut probe (Bai et al., KDD 2021): k label-free tokens inserted
/// into every IMDB review, a model trained with them and a control without, accuracy with the tokens masked or
/// deleted, attention on them per class, and what the explainers see. Progress on standard error; the two models are
/// checkpoint folders in DIR, reused on a rerun.
/// </summary>
public static class ShortcutsCommand
{
    public static Command Create()
    {
        var cmd = new Command("shortcuts", "Combinatorial-shortcut probe: insert label-free tokens into every IMDB review, train with and without them, measure accuracy, attention and explainers");
        var dataArgs = new DataArgs("$ATTNXAI_DATA, the cache, then ../shared/data: IMDB", DataArgs.TrainLabelsHelp);
        var outDir = new Option<string>("--out") { Description = "output folder: the two model folders, CSVs, summary.json, report.html (models reused on rerun)", Required = true };
        var tokens = new Option<int?>("--tokens") { Description = $"number of inserted tokens [s0]..[s{{k-1}}] (default {InsertionSpec.DefaultCount})" }.Range(1, Opt.MaxLength);
        var position = new Option<string?>("--position") { Description = "where they go: start (right after [CLS], default), end (after the last kept word) or N (after the first N words)" };
        var quick = new Option<bool>("--quick") { Description = $"small recipe: {TrainingRecipe.Quick} (options still override)" };
        var embed = new Option<int?>("--embed-dim") { Description = "d_e (paper 128)" }.Range(1, Opt.MaxDimension);
        var att = new Option<int?>("--att-dim") { Description = "d_att (paper 64)" }.Range(1, Opt.MaxDimension);
        var outDim = new Option<int?>("--out-dim") { Description = "d_out (paper 64)" }.Range(1, Opt.MaxDimension);
        var heads = new Option<int?>("--heads") { Description = "K (paper 6)" }.Range(1, Opt.MaxHeads);
        var epochs = new Option<int?>("--epochs") { Description = "epochs (paper 10)" }.Range(1, Opt.MaxEpochs);
        var batch = new Option<int?>("--batch-size") { Description = "mini-batch size (paper 16)" }.Range(1, Opt.MaxBatch);
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate (paper 1e-4)" }.Positive();
        var maxTrain = new Option<int?>("--max-train") { Description = "subsample the training part to N reviews" }.Range(1, Opt.MaxDocuments);
        var maxVal = new Option<int?>("--max-val") { Description = "subsample the validation part to N reviews" }.Range(1, Opt.MaxDocuments);
        var maxTest = new Option<int?>("--max-test") { Description = "subsample the test part to N reviews" }.Range(1, Opt.MaxDocuments);
        var docs = new Option<int?>("--docs") { Description = "test reviews for the explainer part (default 300; 0 skips it)" }.Range(0, Opt.MaxDocuments);
        var methods = new Option<string?>("--methods") { Description = $"comma-separated explainers (default {string.Join(",", ExplainerProbe.DefaultMethods)}; any of `explain`'s, plus random)" };
        var explainerOptions = new ExplainerOptions(new ShortcutSettings { OutDir = "." }.Explainers, settings: ExplainerOptions.Lime);
        var seed = new Option<long?>("--seed") { Description = "seed of both models' initial weights and batch order, and of the explainers' sampling (default 42)" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { outDir, tokens, position, quick, embed, att, outDim, heads, epochs, batch, lr, maxTrain, maxVal, maxTest, docs, methods }.Concat(explainerOptions.All).Concat([seed, threads]).Concat(dataArgs.All()))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            bool isQuick = r.GetValue(quick);
            var preset = isQuick ? TrainingRecipe.Quick : TrainingRecipe.Paper;
            var recipe = preset with
            {
                EmbedDim = r.GetValue(embed) ?? preset.EmbedDim,
                AttDim = r.GetValue(att) ?? preset.AttDim,
                OutDim = r.GetValue(outDim) ?? preset.OutDim,
                Heads = r.GetValue(heads) ?? preset.Heads,
                Data = preset.Data with
                {
                    MaxTrain = r.GetValue(maxTrain) ?? preset.Data.MaxTrain,
                    MaxValidation = r.GetValue(maxVal) ?? preset.Data.MaxValidation,
                    MaxTest = r.GetValue(maxTest) ?? preset.Data.MaxTest,
                },
                Training = preset.Training with
                {
                    Epochs = r.GetValue(epochs) ?? preset.Training.Epochs,
                    BatchSize = r.GetValue(batch) ?? preset.Training.BatchSize,
                    LearningRate = r.GetValue(lr) ?? preset.Training.LearningRate,
                    Seed = r.GetValue(seed) ?? preset.Training.Seed,
                },
            };
            string name = isQuick ? "quick" : "paper";
            if (recipe != preset) name += " with changes";
            var defaults = new ShortcutSettings { OutDir = "." };
            var settings = new ShortcutSettings
            {
                DataPath = r.GetValue(dataArgs.Data),
                FileOptions = dataArgs.Build(r),
                OutDir = r.GetValue(outDir)!,
                Insertion = InsertionSpec.Parse(r.GetValue(tokens) ?? InsertionSpec.DefaultCount, r.GetValue(position) ?? "start"),
                Recipe = recipe,
                RecipeName = name,
                Docs = r.GetValue(docs) ?? defaults.Docs,
                Methods = r.GetValue(methods) is { } m ? m.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : defaults.Methods,
                Explainers = ExplainerOptions.Read(r, defaults.Explainers),
            }.Validate();
            // The probe trains the paper's model on IMDB (about 100,684 words with basic_english) plus the inserted tokens.
            var sizing = new Option[] { embed, att, outDim, heads, batch, tokens }.Where(o => r.GetResult(o) is { Implicit: false })
                .Select(o => $"{o.Name} ({r.GetResult(o)!.Tokens.FirstOrDefault()?.Value})").ToList();
            MemoryEstimate.Check(MemoryEstimate.TrainingBytes(new ModelConfig(100_684 + settings.Insertion.Count, recipe.EmbedDim, recipe.AttDim, recipe.OutDim, recipe.Heads,
                recipe.Data.Length), recipe.Training.BatchSize), "training the probe's models (IMDB's vocabulary of about 100,684 words)", sizing);
            Output.Folder(settings.OutDir);
            CliRunner.ApplyThreads(r.GetValue(threads));
            var result = ShortcutStudy.Run(settings, Log, new StderrObserver());
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("model     condition  accuracy  agreement");
            foreach (var a in result.Accuracy)
                Console.WriteLine(string.Create(inv, $"{a.Model,-9} {a.Condition,-10} {a.Accuracy,8:P2}  {a.Agreement,8:P2}"));
            foreach (var line in result.Reading) Console.WriteLine(line);
            Console.WriteLine(string.Create(inv, $"wall time {result.Seconds:F1} s; results in {Path.GetFullPath(settings.OutDir)}"));
            return 0;
        });
        return cmd;
    }

    private static void Log(string line) => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");

    /// <summary>Training progress on standard error: a line every tenth of an epoch and one per epoch.</summary>
    private sealed class StderrObserver : ITrainingObserver
    {
        private int _batches, _epochs;
        public void Started(int firstEpoch, int epochs, int batchesPerEpoch) { _batches = batchesPerEpoch; _epochs = epochs; }
        public void Step(int epoch, int batch, double meanLoss, double meanAccuracy)
        {
            int every = Math.Max(1, _batches / 10);
            if (batch % every == 0 || batch == _batches)
                Log(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{_epochs} batch {batch}/{_batches} loss {meanLoss:F4} acc {meanAccuracy:P2}"));
        }
        public void EpochCompleted(EpochMetrics m, bool best) => Log(string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}: train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2} | val loss {m.ValidationLoss:F4} acc {m.ValidationAccuracy:P2} | {m.Seconds:F1} s{(best ? " (best)" : "")}"));
        public void Message(string text) => Log(text);
    }
}
