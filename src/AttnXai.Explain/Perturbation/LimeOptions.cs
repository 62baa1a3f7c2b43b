namespace AttnXai.Explain.Perturbation;

/// <summary>Settings of a LIME run. Defaults are LimeTextExplainer's.</summary>
public sealed record LimeOptions
{
    /// <summary>lime's num_samples.</summary>
    public const int DefaultSampleCount = 5000;
    /// <summary>n, the number of samples including the original (lime: num_samples = 5000).</summary>
    public int SampleCount { get; init; } = DefaultSampleCount;
    /// <summary>nu, the kernel width (lime: 25).</summary>
    public double KernelWidth { get; init; } = LimeKernel.DefaultWidth;
    /// <summary>The ridge penalty (lime: Ridge(alpha=1)); 0 gives weighted least squares.</summary>
    public double RidgeAlpha { get; init; } = 1;
    /// <summary>Seed of the mask sampler (ignored when masks are supplied).</summary>
    public ulong Seed { get; init; }
    /// <summary>
    /// Rows per model call. Null: one call with all samples (as lime). The large-sample estimator uses this as its
    /// chunk size, 4096 when null.
    /// </summary>
    public int? BatchSize { get; init; }
    /// <summary>Keep the masks, distances, weights and outputs in <see cref="LimeResult.Samples"/> (stored runs only).</summary>
    public bool KeepSamples { get; init; }

    internal void Validate()
    {
        if (SampleCount < 2) throw new ArgumentOutOfRangeException(nameof(SampleCount), SampleCount, "LIME needs at least 2 samples.");
        if (!(KernelWidth > 0) || !double.IsFinite(KernelWidth))
            throw new ArgumentOutOfRangeException(nameof(KernelWidth), KernelWidth, "The kernel width must be positive and finite.");
        if (!(RidgeAlpha >= 0) || !double.IsFinite(RidgeAlpha))
            throw new ArgumentOutOfRangeException(nameof(RidgeAlpha), RidgeAlpha, "The ridge alpha must be finite and non-negative.");
        if (BatchSize is <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be positive.");
    }
}
