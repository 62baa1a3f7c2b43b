namespace AttnXai.Data;

/// <summary>
/// The one exception type of AttnXai.Data. Its message always starts with the file (or URL) concerned, then the
/// line or archive entry where relevant, then the problem, e.g.
/// <c>/data/reviews.csv: line 12: unknown label 'maybe'</c> or
/// <c>/data/aclImdb_v1.tar.gz: entry 'aclImdb/train/pos/notes.md': unexpected name in a review folder ...</c>.
/// </summary>
public sealed class DataException : Exception
{
    public DataException(string file, string? location, string problem, Exception? inner = null)
        : base(Format(file, location, problem), inner)
    {
        File = file;
        Location = location;
        Problem = problem;
    }

    /// <summary>The file, folder or URL the problem is about.</summary>
    public string File { get; }

    /// <summary>"line 12", "entry 'aclImdb/train/pos/1_9.txt'", or null when the whole file is concerned.</summary>
    public string? Location { get; }

    /// <summary>The problem alone, without the file and location.</summary>
    public string Problem { get; }

    private static string Format(string file, string? location, string problem) =>
        location is null ? $"{file}: {problem}" : $"{file}: {location}: {problem}";

    internal static DataException AtLine(string file, int line, string problem, Exception? inner = null) =>
        new(file, $"line {line}", problem, inner);

    internal static DataException AtEntry(string file, string entry, string problem, Exception? inner = null) =>
        new(file, $"entry '{entry}'", problem, inner);
}
