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
    public static EvaluationResult Evaluate(AttentionClassifier model, EncodedDataset data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        CheckLength(model, data);
        double lossSum = 0;
        long correct = 0;
        using var noGrad = torch.no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var (ids, mask) = Inputs(model, data, start, n);
            var y = torch.tensor(data.Labels.AsSpan(start, n).ToArray(), [n], device: model.Device);
            var logits = model.Forward(ids, mask).Logits;
            lossSum += torch.nn.functional.cross_entropy(logits, y, reduction: torch.nn.Reduction.Sum).ToDouble();
            correct += logits.argmax(1).eq(y).sum().ToInt64();
        }
        int count = data.Count;
        return new EvaluationResult(count == 0 ? double.NaN : lossSum / count, count == 0 ? double.NaN : (double)correct / count, count, (int)correct);
    }

    /// <summary>Logits [Count, C] of every row, row-major, as doubles.</summary>
    public static double[] Logits(AttentionClassifier model, EncodedDataset data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        CheckLength(model, data);
        int c = model.Config.Classes;
        var result = new double[(long)data.Count * c];
        using var noGrad = torch.no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var (ids, mask) = Inputs(model, data, start, n);
            model.Forward(ids, mask).Logits.ToArray<double>().CopyTo(result, (long)start * c);
        }
        return result;
    }

    /// <summary>Rows [start, start + n) as an int64 tensor [n, L] (and the bool mask when the model uses one).</summary>
    internal static (Tensor Ids, Tensor? Mask) Inputs(AttentionClassifier model, EncodedDataset data, int start, int n)
    {
        int len = data.Length;
        var ids = torch.tensor(data.Ids.AsSpan(start * len, n * len).ToArray(), [n, len], device: model.Device);
        Tensor? mask = null;
        if (model.Config.PaddingMask)
        {
            if (data.Mask is null) throw new ArgumentException("the model uses a padding mask but the data was encoded without one (TextEncoder includeMask: true)");
            mask = torch.tensor(data.Mask.AsSpan(start * len, n * len).ToArray(), [n, len], device: model.Device);
        }
        return (ids, mask);
    }

    internal static Tensor? BatchMask(AttentionClassifier model, Batch batch)
    {
        if (!model.Config.PaddingMask) return null;
        if (batch.Mask is null) throw new ArgumentException("the model uses a padding mask but the data was encoded without one (TextEncoder includeMask: true)");
        return torch.tensor(batch.Mask, [batch.BatchSize, batch.Length], device: model.Device);
    }

    internal static void CheckLength(AttentionClassifier model, EncodedDataset data)
    {
        if (data.Length != model.Config.Length)
            throw new ArgumentException($"the data is encoded to {data.Length} positions but the model takes {model.Config.Length}");
    }
}
