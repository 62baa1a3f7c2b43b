namespace AttnXai.Explain.Perturbation;

/// <summary>Leave-one-out scores.</summary>
public sealed class OcclusionResult
{
    /// <summary>score_j = f(all) - f(all but word j).</summary>
    public required double[] Scores { get; init; }
    /// <summary>f(all), the original document.</summary>
    public required double FullOutput { get; init; }
    /// <summary>f(all but word j), per word.</summary>
    public required double[] WithoutOutputs { get; init; }
}

/// <summary>Occlusion (leave-one-out): remove each word (all its occurrences) in turn.</summary>
public static class Occlusion
{
    /// <summary>
    /// Evaluates the d + 1 rows [all kept, all but word 0, ..., all but word d-1] in one batch (or in batches of
    /// <paramref name="batchSize"/> rows) and returns score_j = f(all) - f(all but j).
    /// </summary>
    public static OcclusionResult Explain(IPerturbationModel model, int? batchSize = null)
    {
        int d = ModelCalls.FeatureCountOf(model);
        var rows = new bool[checked((d + 1) * d)];
        rows.AsSpan().Fill(true);
        for (int j = 0; j < d; j++) rows[(j + 1) * d + j] = false;
        var y = ModelCalls.Evaluate(model, rows, d + 1, batchSize);
        var without = y[1..];
        var scores = new double[d];
        for (int j = 0; j < d; j++) scores[j] = y[0] - without[j];
        return new OcclusionResult { Scores = scores, FullOutput = y[0], WithoutOutputs = without };
    }
}
