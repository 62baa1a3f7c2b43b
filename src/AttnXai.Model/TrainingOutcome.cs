namespace AttnXai.Model;

/// <summary>What a training run ends with: the model holding the best-validation weights and the metrics.</summary>
public sealed record TrainingOutcome(
    ITextClassifier Model,
    IReadOnlyList<EpochMetrics> History,
    int BestEpoch,
    EvaluationResult Validation,
    EvaluationResult? Test,
    int ResumedFromEpoch,
    double Seconds,
    long Steps)
{
    /// <summary>The trained model as the paper's classifier (for what only it has); an InvalidOperationException
    /// otherwise.</summary>
    public AttentionClassifier Paper => Model as AttentionClassifier
        ?? throw new InvalidOperationException($"the trained model is a {Model.Describe()}, not the paper's attention classifier");
}
