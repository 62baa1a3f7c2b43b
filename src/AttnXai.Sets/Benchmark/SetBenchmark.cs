using System.Diagnostics;
using AttnXai.Common.Random;
using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Sets.Scoring;
using AttnXai.Sets.Tasks;
using AttnXai.Sets.Training;

namespace AttnXai.Sets.Benchmark;

/// <summary>One trained model.</summary>
public sealed record ModelRow(string Task, int Model, long ModelSeed, double ValidationAccuracy, double TestAccuracy, int BestEpoch,
    double TrainSeconds, double ExplainSeconds);

/// <summary>One method (one variant) on one model, or on the ensemble (<see cref="Model"/> = "ensemble", seed null).</summary>
public sealed record MethodRow(string Task, string Model, long? ModelSeed, string Method, ScoreVariant Variant, double Accuracy, Quality Quality,
    bool SilentFailure);

/// <summary>The ensemble of a task's models for one method and variant next to its single models.</summary>
public sealed record EnsembleRow(string Task, string Method, ScoreVariant Variant, int Models,
    double SingleAurocMean, double SingleAurocSd, double SingleAurocMin, double SingleAurocMax, double EnsembleAuroc,
    double SingleAuprcMean, double SingleAuprcSd, double EnsembleAuprc,
    int SingleSilentFailures, bool EnsembleSilentFailure, double SingleAccuracyMean, double EnsembleAccuracy, double SingleSignAgreementMean)
{
    public double AurocGain => EnsembleAuroc - SingleAurocMean;
    public double AuprcGain => EnsembleAuprc - SingleAuprcMean;
}

/// <summary>Accuracy of one model (or the ensemble) on the test bags of one kind (see <see cref="SetTask.Kind"/>).</summary>
public sealed record KindRow(string Task, string Model, string Kind, int Label, int Bags, double Accuracy);

/// <summary>One explained bag of the first model, every method's raw token scores (for the report's highlights).</summary>
public sealed record ExampleBag(string Task, int Index, Bag Bag, string[] Tokens, IReadOnlyDictionary<string, double[]> Scores);

public sealed record SetBenchmarkResult(
    SetBenchmarkSettings Settings,
    IReadOnlyList<string> Methods,
    IReadOnlyList<ModelRow> Models,
    IReadOnlyList<MethodRow> Rows,
    IReadOnlyList<EnsembleRow> Ensembles,
    IReadOnlyList<KindRow> Kinds,
    IReadOnlyList<ExampleBag> Examples,
    IReadOnlyDictionary<string, IReadOnlyList<Bag>> ExplainedBags,
    IReadOnlyDictionary<string, double> MethodSeconds,
    double Seconds);

/// <summary>
/// The ground-truth set benchmark: for each task, draw train/validation/test bags, train M models (seeds Seed..Seed+M-1)
/// on the same data, explain the first bags of the test set with every chosen method, score the token scores against
/// the key instances (AUROC, AUPRC; signed methods also as |score|), flag silent failures, and ensemble the models'
/// normalised scores. Same settings, same results (libtorch on one thread; threads may change float rounding).
/// </summary>
public static class SetBenchmark
{
    public static SetBenchmarkResult Run(SetBenchmarkSettings settings, Action<string>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var clock = Stopwatch.StartNew();
        var methods = settings.MethodNames();
        var models = new List<ModelRow>();
        var rows = new List<MethodRow>();
        var ensembles = new List<EnsembleRow>();
        var examples = new List<ExampleBag>();
        var kinds = new List<KindRow>();
        var explained = new Dictionary<string, IReadOnlyList<Bag>>();
        var methodSeconds = methods.ToDictionary(m => m, _ => 0.0);
        var vocabulary = SetVocabulary.Create(settings.Bag.Fillers);
        var config = settings.Model.Config(vocabulary, settings.Bag.Length);

        foreach (var task in settings.Tasks)
        {
            // Data seeds depend on the task's fixed index, not on which tasks were chosen.
            ulong taskSeed = SplitMix64.Derive(unchecked((ulong)settings.Seed), SetTask.All.ToList().IndexOf(task));
            var train = BagGenerator.Generate(task, settings.Bag, settings.TrainBags, SplitMix64.Derive(taskSeed, 1));
            var validation = BagGenerator.Generate(task, settings.Bag, settings.ValidationBags, SplitMix64.Derive(taskSeed, 2));
            var test = BagGenerator.Generate(task, settings.Bag, settings.TestBags, SplitMix64.Derive(taskSeed, 3));
            var bags = test.Take(settings.Bags).ToList();
            explained[task.Name] = bags;
            var encTrain = SetTraining.Encode(train, config.Length, config.PaddingMask);
            var encVal = SetTraining.Encode(validation, config.Length, config.PaddingMask);
            var encTest = SetTraining.Encode(test, config.Length, config.PaddingMask);
            var tokens = bags.Select(b => b.TokenIds.Select(id => vocabulary[(int)id]).ToArray()).ToList();
            var docs = tokens.Select((t, i) => ExplainDocument.FromTokens(string.Join(' ', t), t, w => vocabulary.GetId(w), config, $"{task.Name} bag {i}")).ToList();
            // The report's example: the first scorable bag with the most kinds of key word (A and N together in "negative").
            int example = Enumerable.Range(0, bags.Count).Where(i => bags[i].Scorable)
                .OrderByDescending(i => bags[i].TokenIds.Where((_, t) => bags[i].Key[t]).Distinct().Count()).ThenByDescending(i => bags[i].Label)
                .DefaultIfEmpty(0).First();

            // scores[method][model][bag] = token scores
            var scores = methods.ToDictionary(m => m, _ => new List<IReadOnlyList<double[]>>());
            var logitSum = new double[test.Count * 2];
            var accuracies = new List<double>();
            for (int m = 0; m < settings.Seeds; m++)
            {
                cancellation.ThrowIfCancellationRequested();
                long modelSeed = settings.Seed + m;
                var outcome = SetTraining.Train(config, settings.Model.Training(modelSeed), encTrain, encVal, encTest);
                using var model = outcome.Model;
                double acc = outcome.Test!.Accuracy;
                accuracies.Add(acc);
                var logits = Evaluation.Logits(model, encTest);
                for (int i = 0; i < logits.Length; i++) logitSum[i] += logits[i];
                kinds.AddRange(KindAccuracy(task, test, logits, m.ToString(System.Globalization.CultureInfo.InvariantCulture)));

                var explainClock = Stopwatch.StartNew();
                var explainers = settings.ParseMethods(SplitMix64.Derive(unchecked((ulong)modelSeed), 7));
                var target = new ExplainTarget(model, vocabulary);
                var perMethod = new Dictionary<string, double[][]>();
                foreach (var ex in explainers)
                {
                    var c = Stopwatch.StartNew();
                    var xs = ex.Explain(target, docs);
                    perMethod[ex.Name] = xs.Select(x => x.TokenScores).ToArray();
                    methodSeconds[ex.Name] += c.Elapsed.TotalSeconds;
                }
                double explainSeconds = explainClock.Elapsed.TotalSeconds;
                models.Add(new ModelRow(task.Name, m, modelSeed, outcome.Validation.Accuracy, acc, outcome.BestEpoch, outcome.Seconds, explainSeconds));

                foreach (var method in methods)
                {
                    scores[method].Add(perMethod[method]);
                    foreach (var v in ExplanationQuality.Variants(method))
                    {
                        var q = ExplanationQuality.Score(bags, perMethod[method].Select(s => ExplanationQuality.Apply(s, v)).ToList());
                        rows.Add(new MethodRow(task.Name, m.ToString(System.Globalization.CultureInfo.InvariantCulture), modelSeed, method, v, acc, q,
                            Silent(settings, acc, q.Auroc)));
                    }
                }
                if (m == 0)
                    examples.Add(new ExampleBag(task.Name, example, bags[example], tokens[example], perMethod.ToDictionary(kv => kv.Key, kv => kv.Value[example])));
                var best = rows.Where(r => r.Task == task.Name && r.ModelSeed == modelSeed && !ExplainerRegistry.InfoOf(r.Method).Baseline)
                    .OrderByDescending(r => r.Quality.Auroc).FirstOrDefault();
                var inv = System.Globalization.CultureInfo.InvariantCulture;
                var bestText = best is null ? "" : string.Create(inv, $"; best AUROC {best.Quality.Auroc:F3} ({Label(best.Method, best.Variant)})");
                progress?.Invoke(string.Create(inv,
                    $"{task.Name}: model {m + 1}/{settings.Seeds} (seed {modelSeed}) trained in {outcome.Seconds:F1} s, test accuracy {acc:F3}; {methods.Count} methods in {explainSeconds:F1} s{bestText}"));
            }

            // The ensemble: averaged logits for accuracy, averaged normalised scores for explanations.
            int correct = 0;
            for (int i = 0; i < test.Count; i++)
                if ((logitSum[2 * i + 1] > logitSum[2 * i] ? 1 : 0) == test[i].Label) correct++;
            double ensembleAcc = (double)correct / test.Count;
            kinds.AddRange(KindAccuracy(task, test, logitSum, "ensemble"));
            foreach (var method in methods)
                foreach (var v in ExplanationQuality.Variants(method))
                {
                    var q = ExplanationQuality.Score(bags, ExplanationQuality.Ensemble(scores[method], v));
                    bool silent = Silent(settings, ensembleAcc, q.Auroc);
                    rows.Add(new MethodRow(task.Name, "ensemble", null, method, v, ensembleAcc, q, silent));
                    var singles = rows.Where(r => r.Task == task.Name && r.ModelSeed is not null && r.Method == method && r.Variant == v).ToList();
                    var (am, asd) = ExplanationQuality.MeanSd(singles.Select(r => r.Quality.Auroc));
                    var (pm, psd) = ExplanationQuality.MeanSd(singles.Select(r => r.Quality.Auprc));
                    var finite = singles.Select(r => r.Quality.Auroc).Where(double.IsFinite).DefaultIfEmpty(double.NaN).ToList();
                    ensembles.Add(new EnsembleRow(task.Name, method, v, settings.Seeds, am, asd, finite.Min(), finite.Max(), q.Auroc,
                        pm, psd, q.Auprc, singles.Count(r => r.SilentFailure), silent, accuracies.Average(), ensembleAcc,
                        ExplanationQuality.MeanSd(singles.Select(r => r.Quality.SignAgreement)).Mean));
                }
        }
        return new SetBenchmarkResult(settings, methods, models, rows, ensembles, kinds, examples, explained, methodSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Accuracy per kind of test bag from logits [bags, 2] (row-major).</summary>
    private static IEnumerable<KindRow> KindAccuracy(SetTask task, IReadOnlyList<Bag> test, double[] logits, string model) =>
        Enumerable.Range(0, test.Count)
            .GroupBy(i => (Kind: task.Kind(test[i]), test[i].Label))
            .OrderBy(g => g.Key.Label).ThenBy(g => g.Key.Kind, StringComparer.Ordinal)
            .Select(g => new KindRow(task.Name, model, g.Key.Kind, g.Key.Label, g.Count(),
                g.Count(i => (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == test[i].Label) / (double)g.Count()));

    public static bool Silent(SetBenchmarkSettings s, double accuracy, double auroc) =>
        accuracy >= s.AccuracyThreshold && double.IsFinite(auroc) && auroc < s.AurocThreshold;

    /// <summary>"GxI" or "|GxI|".</summary>
    public static string Label(string method, ScoreVariant variant) => variant == ScoreVariant.Abs ? $"|{method}|" : method;
}
