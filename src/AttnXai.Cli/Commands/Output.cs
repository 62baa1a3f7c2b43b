namespace AttnXai.Cli.Commands;

/// <summary>
/// Checks an output location before any work, so that a bad --out fails at once (not after a training) and leaves
/// nothing behind: nothing is created here.
/// </summary>
public static class Output
{
    /// <summary>An output folder: not an existing file, and writable (the folder, or its nearest existing parent).</summary>
    public static string Folder(string path, string option = "--out")
    {
        var full = Path.GetFullPath(path);
        if (System.IO.File.Exists(full)) throw new IOException($"{option} {path} is a file, not a folder");
        CheckWritable(NearestExisting(full, option), path, option);
        return full;
    }

    /// <summary>An output file: not an existing folder, and its folder (or nearest existing parent) writable.</summary>
    public static string File(string path, string option = "--out")
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{option} {path} is a folder, not a file");
        // Outputs are written to a temporary name and renamed over the target, which would replace a device node
        // (run as root, `--out /dev/full` became a regular file).
        if (OperatingSystem.IsLinux() && full.StartsWith("/dev/", StringComparison.Ordinal) && !full.StartsWith("/dev/shm/", StringComparison.Ordinal))
            throw new IOException($"{option} {path} is under /dev, where files are devices: give a file in a folder");
        CheckWritable(NearestExisting(Path.GetDirectoryName(full)!, option), path, option);
        return full;
    }

    private static string NearestExisting(string full, string option)
    {
        var d = full;
        while (!Directory.Exists(d))
        {
            if (System.IO.File.Exists(d)) throw new IOException($"{option} {full}: {d} is a file, so no folder can be made under it");
            d = Path.GetDirectoryName(d) ?? throw new IOException($"{option} {full}: no existing folder above it");
        }
        return d;
    }

    private static void CheckWritable(string dir, string path, string option)
    {
        var probe = Path.Combine(dir, $".attnxai-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // In the project's words: .NET's own ("Could not find file '...'") names the probe, not the folder.
            string why = e switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "the file system there does not accept new files",
                _ when e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "a read-only file system",
                _ when e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => "no space left on the device",
                _ => "a test file could not be created there: " + CliRunner.OneLine(e.Message.Replace(probe, "the test file", StringComparison.Ordinal)),
            };
            throw new IOException($"{option} {path}: cannot write in {dir} ({why})", e);
        }
    }
}
