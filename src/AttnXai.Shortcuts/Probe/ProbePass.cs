using AttnXai.Data.Batching;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Shortcuts.Probe;

/// <summary>The ways a document is shown to the model.</summary>
public static class Conditions
{
    /// <summary>With the inserted tokens, as the shortcut model was trained.</summary>
    public const string Inserted = "inserted";
    /// <summary>With the inserted tokens left out of every head's softmax (the other weights renormalised).</summary>
    public const string Masked = "masked";
    /// <summary>With the inserted tokens deleted (later words shift left).</summary>
    public const string Deleted = "deleted";
    /// <summary>The document encoded without any insertion (all L - 1 words it had).</summary>
    public const string Original = "original";

    public static readonly IReadOnlyList<string> All = [Inserted, Masked, Deleted, Original];
}

/// <summary>
/// What one model does on the test documents: the true labels, the predicted class under each condition, and the
/// [CLS]-row attention on every inserted token (row-major [N, K, k], in the inserted condition); the logits ([N, C],
/// row-major) under each condition.
/// </summary>
public sealed record ProbeOutputs(long[] Labels, IReadOnlyDictionary<string, long[]> Predictions, IReadOnlyDictionary<string, double[]> Logits,
    double[] Mass, int Heads, int Tokens)
{
    public int Count => Labels.Length;

    /// <summary>Attention of head h on inserted token j in document i.</summary>
    public double MassAt(int i, int h, int j) => Mass[(i * Heads + h) * Tokens + j];

    public long[] Predicted => Predictions[Conditions.Inserted];
}

/// <summary>Runs a model over the inserted test documents under every condition (no_grad, in batches).</summary>
public static class ProbePass
{
    /// <param name="original">The same documents encoded without insertion (null: the "original" condition is skipped).</param>
    public static ProbeOutputs Run(AttentionClassifier model, InsertedDataset inserted, EncodedDataset? original = null,
        int batchSize = Evaluation.DefaultBatchSize, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inserted);
        if (batchSize < 1) throw new ArgumentException($"the batch size must be positive, got {batchSize}");
        var cfg = model.Config;
        var data = inserted.Data;
        if (data.Length != cfg.Length) throw new ArgumentException($"the data is encoded to {data.Length} positions but the model takes {cfg.Length}");
        long maxId = inserted.FirstTokenId + inserted.TokenCount - 1;
        if (maxId >= cfg.VocabSize)
            throw new ArgumentException($"the inserted tokens have ids up to {maxId} but the model's vocabulary has {cfg.VocabSize} entries: was it trained with the extended vocabulary?");
        if (original is not null && (original.Count != data.Count || original.Length != data.Length))
            throw new ArgumentException($"the original documents ({original.Count} x {original.Length}) do not match the inserted ones ({data.Count} x {data.Length})");
        int n = data.Count, len = data.Length, K = cfg.Heads, k = inserted.TokenCount;
        var deleted = TokenInsertion.Delete(inserted);
        var attnMask = inserted.AttentionMask(cfg.PaddingMask);
        var preds = Conditions.All.Where(c => c != Conditions.Original || original is not null).ToDictionary(c => c, _ => new long[n]);
        var logits = preds.Keys.ToDictionary(c => c, _ => new double[(long)n * cfg.Classes]);
        var mass = new double[(long)n * K * k];
        void Keep(string condition, Tensor l, int start)
        {
            l.argmax(1).ToArray<long>().CopyTo(preds[condition], start);
            l.to(ScalarType.Float64).ToArray<double>().CopyTo(logits[condition], (long)start * cfg.Classes);
        }
        using var noGrad = torch.no_grad();
        for (int start = 0; start < n; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int b = Math.Min(batchSize, n - start);
            var ids = Ids(data, start, b, model);
            var r = model.Forward(ids, PaddingMask(model, data, start, b));
            Keep(Conditions.Inserted, r.Logits, start);
            var a = r.Attention.to(ScalarType.Float64).ToArray<double>();       // [b, K, L]
            for (int i = 0; i < b; i++)
                for (int h = 0; h < K; h++)
                    for (int j = 0; j < k; j++)
                        mass[((long)(start + i) * K + h) * k + j] = a[((long)i * K + h) * len + inserted.Position(start + i, j)];
            var m = torch.tensor(attnMask.AsSpan(start * len, b * len).ToArray(), [b, len], device: model.Device);
            Keep(Conditions.Masked, model.Forward(ids, m).Logits, start);
            Keep(Conditions.Deleted, model.Forward(Ids(deleted, start, b, model), PaddingMask(model, deleted, start, b)).Logits, start);
            if (original is not null)
                Keep(Conditions.Original, model.Forward(Ids(original, start, b, model), PaddingMask(model, original, start, b)).Logits, start);
            progress?.Invoke(start + b, n);
        }
        return new ProbeOutputs(data.Labels.ToArray(), preds, logits, mass, K, k);
    }

    private static Tensor Ids(EncodedDataset d, int start, int n, AttentionClassifier model) =>
        torch.tensor(d.Ids.AsSpan(start * d.Length, n * d.Length).ToArray(), [n, d.Length], device: model.Device);

    private static Tensor? PaddingMask(AttentionClassifier model, EncodedDataset d, int start, int n)
    {
        if (!model.Config.PaddingMask) return null;
        if (d.Mask is null) throw new ArgumentException("the model uses a padding mask but the data was encoded without one");
        return torch.tensor(d.Mask.AsSpan(start * d.Length, n * d.Length).ToArray(), [n, d.Length], device: model.Device);
    }
}
