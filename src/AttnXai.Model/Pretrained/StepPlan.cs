using AttnXai.Common.Random;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// The order of a fine-tuning epoch: which documents make each optimizer step, and each step's micro-batches. A
/// function of (seed, epoch) and the documents' lengths only, so that a resumed run knows where it is from its step
/// count. The documents are shuffled; with bucketing, each pool of 50 steps' documents is sorted by length and cut into
/// steps, and the steps are shuffled again, so that a batch holds documents of similar length (dynamic padding then
/// cuts it short) while the order stays random. The last step of an epoch may be smaller.
/// </summary>
public static class StepPlan
{
    /// <summary>Steps a pool of bucketing holds.</summary>
    public const int PoolSteps = 50;

    public static int StepsPerEpoch(int documents, int batchSize, int accumulation) =>
        (int)((documents + (long)batchSize * accumulation - 1) / ((long)batchSize * accumulation));

    /// <summary>Epoch <paramref name="epoch"/> (from 1): the steps, each an array of micro-batches of document indices.</summary>
    public static int[][][] Epoch(IReadOnlyList<int> lengths, int epoch, long seed, int batchSize, int accumulation, bool bucketing)
    {
        int n = lengths.Count, stepDocs = batchSize * accumulation;
        var rng = new SplitMix64(SplitMix64.Derive(unchecked((ulong)seed), epoch));
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order.AsSpan());
        var steps = new List<int[]>();
        if (bucketing)
        {
            int pool = stepDocs * PoolSteps;
            for (int start = 0; start < n; start += pool)
            {
                // Sorted by length, ties in shuffled order (a stable sort of the shuffled slice).
                var slice = order.Skip(start).Take(pool).OrderBy(i => lengths[i]).ToArray();
                for (int s = 0; s < slice.Length; s += stepDocs) steps.Add(slice[s..Math.Min(slice.Length, s + stepDocs)]);
            }
            // The short last step (if any) stays last; the full ones are shuffled.
            var fullSteps = steps.Where(s => s.Length == stepDocs).ToArray();
            rng.Shuffle(fullSteps.AsSpan());
            steps = [.. fullSteps, .. steps.Where(s => s.Length != stepDocs)];
        }
        else
        {
            for (int s = 0; s < n; s += stepDocs) steps.Add(order[s..Math.Min(n, s + stepDocs)]);
        }
        return [.. steps.Select(s => Enumerable.Range(0, (s.Length + batchSize - 1) / batchSize).Select(b => s[(b * batchSize)..Math.Min(s.Length, (b + 1) * batchSize)]).ToArray())];
    }
}
