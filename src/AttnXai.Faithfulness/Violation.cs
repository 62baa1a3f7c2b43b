using AttnXai.Explain.Explainers;

namespace AttnXai.Faithfulness;

/// <summary>The outcome of one instance of the test.</summary>
public enum Outcome
{
    /// <summary>w * dC &gt; 0: removing the feature moved the prediction the way its score says.</summary>
    Faithful,
    /// <summary>w * dC &lt; 0: the score's sign contradicts the effect of removing the feature.</summary>
    Violation,
    /// <summary>w * dC == 0 (a zero score or no change): neither; counted apart, not as a violation.</summary>
    Undecided,
}

/// <summary>The rules of the violation test (Liu et al., ICML 2022), one instance at a time.</summary>
public static class Violation
{
    /// <summary>Whether a method's scores are signed, as its catalogue entry declares (attention and gradient norms
    /// are magnitudes: they cannot say which class a word supports).</summary>
    public static bool IsSigned(string method) =>
        ExplainerRegistry.IsSigned(method ?? throw new ArgumentNullException(nameof(method)));

    /// <summary>
    /// The index of the feature with the largest |w|; ties go to the first in document order. Throws when a score is
    /// NaN or infinite (naming <paramref name="where"/>) or when there is no feature.
    /// </summary>
    public static int TopFeature(ReadOnlySpan<double> scores, string where = "scores")
    {
        if (scores.Length == 0) throw new ArgumentException($"{where}: no feature to test", nameof(scores));
        int best = 0;
        for (int j = 0; j < scores.Length; j++)
        {
            if (!double.IsFinite(scores[j])) throw new ArgumentException($"{where}: score {j} is {scores[j]} (scores must be finite)", nameof(scores));
            if (Math.Abs(scores[j]) > Math.Abs(scores[best])) best = j;
        }
        return best;
    }

    /// <summary>
    /// The score turned towards the predicted class. Explainers explain the logit of class <paramref name="explained"/>
    /// (the positive one unless --target asks for another), so a signed score w supports the prediction when y^ is
    /// that class and opposes it otherwise: w for y^ = explained, -w for the other class of the binary model.
    /// Unsigned scores are kept as they are (they cannot say which class a word supports).
    /// </summary>
    public static double Orient(double w, int predicted, bool signed, int explained = 1)
    {
        if (predicted is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, "the predicted class must be 0 (negative) or 1 (positive)");
        if (explained is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(explained), explained, "the explained class must be 0 or 1");
        return signed && predicted != explained ? -w : w;
    }

    /// <summary>dC = p(y^|x) - p(y^|x without the feature).</summary>
    public static double Change(double pBefore, double pAfter) => pBefore - pAfter;

    /// <summary>Violation when w * dC &lt; 0, undecided when it is 0, faithful otherwise.</summary>
    public static Outcome Classify(double orientedScore, double change)
    {
        if (!double.IsFinite(orientedScore)) throw new ArgumentException($"the score is {orientedScore} (must be finite)", nameof(orientedScore));
        if (!double.IsFinite(change)) throw new ArgumentException($"dC is {change} (must be finite)", nameof(change));
        // Compare signs rather than the product, which can underflow to 0 for tiny non-zero factors.
        int s = Math.Sign(orientedScore) * Math.Sign(change);
        return s < 0 ? Outcome.Violation : s == 0 ? Outcome.Undecided : Outcome.Faithful;
    }

    /// <summary>The outcome named as <see cref="Name"/> writes it.</summary>
    public static Outcome Parse(string name) => name switch
    {
        "faithful" => Outcome.Faithful,
        "violation" => Outcome.Violation,
        "undecided" => Outcome.Undecided,
        _ => throw new ArgumentException($"unknown outcome '{name}' (faithful, violation or undecided)"),
    };

    public static string Name(Outcome o) => o switch
    {
        Outcome.Faithful => "faithful",
        Outcome.Violation => "violation",
        Outcome.Undecided => "undecided",
        _ => throw new ArgumentOutOfRangeException(nameof(o), o, "unknown outcome"),
    };

    /// <summary>The predicted class from the two logits (1 when the positive logit is larger; a tie gives 0) and the
    /// softmax probability of each class, computed stably in double.</summary>
    public static (int Predicted, double PNegative, double PPositive) Softmax(double negLogit, double posLogit)
    {
        if (!double.IsFinite(negLogit) || !double.IsFinite(posLogit))
            throw new ArgumentException($"the model's logits are ({negLogit}, {posLogit}); they must be finite");
        double pPos = 1.0 / (1.0 + Math.Exp(negLogit - posLogit));
        double pNeg = 1.0 / (1.0 + Math.Exp(posLogit - negLogit));
        return (posLogit > negLogit ? 1 : 0, pNeg, pPos);
    }
}

/// <summary>The Wilson score interval of a binomial proportion.</summary>
public static class Wilson
{
    /// <summary>z of a two-sided 95 % interval (the 0.975 quantile of N(0, 1)).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>(low, high) for <paramref name="successes"/> of <paramref name="n"/>; (NaN, NaN) when n = 0.</summary>
    public static (double Low, double High) Interval(long successes, long n, double z = Z95)
    {
        if (n < 0 || successes < 0 || successes > n)
            throw new ArgumentOutOfRangeException(nameof(successes), $"need 0 <= successes <= n, got {successes} of {n}");
        if (n == 0) return (double.NaN, double.NaN);
        double p = (double)successes / n, z2 = z * z;
        double denom = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denom;
        double half = z / denom * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // At 0 (or n) successes the bound is exactly 0 (or 1); centre - half only rounds to it (1.7e-18 for 0 of 1000).
        return (successes == 0 ? 0 : Math.Max(0, centre - half), successes == n ? 1 : Math.Min(1, centre + half));
    }
}
