namespace AttnXai.Data.Imdb;

public enum DataSourceKind { Folder, Archive }

public enum DataOrigin { Explicit, Environment, Cache }

/// <summary>Where the IMDB data was found: a folder in the aclImdb layout or an archive file.</summary>
public sealed record DataLocation(string Path, DataSourceKind Kind, DataOrigin Origin);

/// <summary>
/// Finds the IMDB data. Order: an explicit path, else the environment variable <c>ATTNXAI_DATA</c>, else the per-user
/// cache (<c>$XDG_CACHE_HOME/attnxai</c>, or <c>~/.cache/attnxai</c>), which <see cref="LocateOrDownloadAsync"/>
/// fills with the official archive. Each accepts the same forms: an aclImdb folder (or a folder containing
/// <c>aclImdb/</c>), an archive file, or a folder holding <c>aclImdb_v1.tar.gz</c> or
/// <c>aclImdb_v1_labeled.tar.gz</c>. An explicit path or a set variable that does not resolve is an error (no silent
/// fallback to another source).
/// </summary>
public sealed class DataLocator
{
    public const string EnvironmentVariable = "ATTNXAI_DATA";
    public const string OfficialArchiveName = "aclImdb_v1.tar.gz";
    public const string LabeledArchiveName = "aclImdb_v1_labeled.tar.gz";

    private readonly Func<string, string?> _getEnvironment;

    /// <param name="getEnvironment">Environment lookup (tests inject one); default: the process environment.</param>
    /// <param name="cacheDirectory">Cache folder; default: <see cref="DefaultCacheDirectory"/>.</param>
    public DataLocator(Func<string, string?>? getEnvironment = null, string? cacheDirectory = null)
    {
        _getEnvironment = getEnvironment ?? Environment.GetEnvironmentVariable;
        CacheDirectory = cacheDirectory ?? DefaultCacheDirectory(_getEnvironment);
    }

    public string CacheDirectory { get; }

    /// <summary>Where the downloader puts the official archive.</summary>
    public string CachedArchivePath => Path.Combine(CacheDirectory, OfficialArchiveName);

    /// <summary><c>$XDG_CACHE_HOME/attnxai</c> when XDG_CACHE_HOME is set (absolute), else <c>~/.cache/attnxai</c>.</summary>
    public static string DefaultCacheDirectory(Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var xdg = getEnvironment("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "attnxai");
        var home = getEnvironment("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "attnxai");
    }

    /// <summary>What a path holds, or null when it holds no IMDB data.</summary>
    public static DataLocation? Probe(string path, DataOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) return new DataLocation(full, DataSourceKind.Archive, origin);
        if (!Directory.Exists(full)) return null;
        if (IsImdbFolder(full)) return new DataLocation(full, DataSourceKind.Folder, origin);
        var inner = Path.Combine(full, "aclImdb");
        if (IsImdbFolder(inner)) return new DataLocation(inner, DataSourceKind.Folder, origin);
        foreach (var name in new[] { OfficialArchiveName, LabeledArchiveName })
        {
            var f = Path.Combine(full, name);
            if (File.Exists(f)) return new DataLocation(f, DataSourceKind.Archive, origin);
        }
        return null;
    }

    private static bool IsImdbFolder(string dir) =>
        Directory.Exists(Path.Combine(dir, "train")) || Directory.Exists(Path.Combine(dir, "test"));

    /// <summary>
    /// The data location, or null when neither an explicit path nor the variable is given and the cache is empty.
    /// Throws <see cref="DataException"/> when the explicit path or the variable names something that holds no data.
    /// </summary>
    public DataLocation? TryLocate(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return Probe(explicitPath, DataOrigin.Explicit) ?? throw NotData(explicitPath, "the given path");
        var env = _getEnvironment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            return Probe(env, DataOrigin.Environment) ?? throw NotData(env, $"${EnvironmentVariable}");
        return Directory.Exists(CacheDirectory) ? Probe(CacheDirectory, DataOrigin.Cache) : null;
    }

    /// <summary>Like <see cref="TryLocate"/> but throws, saying where it looked, when nothing is found.</summary>
    public DataLocation Locate(string? explicitPath = null) =>
        TryLocate(explicitPath) ?? throw new DataException(CacheDirectory, null,
            $"no IMDB data: give a path, set ${EnvironmentVariable}, or download {ImdbDownloader.OfficialUrl} into this folder");

    /// <summary>Locates the data, downloading the official archive into the cache when nothing is found.</summary>
    public async Task<DataLocation> LocateOrDownloadAsync(string? explicitPath, ImdbDownloader downloader,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(downloader);
        var found = TryLocate(explicitPath);
        if (found != null) return found;
        await downloader.DownloadAsync(CachedArchivePath, progress, cancellationToken).ConfigureAwait(false);
        return new DataLocation(CachedArchivePath, DataSourceKind.Archive, DataOrigin.Cache);
    }

    private static DataException NotData(string path, string what) =>
        File.Exists(path) || Directory.Exists(path)
            ? new DataException(path, null, $"{what} holds no IMDB data (expected an aclImdb folder, an archive, or a folder with {OfficialArchiveName} or {LabeledArchiveName})")
            : new DataException(path, null, $"{what} does not exist");
}
