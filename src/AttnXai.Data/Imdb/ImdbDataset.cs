using AttnXai.Common.Random;

namespace AttnXai.Data.Imdb;

/// <summary>The labelled IMDB reviews, each split in canonical order (label, then id).</summary>
public sealed class ImdbDataset
{
    public ImdbDataset(string source, IReadOnlyList<ImdbReview> train, IReadOnlyList<ImdbReview> test)
    {
        Source = source;
        Train = train;
        Test = test;
        InvalidUtf8Count = train.Sum(r => r.InvalidUtf8Count) + test.Sum(r => r.InvalidUtf8Count);
    }

    /// <summary>The folder or archive read.</summary>
    public string Source { get; }

    public IReadOnlyList<ImdbReview> Train { get; }
    public IReadOnlyList<ImdbReview> Test { get; }

    /// <summary>Invalid UTF-8 sequences replaced, over all reviews (0 in Reject mode).</summary>
    public int InvalidUtf8Count { get; }

    /// <summary>The paper's split of the train reviews: 20,000 train and 5,000 validation under seed 42 by default
    /// (see <see cref="DataSplits.TrainValidation"/>).</summary>
    public TrainValidationSplit<ImdbReview> SplitTrain(int validationCount = DataSplits.PaperValidationCount, ulong seed = DataSplits.PaperSeed) =>
        DataSplits.TrainValidation(Train, validationCount, seed);
}

/// <summary>A train/validation split: the items and their indices in the list that was split (ascending).</summary>
public sealed record TrainValidationSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Validation, int[] TrainIndices, int[] ValidationIndices);

/// <summary>Deterministic random splits.</summary>
public static class DataSplits
{
    public const int PaperValidationCount = 5000;
    public const ulong PaperSeed = 42;

    /// <summary>
    /// Splits indices 0..count-1: draw the Fisher-Yates permutation of 0..count-1 from a <see cref="SplitMix64"/>
    /// seeded with <paramref name="seed"/> (<see cref="SplitMix64.Permutation"/>); its first
    /// count - validationCount entries are the train indices, the rest the validation indices; each part is then
    /// sorted ascending (so it keeps the canonical order). Same (count, validationCount, seed), same split, on every
    /// platform.
    /// </summary>
    public static (int[] Train, int[] Validation) TrainValidationIndices(int count, int validationCount, ulong seed)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (validationCount < 0 || validationCount > count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"must be between 0 and {count}");
        var p = new SplitMix64(seed).Permutation(count);
        var train = p[..(count - validationCount)];
        var validation = p[(count - validationCount)..];
        Array.Sort(train);
        Array.Sort(validation);
        return (train, validation);
    }

    /// <summary>The split of a list of items (see <see cref="TrainValidationIndices"/>).</summary>
    public static TrainValidationSplit<T> TrainValidation<T>(IReadOnlyList<T> items, int validationCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        var (t, v) = TrainValidationIndices(items.Count, validationCount, seed);
        return new TrainValidationSplit<T>(t.Select(i => items[i]).ToArray(), v.Select(i => items[i]).ToArray(), t, v);
    }
}
