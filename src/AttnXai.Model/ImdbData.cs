using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data;
using AttnXai.Data.Batching;
using AttnXai.Data.Imdb;
using AttnXai.Common.Random;
using AttnXai.Data.Text;

namespace AttnXai.Model;

/// <summary>How the IMDB data is split, subsampled and encoded for training and evaluation.</summary>
public sealed record ImdbDataOptions
{
    public string Tokenizer { get; init; } = Tokenizers.BasicEnglish;
    public int Length { get; init; } = TextEncoder.PaperLength;
    public bool IncludeMask { get; init; }

    /// <summary>Validation reviews taken out of the 25,000 train reviews (the paper: 5,000).</summary>
    public int ValidationCount { get; init; } = DataSplits.PaperValidationCount;

    /// <summary>Seed of the train/validation split (the paper: 42).</summary>
    public ulong SplitSeed { get; init; } = DataSplits.PaperSeed;

    /// <summary>Keep at most this many rows of each part (a seeded subsample; null keeps all).</summary>
    public int? MaxTrain { get; init; }
    public int? MaxValidation { get; init; }
    public int? MaxTest { get; init; }

    public JsonObject ToJson(string source) => new()
    {
        ["source"] = source,
        ["tokenizer"] = Tokenizer,
        ["length"] = Length,
        ["validation_count"] = ValidationCount,
        ["split_seed"] = SplitSeed,
        ["max_train"] = MaxTrain,
        ["max_validation"] = MaxValidation,
        ["max_test"] = MaxTest,
        ["vocabulary"] = "every token of the 25,000 IMDB train reviews (train and validation parts), min frequency 1",
    };
}

/// <summary>The encoded IMDB parts and the vocabulary they were encoded with.</summary>
public sealed record ImdbData(string Source, Vocabulary Vocabulary, ITokenizer Tokenizer, EncodedDataset Train, EncodedDataset Validation, EncodedDataset Test, JsonObject Settings);

/// <summary>Loading IMDB the paper's way: vocabulary of the 25,000 train texts, seeded 20,000 / 5,000 split, test = the 25,000 test reviews.</summary>
public static class ImdbDataLoader
{
    /// <summary>The data folder or archive: <paramref name="explicitPath"/>, else $ATTNXAI_DATA, else the cache
    /// (DataLocator's order), else the shared archive beside the repository, else a download of the official archive
    /// into the cache (progress on standard error, MD5-checked). Throws IOException when none of these works.</summary>
    public static string Locate(string? explicitPath)
    {
        DataLocation? found;
        try { found = new DataLocator().TryLocate(explicitPath); }
        catch (DataException e) { throw new IOException(e.Message, e); }
        if (found is not null) return found.Path;
        if (explicitPath is not null) throw new IOException($"{explicitPath}: no IMDB data there");
        if (RepoPaths.SharedImdbArchive() is { } shared) return shared;
        // Nothing given and nothing cached: download the official archive into the per-user cache (checked, atomic).
        var locator = new DataLocator();
        Console.Error.WriteLine($"no IMDB data given or cached: downloading {ImdbDownloader.OfficialUrl} into {locator.CacheDirectory}");
        try
        {
            using var downloader = new ImdbDownloader();
            return locator.LocateOrDownloadAsync(null, downloader, new ConsoleDownloadProgress("IMDB")).GetAwaiter().GetResult().Path;
        }
        catch (DataException e)
        {
            throw new IOException($"{e.Message}. Pass --data PATH (an aclImdb folder or aclImdb_v1.tar.gz) or set ${DataLocator.EnvironmentVariable} instead.", e);
        }
    }

    /// <summary>Reads the reviews; data errors become InvalidDataException.</summary>
    public static ImdbDataset Read(string path)
    {
        try { return ImdbReader.Read(path); }
        catch (DataException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>Builds the vocabulary of every train review (train and validation parts, as the authors do).</summary>
    public static Vocabulary BuildVocabulary(ImdbDataset data, ITokenizer tokenizer) =>
        Vocabulary.Build(data.Train.Select(r => r.Text).ToArray(), tokenizer);

    /// <summary>Splits, subsamples and encodes (vocabulary built here, or the given one for evaluation).</summary>
    public static ImdbData Prepare(ImdbDataset data, ImdbDataOptions options, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var tokenizer = Tokenizers.Get(options.Tokenizer);
        vocabulary ??= BuildVocabulary(data, tokenizer);
        if (options.ValidationCount < 1 || options.ValidationCount >= data.Train.Count)
            throw new ArgumentException($"the validation count must be between 1 and {data.Train.Count - 1}, got {options.ValidationCount}");
        var split = data.SplitTrain(options.ValidationCount, options.SplitSeed);
        var encoder = new TextEncoder(tokenizer, vocabulary, options.Length, options.IncludeMask);
        EncodedDataset Encode(IReadOnlyList<ImdbReview> reviews, int? max, ulong stream)
        {
            var kept = Subsample(reviews, max, options.SplitSeed, stream);
            return encoder.EncodeAll(kept.Select(r => r.Text).ToArray(), kept.Select(r => (long)r.Label).ToArray());
        }
        return new ImdbData(data.Source, vocabulary, tokenizer,
            Encode(split.Train, options.MaxTrain, 101), Encode(split.Validation, options.MaxValidation, 102), Encode(data.Test, options.MaxTest, 103),
            options.ToJson(data.Source));
    }

    /// <summary>At most <paramref name="max"/> items, drawn by a seeded permutation and kept in their original order.</summary>
    public static IReadOnlyList<T> Subsample<T>(IReadOnlyList<T> items, int? max, ulong seed, ulong stream)
    {
        if (max is not { } m || m >= items.Count) return items;
        if (m < 1) throw new ArgumentException($"a subsample must keep at least 1 item, got {m}");
        var p = new SplitMix64(SplitMix64.Derive(seed, stream)).Permutation(items.Count)[..m];
        Array.Sort(p);
        return p.Select(i => items[i]).ToArray();
    }
}
