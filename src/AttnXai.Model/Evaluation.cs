using AttnXai.Data.Batching;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>Mean cross-entropy, accuracy and count of a model over a dataset.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, int Count, int Correct);

/// <summary>Evaluation and prediction in batches under no_grad.</summary>
public static class Evaluation
{
    public const int DefaultBatchSize = 256;

    /// <summary>Loss and accuracy over every row of <paramref name="data"/> (in order), in batches of
    /// <paramref name="batchSize"/> under no_grad. An empty dataset gives NaN loss and accuracy.</summary>
    public static EvaluationResult Evaluate(ITextClassifier model, EncodedDataset data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        double lossSum = 0;
        long correct = 0;
        BatchedPass.Run(model, data.Count, batchSize, Rows(model, data), b =>
        {
            var y = torch.tensor(data.Labels.AsSpan(b.Start, b.Count).ToArray(), [b.Count], device: model.Device);
            var logits = b.Logits();
            lossSum += torch.nn.functional.cross_entropy(logits, y, reduction: torch.nn.Reduction.Sum).ToDouble();
            correct += logits.argmax(1).eq(y).sum().ToInt64();
        });
        int count = data.Count;
        return new EvaluationResult(count == 0 ? double.NaN : lossSum / count, count == 0 ? double.NaN : (double)correct / count, count, (int)correct);
    }

    /// <summary>Logits [Count, C] of every row, row-major, as doubles.</summary>
    public static double[] Logits(ITextClassifier model, EncodedDataset data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return BatchedPass.Logits(model, data.Count, batchSize, Rows(model, data));
    }

    /// <summary>The rows of an encoded dataset for <see cref="BatchedPass"/> (real lengths from its padding mask).</summary>
    public static RowFiller Rows(ITextClassifier model, EncodedDataset data)
    {
        int len = data.Length;
        if (len != model.Inputs.Length)
            throw new ArgumentException($"the data is encoded to {len} positions but the model takes {model.Inputs.Length}");
        if (model.Inputs.PaddingMask && data.Mask is null)
            throw new ArgumentException("the model uses a padding mask but the data was encoded without one (TextEncoder includeMask: true)");
        return (int i, ref BatchRow row) =>
        {
            data.Ids.AsSpan(i * len, len).CopyTo(row.Ids);
            if (data.Mask is { } m) row.RealLength = Math.Max(1, m.AsSpan(i * len, len).Count(true));
        };
    }

    internal static Tensor? BatchMask(ITextClassifier model, Batch batch)
    {
        if (!model.Inputs.PaddingMask) return null;
        if (batch.Mask is null) throw new ArgumentException("the model uses a padding mask but the data was encoded without one (TextEncoder includeMask: true)");
        return torch.tensor(batch.Mask, [batch.BatchSize, batch.Length], device: model.Device);
    }
}
