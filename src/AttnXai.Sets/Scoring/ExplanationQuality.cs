using AttnXai.Explain.Explainers;
using AttnXai.Sets.Tasks;
using AttnXai.Explain.Metrics;

namespace AttnXai.Sets.Scoring;

/// <summary>How a method's token scores are read: as given, or their absolute value (for signed methods).</summary>
public enum ScoreVariant
{
    Raw,
    Abs,
}

/// <summary>
/// How well one method's token scores find the key instances of a set of bags.
/// </summary>
/// <param name="Auroc">Mean over the scorable bags (key and non-key tokens) of the per-bag AUROC.</param>
/// <param name="AurocSd">Standard deviation (n - 1) of the per-bag AUROC.</param>
/// <param name="Auprc">Mean per-bag average precision over the scorable bags.</param>
/// <param name="PooledAuroc">AUROC over all tokens of all bags at once (scores compared across bags).</param>
/// <param name="PooledAuprc">Average precision over all tokens of all bags at once.</param>
/// <param name="BagsScored">Number of scorable bags.</param>
/// <param name="PerBagAuroc">Per bag (NaN when not scorable).</param>
/// <param name="SignAgreement">Over every key token of the bags: the fraction whose score has the sign of its polarity
/// (+1 evidence for the positive class, -1 for the negative class), a zero score counting 1/2. An unsigned method
/// scores the fraction of positive-evidence keys; NaN without keys.</param>
public sealed record Quality(double Auroc, double AurocSd, double Auprc, double AuprcSd, double PooledAuroc, double PooledAuprc,
    int BagsScored, double[] PerBagAuroc, double[] PerBagAuprc, double SignAgreement = double.NaN);

public static class ExplanationQuality
{
    /// <summary>True for methods whose scores carry a sign, as their catalogue entries declare.</summary>
    public static bool IsSigned(string method) => ExplainerRegistry.IsSigned(method);

    /// <summary>The variants reported for a method: Raw, plus Abs for signed methods.</summary>
    public static IReadOnlyList<ScoreVariant> Variants(string method) =>
        IsSigned(method) ? [ScoreVariant.Raw, ScoreVariant.Abs] : [ScoreVariant.Raw];

    public static double[] Apply(double[] scores, ScoreVariant variant) =>
        variant == ScoreVariant.Abs ? scores.Select(Math.Abs).ToArray() : scores;

    /// <summary>Quality of per-bag token scores (scores[i] has one value per token of bags[i]).</summary>
    public static Quality Score(IReadOnlyList<Bag> bags, IReadOnlyList<double[]> scores)
    {
        ArgumentNullException.ThrowIfNull(bags);
        ArgumentNullException.ThrowIfNull(scores);
        if (bags.Count != scores.Count) throw new ArgumentException($"{scores.Count} score vectors for {bags.Count} bags");
        var aurocs = new double[bags.Count];
        var auprcs = new double[bags.Count];
        var pooledScores = new List<double>();
        var pooledKeys = new List<bool>();
        double agree = 0;
        int keys = 0;
        for (int i = 0; i < bags.Count; i++)
        {
            if (scores[i].Length != bags[i].Count)
                throw new ArgumentException($"bag {i} has {bags[i].Count} tokens but {scores[i].Length} scores");
            pooledScores.AddRange(scores[i]);
            pooledKeys.AddRange(bags[i].Key);
            for (int t = 0; t < bags[i].Count; t++)
                if (bags[i].Key[t])
                {
                    keys++;
                    double signed = scores[i][t] * bags[i].Polarity[t];
                    agree += signed > 0 ? 1 : signed == 0 ? 0.5 : 0;
                }
            (aurocs[i], auprcs[i]) = bags[i].Scorable
                ? (RankingMetrics.Auroc(scores[i], bags[i].Key), RankingMetrics.AveragePrecision(scores[i], bags[i].Key))
                : (double.NaN, double.NaN);
        }
        var ps = pooledScores.ToArray();
        var pk = pooledKeys.ToArray();
        var (ma, sa) = MeanSd(aurocs);
        var (mp, sp) = MeanSd(auprcs);
        return new Quality(ma, sa, mp, sp, RankingMetrics.Auroc(ps, pk), RankingMetrics.AveragePrecision(ps, pk),
            aurocs.Count(double.IsFinite), aurocs, auprcs, keys == 0 ? double.NaN : agree / keys);
    }

    /// <summary>Scores divided by their largest absolute value (all-zero scores stay zero), so that models are weighed alike.</summary>
    public static double[] NormalisePerBag(double[] scores)
    {
        double max = scores.Length == 0 ? 0 : scores.Max(Math.Abs);
        return max > 0 ? scores.Select(s => s / max).ToArray() : (double[])scores.Clone();
    }

    /// <summary>
    /// The ensemble's token scores: per bag, the mean over models of each model's per-bag normalised scores (after the
    /// variant, so Abs averages |scores|). perModel[m][i] are model m's scores of bag i.
    /// </summary>
    public static double[][] Ensemble(IReadOnlyList<IReadOnlyList<double[]>> perModel, ScoreVariant variant)
    {
        ArgumentNullException.ThrowIfNull(perModel);
        if (perModel.Count == 0) throw new ArgumentException("an ensemble needs at least one model");
        int bags = perModel[0].Count;
        var result = new double[bags][];
        for (int i = 0; i < bags; i++)
        {
            var sum = new double[perModel[0][i].Length];
            foreach (var model in perModel)
            {
                var s = NormalisePerBag(Apply(model[i], variant));
                if (s.Length != sum.Length) throw new ArgumentException($"bag {i}: models give different numbers of scores");
                for (int t = 0; t < s.Length; t++) sum[t] += s[t];
            }
            for (int t = 0; t < sum.Length; t++) sum[t] /= perModel.Count;
            result[i] = sum;
        }
        return result;
    }

    /// <summary>Mean and sample standard deviation of the finite values (NaN when none; sd NaN with fewer than two).</summary>
    public static (double Mean, double Sd) MeanSd(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = v.Average();
        double sd = v.Length < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, sd);
    }
}
