namespace AttnXai.Explain.Perturbation;

/// <summary>The samples behind a stored LIME run (n rows).</summary>
public sealed class LimeSamples
{
    internal LimeSamples(int featureCount, bool[] masks, double[] distances, double[] weights, double[] outputs)
    {
        FeatureCount = featureCount; Masks = masks; Distances = distances; Weights = weights; Outputs = outputs;
    }

    /// <summary>d.</summary>
    public int FeatureCount { get; }
    /// <summary>n.</summary>
    public int Count => Outputs.Length;
    /// <summary>n rows of d flags, row-major; true = kept.</summary>
    public bool[] Masks { get; }
    /// <summary>D per row.</summary>
    public double[] Distances { get; }
    /// <summary>pi per row.</summary>
    public double[] Weights { get; }
    /// <summary>f per row.</summary>
    public double[] Outputs { get; }
    /// <summary>Row i of the masks.</summary>
    public ReadOnlySpan<bool> Row(int i) => Masks.AsSpan(i * FeatureCount, FeatureCount);
}
