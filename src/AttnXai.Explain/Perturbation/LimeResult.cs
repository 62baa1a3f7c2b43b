namespace AttnXai.Explain.Perturbation;

/// <summary>One LIME explanation.</summary>
public sealed class LimeResult
{
    /// <summary>beta, one coefficient per feature (word): the explanation.</summary>
    public required double[] Coefficients { get; init; }
    /// <summary>The surrogate's intercept.</summary>
    public required double Intercept { get; init; }
    /// <summary>Weighted R^2 of the surrogate on its own samples (lime's <c>score</c>).</summary>
    public required double Score { get; init; }
    /// <summary>The surrogate at the original document (all kept): Intercept + sum beta (lime's <c>local_pred</c>).</summary>
    public required double LocalPrediction { get; init; }
    /// <summary>The model output on sample row 0 (the original document when LIME drew the masks).</summary>
    public required double FirstRowOutput { get; init; }
    /// <summary>n, the number of samples used.</summary>
    public required long SampleCount { get; init; }
    /// <summary>The sampler's seed; null when the masks were supplied by the caller.</summary>
    public required ulong? Seed { get; init; }
    /// <summary>nu.</summary>
    public required double KernelWidth { get; init; }
    /// <summary>Ridge alpha.</summary>
    public required double RidgeAlpha { get; init; }
    /// <summary>The samples, when <see cref="LimeOptions.KeepSamples"/> was set on a stored run; otherwise null.</summary>
    public LimeSamples? Samples { get; init; }
}
