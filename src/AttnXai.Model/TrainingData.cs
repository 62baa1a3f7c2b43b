using System.Text.Json.Nodes;
using AttnXai.Common.Random;
using AttnXai.Data;
using AttnXai.Data.Batching;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Data.Text;

namespace AttnXai.Model;

/// <summary>How a data source is split, subsampled and encoded for training and evaluation (defaults: the paper's).</summary>
public sealed record DataOptions
{
    public string Tokenizer { get; init; } = Tokenizers.BasicEnglish;
    public int Length { get; init; } = TextEncoder.PaperLength;
    public bool IncludeMask { get; init; }

    /// <summary>Validation texts taken out of the train part when the source has no validation part (null: the
    /// source's default, 5,000 for IMDB as the paper, a tenth of the texts otherwise).</summary>
    public int? ValidationCount { get; init; }

    /// <summary>Test texts taken out of a single file (null: a tenth of it); an error for a source with a test part.</summary>
    public int? TestCount { get; init; }

    /// <summary>Seed of the train/validation (and test) split (the paper: 42).</summary>
    public ulong SplitSeed { get; init; } = DataSplits.PaperSeed;

    /// <summary>Keep at most this many rows of each part (a seeded subsample; null keeps all).</summary>
    public int? MaxTrain { get; init; }
    public int? MaxValidation { get; init; }
    public int? MaxTest { get; init; }

    /// <summary>Throws ArgumentException naming the option (before any data is read).</summary>
    public DataOptions Validate()
    {
        try { Tokenizers.Get(Tokenizer); }
        catch (ArgumentException) { throw new ArgumentException($"--tokenizer must be one of {string.Join(", ", Tokenizers.Names)}, got '{Tokenizer}'"); }
        if (Length < 2) throw new ArgumentException($"--length must be at least 2 ([CLS] and one word), got {Length}");
        if (ValidationCount is < 1) throw new ArgumentException($"--validation-count must be at least 1, got {ValidationCount}");
        if (TestCount is < 1) throw new ArgumentException($"--test-count must be at least 1, got {TestCount}");
        if (MaxTrain is < 1) throw new ArgumentException($"--max-train must be at least 1, got {MaxTrain}");
        if (MaxValidation is < 1) throw new ArgumentException($"--max-val must be at least 1, got {MaxValidation}");
        if (MaxTest is < 1) throw new ArgumentException($"--max-test must be at least 1, got {MaxTest}");
        return this;
    }
}

/// <summary>The encoded parts of a source, the vocabulary and label mapping they were encoded with, and how
/// (<see cref="Settings"/>, stored in the checkpoint as training.data).</summary>
public sealed record PreparedData(
    SourceParts Source,
    SplitParts Parts,
    Vocabulary Vocabulary,
    ITokenizer Tokenizer,
    EncodedDataset Train,
    EncodedDataset Validation,
    EncodedDataset Test,
    JsonObject Settings)
{
    public LabelMap Labels => Source.Labels;
}

/// <summary>
/// Any labelled source prepared the paper's way: parts split as <see cref="PartSplit"/> does, the vocabulary of the
/// training pool (for IMDB, all 25,000 train reviews), each part subsampled (seeded) and encoded.
/// </summary>
public static class DataPreparation
{
    /// <summary>Splits, subsamples and encodes (vocabulary built here, or the given one for evaluation).</summary>
    public static PreparedData Prepare(SourceParts source, DataOptions options, LabelledTextOptions? fileOptions = null, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tokenizer = Tokenizers.Get(options.Tokenizer);
        var parts = PartSplit.Apply(source, options.ValidationCount, options.TestCount, options.SplitSeed);
        vocabulary ??= Vocabulary.Build(parts.VocabularyPool.Select(d => d.Text).ToArray(), tokenizer);
        var encoder = new TextEncoder(tokenizer, vocabulary, options.Length, options.IncludeMask);
        EncodedDataset Encode(IReadOnlyList<LabelledDocument> docs, int? max, ulong stream)
        {
            var kept = Subsample(docs, max, options.SplitSeed, stream);
            return encoder.EncodeAll(kept.Select(r => r.Text).ToArray(), kept.Select(r => (long)r.Label).ToArray());
        }
        return new PreparedData(source, parts, vocabulary, tokenizer,
            Encode(parts.Train, options.MaxTrain, 101), Encode(parts.Validation, options.MaxValidation, 102), Encode(parts.Test, options.MaxTest, 103),
            SettingsJson(source, parts, options, fileOptions));
    }

    /// <summary>What the checkpoint records about the data: enough for eval, explain and faithfulness to find the same
    /// parts again (source, kind, file options, split seed and counts, labels).</summary>
    public static JsonObject SettingsJson(SourceParts source, SplitParts parts, DataOptions o, LabelledTextOptions? file)
    {
        var json = new JsonObject
        {
            ["source"] = source.Path,
            ["kind"] = KindName(source.Kind),
            ["tokenizer"] = o.Tokenizer,
            ["length"] = o.Length,
            ["split_seed"] = o.SplitSeed,
            ["validation_count"] = parts.ValidationSplitCount,
            ["test_count"] = parts.TestSplitCount,
            ["max_train"] = o.MaxTrain,
            ["max_validation"] = o.MaxValidation,
            ["max_test"] = o.MaxTest,
            ["labels"] = new JsonArray(source.Labels.ClassNames.Select(n => (JsonNode)n).ToArray()),
            ["vocabulary"] = source.Kind == SourceKind.Imdb
                ? "every token of the 25,000 IMDB train reviews (train and validation parts), min frequency 1"
                : "every token of the training pool (the train part before the validation split), min frequency 1",
        };
        if (source.Kind != SourceKind.Imdb && file is not null)
        {
            json["text_column"] = file.TextColumn;
            json["label_column"] = file.LabelColumn;
            json["format"] = file.Format == TextFileFormat.Auto ? "auto" : file.Format.ToString().ToLowerInvariant();
            json["quoting"] = file.Quoting;
        }
        return json;
    }

    public static string KindName(SourceKind kind) => kind.ToString().ToLowerInvariant();

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
