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

/// <summary>Runs a model over the inserted test documents under every condition (no_grad, through <see cref="BatchedPass"/>).</summary>
public static class ProbePass
{
    /// <param name="original">The same documents encoded without insertion (null: the "original" condition is skipped).</param>
    public static ProbeOutputs Run(IAttentionModel model, InsertedDataset inserted, EncodedDataset? original = null,
        int batchSize = Evaluation.DefaultBatchSize, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inserted);
        if (batchSize < 1) throw new ArgumentException($"the batch size must be positive, got {batchSize}");
        var inputs = model.Inputs;
        var data = inserted.Data;
        if (data.Length != inputs.Length) throw new ArgumentException($"the data is encoded to {data.Length} positions but the model takes {inputs.Length}");
        long maxId = inserted.FirstTokenId + inserted.TokenCount - 1;
        if (maxId >= inputs.VocabSize)
            throw new ArgumentException($"the inserted tokens have ids up to {maxId} but the model's vocabulary has {inputs.VocabSize} entries: was it trained with the extended vocabulary?");
        if (original is not null && (original.Count != data.Count || original.Length != data.Length))
            throw new ArgumentException($"the original documents ({original.Count} x {original.Length}) do not match the inserted ones ({data.Count} x {data.Length})");
        int n = data.Count, len = data.Length, K = model.Heads, k = inserted.TokenCount, C = model.Classes;
        var deleted = TokenInsertion.Delete(inserted);
        var preds = Conditions.All.Where(c => c != Conditions.Original || original is not null).ToDictionary(c => c, _ => new long[n]);
        var logits = preds.Keys.ToDictionary(c => c, _ => new double[(long)n * C]);
        var mass = new double[(long)n * K * k];
        int passes = preds.Count, done = 0;
        void Keep(string condition, Tensor l, PassBatch b)
        {
            l.argmax(1).ToArray<long>().CopyTo(preds[condition], b.Start);
            l.ToArray<double>().CopyTo(logits[condition], (long)b.Start * C);
            done += b.Count;
            progress?.Invoke(done / passes, n);
        }

        // Inserted: the logits and the [CLS] row's attention on every inserted token.
        BatchedPass.Run(model, n, batchSize, Evaluation.Rows(model, data), b =>
        {
            var (l, cls) = model.LogitsAndClsAttention(b.Embedded(), b.Mask);
            var a = cls.ToArray<double>();                                                    // [b, K, L]
            for (int i = 0; i < b.Count; i++)
                for (int h = 0; h < K; h++)
                    for (int j = 0; j < k; j++)
                        mass[((long)(b.Start + i) * K + h) * k + j] = a[((long)i * K + h) * len + inserted.Position(b.Start + i, j)];
            Keep(Conditions.Inserted, l, b);
        });
        // Masked: the inserted tokens left out of every head's softmax.
        var fill = Evaluation.Rows(model, data);
        BatchedPass.Run(model, n, batchSize, (int i, ref BatchRow row) =>
        {
            fill(i, ref row);
            for (int j = 0; j < k; j++) row.Hidden[inserted.Position(i, j)] = true;
        }, b => Keep(Conditions.Masked, b.Logits(), b));
        BatchedPass.Run(model, n, batchSize, Evaluation.Rows(model, deleted), b => Keep(Conditions.Deleted, b.Logits(), b));
        if (original is not null)
            BatchedPass.Run(model, n, batchSize, Evaluation.Rows(model, original), b => Keep(Conditions.Original, b.Logits(), b));
        return new ProbeOutputs(data.Labels.ToArray(), preds, logits, mass, K, k);
    }
}
