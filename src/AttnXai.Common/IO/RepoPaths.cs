namespace AttnXai.Common.IO;

/// <summary>Locates the repository root and the shared data folder beside it (used by tests and benchmarks).</summary>
public static class RepoPaths
{
    /// <summary>The folder holding AttnXai.slnx, searched upward from the running assembly; null if not found.</summary>
    public static string? FindRepoRoot(string? start = null)
    {
        var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory);
        while (dir != null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AttnXai.slnx"))) return dir.FullName;
            dir = dir.Parent;
        }
        return null;
    }

    /// <summary>
    /// The shared IMDB archive: $ATTNXAI_SHARED_DATA (a file or folder) if set, else ../shared/data beside the
    /// repository. Null when it is not there.
    /// </summary>
    public static string? SharedImdbArchive()
    {
        var env = Environment.GetEnvironmentVariable("ATTNXAI_SHARED_DATA");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(env)) candidates.Add(env);
        var root = FindRepoRoot();
        if (root != null) candidates.Add(Path.Combine(root, "..", "shared", "data"));
        foreach (var c in candidates)
        {
            if (File.Exists(c)) return Path.GetFullPath(c);
            var f = Path.Combine(c, "aclImdb_v1_labeled.tar.gz");
            if (File.Exists(f)) return Path.GetFullPath(f);
        }
        return null;
    }
}
