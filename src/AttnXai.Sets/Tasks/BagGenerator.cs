using AttnXai.Common.Random;
using AttnXai.Data.Text;

namespace AttnXai.Sets.Tasks;

/// <summary>Sizes of the synthetic bags.</summary>
public sealed record BagOptions
{
    /// <summary>Fewest tokens in a bag (T is uniform in [MinTokens, MaxTokens]).</summary>
    public int MinTokens { get; init; } = 20;
    public int MaxTokens { get; init; } = 60;
    /// <summary>L: positions of the encoded bag, [CLS] included; MaxTokens must be at most L - 1.</summary>
    public int Length { get; init; } = 64;
    /// <summary>Number of filler words (never keys).</summary>
    public int Fillers { get; init; } = 200;
    /// <summary>A key word that is present occurs 1..MaxKeyCount times ("count": k..k+MaxKeyCount-1 times in positives).</summary>
    public int MaxKeyCount { get; init; } = 3;
    /// <summary>k of the "count" task.</summary>
    public int CountK { get; init; } = 3;

    /// <summary>Throws ArgumentException naming the first bad setting (as the CLI option that sets it).</summary>
    public BagOptions Validate()
    {
        if (MinTokens < 1) throw new ArgumentException($"--min-tokens must be at least 1, got {MinTokens}");
        if (MaxTokens < MinTokens) throw new ArgumentException($"--max-tokens ({MaxTokens}) must be at least --min-tokens ({MinTokens})");
        if (Length < 2) throw new ArgumentException($"--length must be at least 2 ([CLS] and one token), got {Length}");
        if (MaxTokens > Length - 1)
            throw new ArgumentException($"--max-tokens ({MaxTokens}) must be at most --length - 1 = {Length - 1} (position 0 holds [CLS])");
        if (Fillers < 1) throw new ArgumentException($"--fillers must be at least 1, got {Fillers}");
        if (MaxKeyCount < 1) throw new ArgumentException($"--max-key-count must be at least 1, got {MaxKeyCount}");
        if (CountK < 1) throw new ArgumentException($"--count-k must be at least 1, got {CountK}");
        if (MaxKeysInBag > MinTokens)
            throw new ArgumentException($"--min-tokens ({MinTokens}) must leave room for the key words: a bag can hold up to {MaxKeysInBag} of them (--max-key-count {MaxKeyCount}, --count-k {CountK})");
        return this;
    }

    /// <summary>The most key tokens any task puts in one bag.</summary>
    public int MaxKeysInBag => Math.Max(2 * MaxKeyCount, CountK + MaxKeyCount - 1);
}

/// <summary>
/// One bag: its tokens (ids of <see cref="SetVocabulary"/>), label, and per-token ground truth.
/// </summary>
/// <param name="Polarity">Per token: +1 key evidence for the positive class, -1 key evidence for the negative class
/// (N of the "negative" task), 0 not a key.</param>
public sealed record Bag(long[] TokenIds, int Label, bool[] Key, sbyte[] Polarity)
{
    public int Count => TokenIds.Length;
    public int KeyCount => Key.Count(k => k);
    /// <summary>A bag with key and non-key tokens: instance AUROC/AUPRC are defined on it.</summary>
    public bool Scorable => KeyCount > 0 && KeyCount < Count;
}

/// <summary>
/// The synthetic vocabulary: [cls], UNK, the key words "keya", "keyb", "keyn", then fillers "w000", "w001", ...
/// </summary>
public static class SetVocabulary
{
    public const string A = "keya";
    public const string B = "keyb";
    public const string N = "keyn";
    public const long IdA = 2, IdB = 3, IdN = 4;
    public const long FirstFiller = 5;

    public static Vocabulary Create(int fillers) =>
        Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken, A, B, N }
            .Concat(Enumerable.Range(0, fillers).Select(i => $"w{i:D3}")));
}

/// <summary>
/// Draws bags for a task from a seed: same (task, options, seed, count), same bags. Labels are balanced: exactly
/// count/2 positives (count odd: one more negative), in a shuffled order. Each bag has T tokens (uniform in
/// [MinTokens, MaxTokens]) of uniformly drawn fillers, in which the task's key words are placed at uniformly random
/// distinct positions (see <see cref="SetTask"/> for the rules and key definitions).
/// </summary>
public static class BagGenerator
{
    public static IReadOnlyList<Bag> Generate(SetTask task, BagOptions options, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (count < 1) throw new ArgumentException($"the number of bags must be at least 1, got {count}");
        var rng = new Xoshiro256StarStar(seed);
        var labels = new int[count];
        for (int i = 0; i < count / 2; i++) labels[i] = 1;
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (labels[i], labels[j]) = (labels[j], labels[i]);
        }
        var bags = new Bag[count];
        for (int i = 0; i < count; i++) bags[i] = One(task, options, labels[i], rng);
        return bags;
    }

    private static Bag One(SetTask task, BagOptions o, int label, Xoshiro256StarStar rng)
    {
        int T = o.MinTokens + rng.NextInt(o.MaxTokens - o.MinTokens + 1);
        int Present() => 1 + rng.NextInt(o.MaxKeyCount);
        int a = 0, b = 0, n = 0;
        if (task == SetTask.Single) a = label == 1 ? Present() : 0;
        else if (task == SetTask.Count) a = label == 1 ? o.CountK + rng.NextInt(o.MaxKeyCount) : rng.NextInt(o.CountK);
        else if (task == SetTask.Both)
        {
            if (label == 1) (a, b) = (Present(), Present());
            else
                switch (rng.NextInt(3))
                {
                    case 0: a = Present(); break;
                    case 1: b = Present(); break;
                }
        }
        else if (task == SetTask.Negative)
        {
            if (label == 1) a = Present();
            else
                switch (rng.NextInt(3))
                {
                    case 0: (a, n) = (Present(), Present()); break;
                    case 1: n = Present(); break;
                }
        }
        else throw new ArgumentException($"unknown task '{task.Name}'");

        var ids = new long[T];
        for (int t = 0; t < T; t++) ids[t] = SetVocabulary.FirstFiller + rng.NextInt(o.Fillers);
        // The first a + b + n entries of a partial Fisher-Yates shuffle are distinct uniform positions.
        var pos = Enumerable.Range(0, T).ToArray();
        int keys = a + b + n;
        for (int i = 0; i < keys; i++)
        {
            int j = i + rng.NextInt(T - i);
            (pos[i], pos[j]) = (pos[j], pos[i]);
        }
        var key = new bool[T];
        var polarity = new sbyte[T];
        for (int i = 0; i < keys; i++)
        {
            int p = pos[i];
            (ids[p], polarity[p]) = i < a ? (SetVocabulary.IdA, (sbyte)1) : i < a + b ? (SetVocabulary.IdB, (sbyte)1) : (SetVocabulary.IdN, (sbyte)-1);
            key[p] = true;
        }
        return new Bag(ids, label, key, polarity);
    }

    /// <summary>The label the task's rule gives a bag (used by tests to check the generator).</summary>
    public static int Rule(SetTask task, IReadOnlyList<long> tokenIds, int countK)
    {
        int a = tokenIds.Count(i => i == SetVocabulary.IdA), b = tokenIds.Count(i => i == SetVocabulary.IdB), n = tokenIds.Count(i => i == SetVocabulary.IdN);
        bool positive = task.Name switch
        {
            "single" => a > 0,
            "both" => a > 0 && b > 0,
            "count" => a >= countK,
            "negative" => a > 0 && n == 0,
            _ => throw new ArgumentException($"unknown task '{task.Name}'"),
        };
        return positive ? 1 : 0;
    }

    /// <summary>Which tokens the task calls key instances (used by tests to check the generator).</summary>
    public static bool IsKey(SetTask task, long tokenId) => task.Name switch
    {
        "single" or "count" => tokenId == SetVocabulary.IdA,
        "both" => tokenId is SetVocabulary.IdA or SetVocabulary.IdB,
        "negative" => tokenId is SetVocabulary.IdA or SetVocabulary.IdN,
        _ => throw new ArgumentException($"unknown task '{task.Name}'"),
    };
}
