using AttnXai.Common.Random;
using AttnXai.Data.Imdb;

namespace AttnXai.Data.Sources;

/// <summary>
/// The train, validation and test parts of a source, and the pool the vocabulary is built from: the source's train
/// part before the validation part is taken out of it (the paper builds its vocabulary from all 25,000 IMDB train
/// reviews), never the test part.
/// </summary>
public sealed record SplitParts(
    IReadOnlyList<LabelledDocument> Train,
    IReadOnlyList<LabelledDocument> Validation,
    IReadOnlyList<LabelledDocument> Test,
    IReadOnlyList<LabelledDocument> VocabularyPool,
    int? ValidationSplitCount,
    int? TestSplitCount);

/// <summary>
/// Splits the parts a source lacks out of its train part, seeded, the same way for every source:
/// <list type="number">
/// <item>no test part (a single file): the last <c>testCount</c> entries (default a tenth of the file) of the
/// SplitMix64 permutation of the train part drawn from <c>Derive(seed, TestStream)</c> are the test part;</item>
/// <item>no validation part: <see cref="DataSplits.TrainValidationIndices"/> on what is left, with
/// <c>validationCount</c> (default: 5,000 for IMDB, the paper's split; a tenth of the train part otherwise) and the
/// seed itself, which is exactly the paper's IMDB split.</item>
/// </list>
/// Every part keeps the source's order. A count for a part the source has is an error, and so is a split that leaves
/// a part empty.
/// </summary>
public static class PartSplit
{
    /// <summary>The stream of the test split's permutation (distinct from the validation split's, which uses the seed itself).</summary>
    public const ulong TestStream = 0x7e57;

    /// <summary>The default validation count of a source without a validation part.</summary>
    public static int DefaultValidationCount(SourceParts source) =>
        source.Kind == SourceKind.Imdb ? DataSplits.PaperValidationCount : Tenth(source.Train.Count);

    /// <summary>The default test count of a source without a test part: a tenth of its texts (at least 1).</summary>
    public static int DefaultTestCount(SourceParts source) => Tenth(source.Train.Count);

    private static int Tenth(int n) => Math.Max(1, n / 10);

    /// <summary>Throws ArgumentException (naming --validation-count / --test-count) when the counts do not fit the source.</summary>
    public static SplitParts Apply(SourceParts source, int? validationCount, int? testCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        var all = source.Train;
        IReadOnlyList<LabelledDocument> pool = all, test;
        int? testSplit = null, validationSplit = null;
        if (source.Test is not null)
        {
            if (testCount is not null)
                throw new ArgumentException($"--test-count applies to a single file; {source.Description} has its own test part");
            test = source.Test;
        }
        else
        {
            int n = testCount ?? DefaultTestCount(source);
            int needed = source.Validation is null ? 2 : 1;
            if (n < 1 || n > all.Count - needed)
                throw new ArgumentException($"--test-count {n} does not fit {all.Count} texts: it must be between 1 and {all.Count - needed}, leaving at least {needed} for training{(needed == 2 ? " and validation" : "")}");
            var perm = new SplitMix64(SplitMix64.Derive(seed, TestStream)).Permutation(all.Count);
            var testIdx = perm[(all.Count - n)..];
            var poolIdx = perm[..(all.Count - n)];
            Array.Sort(testIdx);
            Array.Sort(poolIdx);
            test = testIdx.Select(i => all[i]).ToArray();
            pool = poolIdx.Select(i => all[i]).ToArray();
            testSplit = n;
        }

        IReadOnlyList<LabelledDocument> train, validation;
        if (source.Validation is not null)
        {
            if (validationCount is not null)
                throw new ArgumentException($"--validation-count applies when the data has no validation part; {source.Description} has one");
            train = pool;
            validation = source.Validation;
        }
        else
        {
            int v = validationCount ?? DefaultValidationCount(source);
            if (v < 1 || v >= pool.Count)
                throw new ArgumentException($"--validation-count {v} does not fit the {pool.Count} training texts: it must be between 1 and {pool.Count - 1}");
            var (t, val) = DataSplits.TrainValidationIndices(pool.Count, v, seed);
            train = t.Select(i => pool[i]).ToArray();
            validation = val.Select(i => pool[i]).ToArray();
            validationSplit = v;
        }
        return new SplitParts(train, validation, test, pool, validationSplit, testSplit);
    }

    /// <summary>
    /// A seeded sample of <paramref name="count"/> documents spread over the labels: the classes take turns (class 0,
    /// 1, ..., 0, 1, ...), each drawing its next document from its own SplitMix64 permutation (stream
    /// <c>Derive(seed, class)</c>), until the count is reached or a class runs out; the sample keeps the part's order.
    /// Throws ArgumentException when the part has fewer documents than asked.
    /// </summary>
    public static IReadOnlyList<LabelledDocument> SampleAcrossLabels(IReadOnlyList<LabelledDocument> part, int count, ulong seed, string what)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (count < 1) throw new ArgumentException($"--count must be at least 1, got {count}");
        if (count > part.Count) throw new ArgumentException($"--count {count} is more than the {part.Count} documents of {what}");
        if (count == part.Count) return part;
        var byClass = Enumerable.Range(0, part.Count).GroupBy(i => part[i].Label).OrderBy(g => g.Key)
            .Select(g =>
            {
                var idx = g.ToArray();
                var perm = new SplitMix64(SplitMix64.Derive(seed, (ulong)g.Key)).Permutation(idx.Length);
                return new Queue<int>(perm.Select(p => idx[p]));
            }).ToList();
        var chosen = new List<int>(count);
        while (chosen.Count < count)
            foreach (var q in byClass)
                if (chosen.Count < count && q.Count > 0) chosen.Add(q.Dequeue());
        chosen.Sort();
        return chosen.Select(i => part[i]).ToArray();
    }
}
