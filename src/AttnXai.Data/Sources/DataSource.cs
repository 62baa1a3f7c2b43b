using AttnXai.Common.IO;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;

namespace AttnXai.Data.Sources;

/// <summary>One labelled text of any source: its class and where it came from ("reviews.csv:12", "test/pos/1_9.txt").</summary>
public sealed record LabelledDocument(string Text, int Label, string Origin);

/// <summary>What kind of data a path holds.</summary>
public enum SourceKind
{
    /// <summary>The IMDB reviews: an aclImdb folder or archive (train and test parts, labels neg and pos).</summary>
    Imdb,
    /// <summary>One labelled CSV, TSV or JSON Lines file: train, validation and test parts are split out of it.</summary>
    File,
    /// <summary>A folder of train.EXT, and optionally validation.EXT and test.EXT, files of one format.</summary>
    Folder,
}

/// <summary>
/// The labelled texts a source provides, with the one label mapping of all its parts. Train is always there;
/// Validation and Test are null when the source has no such part (they are then split out of Train, see
/// <see cref="PartSplit"/>).
/// </summary>
public sealed record SourceParts(
    SourceKind Kind,
    string Path,
    LabelMap Labels,
    IReadOnlyList<LabelledDocument> Train,
    IReadOnlyList<LabelledDocument>? Validation,
    IReadOnlyList<LabelledDocument>? Test)
{
    /// <summary>"IMDB (/data/aclImdb_v1.tar.gz)", "labelled file /data/reviews.csv", "folder /data/sst (train.tsv, test.tsv)".</summary>
    public string Description { get; init; } = Path;
}

/// <summary>
/// Opens any labelled text source the commands accept: IMDB (found as `train` finds it when no path is given), a
/// labelled CSV/TSV/JSON Lines file, or a folder of train/validation/test files. Every source ends as the same
/// <see cref="SourceParts"/>, so a command has no IMDB special case beyond the source's own defaults.
/// </summary>
public static class DataSource
{
    /// <summary>The labels of IMDB as its archive writes them (folder names), in class order: neg = 0, pos = 1.</summary>
    public static LabelMap ImdbLabels { get; } = new(["neg", "pos"]);

    /// <summary>The names a folder's part files may have (before the extension), per part.</summary>
    public static readonly IReadOnlyList<string> TrainNames = ["train"];
    public static readonly IReadOnlyList<string> ValidationNames = ["validation", "valid", "val", "dev"];
    public static readonly IReadOnlyList<string> TestNames = ["test"];

    /// <summary>
    /// Reads the source at <paramref name="path"/> (null: IMDB, see <see cref="LocateImdb"/>). Labelled files are read
    /// with <paramref name="options"/> (format, columns, quoting, label mapping). IMDB's labels are neg and pos; a
    /// given label mapping must name both. Throws <see cref="DataException"/> naming the file and line.
    /// </summary>
    public static SourceParts Read(string? path, LabelledTextOptions? options = null, Action<string>? log = null)
    {
        options ??= new LabelledTextOptions();
        if (path is not null && File.Exists(path) && options.Format != TextFileFormat.Auto) return ReadFile(System.IO.Path.GetFullPath(path), options);
        if (path is null || KindOf(path) == SourceKind.Imdb)
        {
            var location = LocateImdb(path, log);
            log?.Invoke($"reading IMDB from {location}");
            return FromImdb(ImdbReader.Read(location), options);
        }
        var full = System.IO.Path.GetFullPath(path);
        return KindOf(full) == SourceKind.File ? ReadFile(full, options) : ReadFolder(full, options);
    }

    /// <summary>What <paramref name="path"/> holds: an archive (.tar, .gz, .tgz) is IMDB, any other file a labelled file
    /// (whose loader reports an extension it does not know); a folder with a train file is a folder of parts, any other
    /// folder IMDB (whose reader reports a folder that holds no IMDB data).</summary>
    public static SourceKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return IsArchive(path) ? SourceKind.Imdb : SourceKind.File;
        if (Directory.Exists(path)) return FindPart(path, TrainNames) is not null ? SourceKind.Folder : SourceKind.Imdb;
        if (LabelledTextLoader.HasKnownExtension(path)) return SourceKind.File; // reported as missing by the loader
        return SourceKind.Imdb;
    }

    private static bool IsArchive(string path) =>
        System.IO.Path.GetExtension(path).ToLowerInvariant() is ".tar" or ".gz" or ".tgz";

    /// <summary>The IMDB reviews as a source (labels mapped through options.Labels when given, else neg = 0, pos = 1).</summary>
    public static SourceParts FromImdb(ImdbDataset data, LabelledTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var map = options?.Labels ?? ImdbLabels;
        int[] classOf = new int[2];
        for (int label = 0; label < 2; label++)
            if (!map.TryGetClass(ImdbLabels.ClassNames[label], out classOf[label]))
                throw new DataException(data.Source, null,
                    $"IMDB's label '{ImdbLabels.ClassNames[label]}' is not one of {options?.LabelsOrigin ?? "the labels"} ({string.Join(", ", map.ClassNames.Select(n => $"'{n}'"))}){(options?.LabelsHint is { } h ? "; " + h : "")}");
        IReadOnlyList<LabelledDocument> Docs(IReadOnlyList<ImdbReview> reviews) =>
            reviews.Select(r => new LabelledDocument(r.Text, classOf[r.Label], r.RelativePath)).ToArray();
        return new SourceParts(SourceKind.Imdb, data.Source, map, Docs(data.Train), null, Docs(data.Test)) { Description = $"IMDB ({data.Source})" };
    }

    /// <summary>
    /// The IMDB folder or archive: the explicit path, else $ATTNXAI_DATA, else the cache (DataLocator's order), else
    /// the shared archive beside the repository, else a download of the official archive into the cache (progress on
    /// standard error, MD5-checked). Throws <see cref="DataException"/> when none of these works.
    /// </summary>
    public static string LocateImdb(string? explicitPath, Action<string>? log = null)
    {
        var found = new DataLocator().TryLocate(explicitPath);
        if (found is not null) return found.Path;
        if (RepoPaths.SharedImdbArchive() is { } shared) return shared;
        var locator = new DataLocator();
        (log ?? Console.Error.WriteLine)($"no IMDB data given or cached: downloading {ImdbDownloader.OfficialUrl} into {locator.CacheDirectory}");
        try
        {
            using var downloader = new ImdbDownloader();
            return locator.LocateOrDownloadAsync(null, downloader, new ConsoleDownloadProgress("IMDB")).GetAwaiter().GetResult().Path;
        }
        catch (DataException e)
        {
            throw new DataException(e.File, e.Location,
                $"{e.Problem}. Give --data PATH (an aclImdb folder or aclImdb_v1.tar.gz, or your own labelled file) or set ${DataLocator.EnvironmentVariable} instead", e);
        }
    }

    private static SourceParts ReadFile(string path, LabelledTextOptions options)
    {
        var raw = LabelledTextLoader.ReadLabelled(path, options);
        if (raw.Count == 0) throw new DataException(path, null, "the file holds no labelled text");
        var (map, classes) = LabelledTextLoader.MapLabels([(path, raw)], options);
        return new SourceParts(SourceKind.File, path, map, Documents(path, raw, classes[0]), null, null)
        {
            Description = $"labelled file {path}",
        };
    }

    private static SourceParts ReadFolder(string folder, LabelledTextOptions options)
    {
        var train = FindPart(folder, TrainNames)!;
        var validation = FindPart(folder, ValidationNames);
        var test = FindPart(folder, TestNames);
        var files = new[] { train, validation, test }.Where(f => f is not null).Select(f => f!).ToList();
        var formats = files.Select(options.FormatOf).Distinct().ToList();
        if (formats.Count > 1)
            throw new DataException(folder, null, $"the part files have different formats ({string.Join(", ", files.Select(System.IO.Path.GetFileName))}); use one format");
        var raws = files.Select(f => (File: f, Texts: LabelledTextLoader.ReadLabelled(f, options))).ToList();
        foreach (var (file, texts) in raws)
            if (texts.Count == 0) throw new DataException(file, null, "the file holds no labelled text");
        var (map, classes) = LabelledTextLoader.MapLabels(raws, options);
        IReadOnlyList<LabelledDocument>? Part(string? file) =>
            file is null ? null : Documents(file, raws[files.IndexOf(file)].Texts, classes[files.IndexOf(file)]);
        return new SourceParts(SourceKind.Folder, folder, map, Part(train)!, Part(validation), Part(test))
        {
            Description = $"folder {folder} ({string.Join(", ", files.Select(System.IO.Path.GetFileName))})",
        };
    }

    /// <summary>The part file of a folder (e.g. train.csv), or null; two candidates for one part are an error.</summary>
    private static string? FindPart(string folder, IReadOnlyList<string> names)
    {
        var found = Directory.EnumerateFiles(folder)
            .Where(f => names.Contains(System.IO.Path.GetFileNameWithoutExtension(f).ToLowerInvariant()) && LabelledTextLoader.HasKnownExtension(f)
                        && !f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (found.Count > 1)
            throw new DataException(folder, null, $"more than one {names[0]} file ({string.Join(", ", found.Select(System.IO.Path.GetFileName))}); keep one");
        return found.FirstOrDefault();
    }

    private static LabelledDocument[] Documents(string file, IReadOnlyList<RawText> raw, int[] classes)
    {
        var name = System.IO.Path.GetFileName(file);
        return raw.Select((r, i) => new LabelledDocument(r.Text, classes[i], $"{name}:{r.Line}")).ToArray();
    }
}
