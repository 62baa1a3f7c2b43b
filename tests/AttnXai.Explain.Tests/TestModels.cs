using AttnXai.Explain.Perturbation;
namespace AttnXai.Explain.Tests;

/// <summary>A model given by a function of one mask row; counts calls and rows.</summary>
internal sealed class FuncModel(int d, Func<bool[], double> f) : IPerturbationModel
{
    public int FeatureCount => d;
    public int Calls { get; private set; }
    public long Rows { get; private set; }

    public double[] Evaluate(ReadOnlySpan<bool> keep, int count)
    {
        Calls++;
        Rows += count;
        Assert.Equal(count * d, keep.Length);
        var y = new double[count];
        for (int i = 0; i < count; i++) y[i] = f(keep.Slice(i * d, d).ToArray());
        return y;
    }
}

/// <summary>f = b + sum_j w_j z_j.</summary>
internal sealed class LinearModel(double bias, double[] w) : IPerturbationModel
{
    public int FeatureCount => w.Length;

    public double[] Evaluate(ReadOnlySpan<bool> keep, int count)
    {
        var y = new double[count];
        for (int i = 0; i < count; i++)
        {
            double s = bias;
            for (int j = 0; j < w.Length; j++) if (keep[i * w.Length + j]) s += w[j];
            y[i] = s;
        }
        return y;
    }
}

/// <summary>A model that misbehaves.</summary>
internal sealed class BrokenModel(int d, Func<int, double[]> output) : IPerturbationModel
{
    public int FeatureCount => d;
    public double[] Evaluate(ReadOnlySpan<bool> keep, int count) => output(count);
}

internal static class TestModels
{
    /// <summary>A fixed nonlinear function of presence: linear part, an interaction and a saturating term.</summary>
    public static FuncModel Nonlinear(int d) => new(d, z =>
    {
        double s = 0.3, k = 0;
        for (int j = 0; j < d; j++)
        {
            if (!z[j]) continue;
            s += Math.Sin(1.7 * j + 0.4) * 0.8;
            k++;
        }
        if (d >= 2 && z[0] && z[1]) s += 1.25;
        if (d >= 3 && z[2] && !z[d - 1]) s -= 0.6;
        return s + Math.Tanh(k / d - 0.5);
    });
}
