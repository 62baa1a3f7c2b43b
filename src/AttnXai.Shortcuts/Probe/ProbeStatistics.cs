using AttnXai.Explain.Metrics;

namespace AttnXai.Shortcuts.Probe;

/// <summary>Accuracy of one model under one condition; <see cref="Agreement"/> is the share of documents whose
/// prediction equals the prediction in the inserted condition.</summary>
public sealed record AccuracyRow(string Model, string Condition, int Documents, int Correct, double Accuracy, double Agreement);

/// <summary>Mean attention mass (and its standard deviation) of one head ("mean" = mean over heads) on one inserted
/// token ("all" = the k tokens together), over the documents of one group: all documents, or those of one class
/// (predicted or true).</summary>
public sealed record MassRow(string Model, string Head, string Token, string Group, string Class, int Documents, double Mean, double Sd);

/// <summary>
/// How well one head's attention on one inserted token separates the two classes (predicted or true): the mean mass
/// in each class, their difference (class 1 minus class 0) and the AUROC of the mass as a score for class 1 (ties
/// count one half; 0.5 = no separation, 0 or 1 = perfect).
/// </summary>
public sealed record SeparationRow(string Model, string Head, string Token, string Group, int Documents0, int Documents1,
    double Mean0, double Mean1, double Difference, double Auroc)
{
    /// <summary>|AUROC - 0.5| x 2: 0 = no separation, 1 = perfect, whichever the direction.</summary>
    public double Strength => Math.Abs(Auroc - 0.5) * 2;
}

/// <summary>The probe's verdict: does attention on inserted tokens encode the class, and does the prediction rely on them?</summary>
/// <param name="Strongest">The head/token with the largest separation strength of the predicted class (heads and tokens
/// taken one by one, "mean" and "all" included).</param>
/// <param name="EncodesClass">Separation strength at least the threshold and a mean-mass difference at least the threshold.</param>
/// <param name="MaskedDrop">Accuracy in the inserted condition minus accuracy with the tokens masked.</param>
/// <param name="DeletedDrop">Accuracy in the inserted condition minus accuracy with the tokens deleted.</param>
/// <param name="ReliesOnTokens">The prediction changes for at least the threshold share of documents when the tokens are
/// masked out of attention. Masking, not deletion, decides: deleting the tokens also moves every later word by k
/// positions (another positional encoding), which changes predictions of a model that never looks at the tokens.</param>
public sealed record ShortcutVerdict(string Model, SeparationRow? Strongest, bool EncodesClass, double MaskedDrop, double DeletedDrop,
    double MaskedFlips, double DeletedFlips, bool ReliesOnTokens);

/// <summary>Thresholds of <see cref="ShortcutVerdict"/>.</summary>
public sealed record VerdictThresholds
{
    /// <summary>|AUROC - 0.5| x 2 at least this (AUROC outside [0.25, 0.75] by default).</summary>
    public double Strength { get; init; } = 0.5;
    /// <summary>|mean mass in class 1 - in class 0| at least this.</summary>
    public double MassDifference { get; init; } = 0.01;
    /// <summary>Share of predictions changed by masking the tokens at least this.</summary>
    public double Flips { get; init; } = 0.05;
}

/// <summary>The probe's tables from <see cref="ProbeOutputs"/> (plain loops in double).</summary>
public static class ProbeStatistics
{
    public const string AllHeads = "mean";
    public const string AllTokens = "all";

    public static IReadOnlyList<AccuracyRow> Accuracy(string model, ProbeOutputs o)
    {
        var rows = new List<AccuracyRow>();
        var reference = o.Predicted;
        foreach (var c in Conditions.All)
        {
            if (!o.Predictions.TryGetValue(c, out var p)) continue;
            int correct = 0, same = 0;
            for (int i = 0; i < o.Count; i++)
            {
                if (p[i] == o.Labels[i]) correct++;
                if (p[i] == reference[i]) same++;
            }
            rows.Add(new AccuracyRow(model, c, o.Count, correct, Ratio(correct, o.Count), Ratio(same, o.Count)));
        }
        return rows;
    }

    /// <summary>The mass of document i for a head (or -1 = mean over heads) and a token (or -1 = sum over tokens).</summary>
    public static double Mass(ProbeOutputs o, int i, int head, int token)
    {
        double s = 0;
        int h0 = head < 0 ? 0 : head, h1 = head < 0 ? o.Heads : head + 1;
        int j0 = token < 0 ? 0 : token, j1 = token < 0 ? o.Tokens : token + 1;
        for (int h = h0; h < h1; h++)
            for (int j = j0; j < j1; j++) s += o.MassAt(i, h, j);
        return head < 0 ? s / o.Heads : s;
    }

    /// <summary>Every (head or mean) x (token or all) x group (all / predicted class c / true class c).</summary>
    public static IReadOnlyList<MassRow> MassTable(string model, ProbeOutputs o, IReadOnlyList<string> tokenNames)
    {
        var rows = new List<MassRow>();
        foreach (var (head, headName) in Heads(o))
            foreach (var (token, tokenName) in Tokens(o, tokenNames))
            {
                var m = new double[o.Count];
                for (int i = 0; i < o.Count; i++) m[i] = Mass(o, i, head, token);
                rows.Add(Row(model, headName, tokenName, "all", "all", m, _ => true));
                foreach (var (group, classes) in new[] { ("predicted", o.Predicted), ("true", o.Labels) })
                    for (int c = 0; c <= 1; c++)
                        rows.Add(Row(model, headName, tokenName, group, c.ToString(System.Globalization.CultureInfo.InvariantCulture), m, i => classes[i] == c));
            }
        return rows;
    }

    public static IReadOnlyList<SeparationRow> SeparationTable(string model, ProbeOutputs o, IReadOnlyList<string> tokenNames)
    {
        var rows = new List<SeparationRow>();
        foreach (var (head, headName) in Heads(o))
            foreach (var (token, tokenName) in Tokens(o, tokenNames))
            {
                var m = new double[o.Count];
                for (int i = 0; i < o.Count; i++) m[i] = Mass(o, i, head, token);
                foreach (var (group, classes) in new[] { ("predicted", o.Predicted), ("true", o.Labels) })
                {
                    var x0 = new List<double>();
                    var x1 = new List<double>();
                    for (int i = 0; i < o.Count; i++) (classes[i] == 1 ? x1 : x0).Add(m[i]);
                    double m0 = Mean(x0), m1 = Mean(x1);
                    rows.Add(new SeparationRow(model, headName, tokenName, group, x0.Count, x1.Count, m0, m1, m1 - m0, Auroc(x0, x1)));
                }
            }
        return rows;
    }

    public static ShortcutVerdict Verdict(string model, ProbeOutputs o, IReadOnlyList<string> tokenNames, VerdictThresholds? thresholds = null)
    {
        thresholds ??= new VerdictThresholds();
        var acc = Accuracy(model, o).ToDictionary(r => r.Condition);
        var strongest = SeparationTable(model, o, tokenNames)
            .Where(r => r.Group == "predicted" && double.IsFinite(r.Auroc))
            .OrderByDescending(r => r.Strength).ThenByDescending(r => Math.Abs(r.Difference)).FirstOrDefault();
        bool encodes = strongest is not null && strongest.Strength >= thresholds.Strength && Math.Abs(strongest.Difference) >= thresholds.MassDifference;
        double inserted = acc[Conditions.Inserted].Accuracy;
        double maskedFlips = 1 - acc[Conditions.Masked].Agreement, deletedFlips = 1 - acc[Conditions.Deleted].Agreement;
        return new ShortcutVerdict(model, strongest, encodes, inserted - acc[Conditions.Masked].Accuracy, inserted - acc[Conditions.Deleted].Accuracy,
            maskedFlips, deletedFlips, maskedFlips >= thresholds.Flips);
    }

    /// <summary>P(score of a class-1 item > score of a class-0 item) + P(tie) / 2 (Mann-Whitney U); NaN when a class is empty.</summary>
    public static double Auroc(IReadOnlyList<double> class0, IReadOnlyList<double> class1) => RankingMetrics.Auroc(class0, class1);

    /// <summary>Heads by index (0-based, as the arrays) and by name: numbered from 1, as everywhere in AttnXai (Figure 3 too).</summary>
    private static IEnumerable<(int, string)> Heads(ProbeOutputs o) =>
        Enumerable.Range(0, o.Heads).Select(h => (h, HeadName(h))).Append((-1, AllHeads));

    /// <summary>The name of head index h (0-based): "1" for the first head.</summary>
    public static string HeadName(int h) => (h + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<(int, string)> Tokens(ProbeOutputs o, IReadOnlyList<string> names)
    {
        if (names.Count != o.Tokens) throw new ArgumentException($"{names.Count} token names for {o.Tokens} inserted tokens");
        return Enumerable.Range(0, o.Tokens).Select(j => (j, names[j])).Append((-1, AllTokens));
    }

    private static MassRow Row(string model, string head, string token, string group, string cls, double[] m, Func<int, bool> keep)
    {
        var x = Enumerable.Range(0, m.Length).Where(keep).Select(i => m[i]).ToList();
        double mean = Mean(x);
        double sd = x.Count < 2 ? double.NaN : Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
        return new MassRow(model, head, token, group, cls, x.Count, mean, sd);
    }

    private static double Mean(IReadOnlyCollection<double> x) => x.Count == 0 ? double.NaN : x.Sum() / x.Count;

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}
