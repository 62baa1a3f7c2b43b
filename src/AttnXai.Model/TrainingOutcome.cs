using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

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
