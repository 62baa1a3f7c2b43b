using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AttnXai.Common.IO;

namespace AttnXai.Common.Sharding;

/// <summary>
/// What a shard of a study left in its part folder, as shard.json, written last (after every part file, atomically):
/// a folder without it holds no finished shard. It records what makes parts belong to one run (the study, its
/// settings, the model's fingerprint, the number of shards and of documents), which shard this is and the document
/// indices [First, End) it computed, its part files, and its compute time. `attnxai merge` reads it
/// (<see cref="ShardSet"/>).
/// </summary>
public sealed record ShardManifest
{
    public const string FileName = "shard.json";
    public const string FormatTag = "attnxai.shard";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatTag;
    public int FormatVersion { get; init; } = CurrentVersion;

    /// <summary>The command that computed it ("reproduce", "faithfulness", "explain", ...); `attnxai merge` dispatches on it.</summary>
    public required string Study { get; init; }

    /// <summary>I of I/N.</summary>
    public required int Shard { get; init; }

    /// <summary>N of I/N.</summary>
    public required int Shards { get; init; }

    /// <summary>Documents of the whole run.</summary>
    public required int Documents { get; init; }

    /// <summary>Documents computed together (the study's chunk); shards hold whole chunks.</summary>
    public int ChunkSize { get; init; } = 1;

    /// <summary>The first document index of this shard in the whole run.</summary>
    public required int First { get; init; }

    /// <summary>One past the last document index of this shard.</summary>
    public required int End { get; init; }

    /// <summary>The model folder (full path) and its fingerprint (<see cref="Fingerprint"/>).</summary>
    public required string Model { get; init; }
    public required string ModelFingerprint { get; init; }

    /// <summary>Everything the per-document results depend on (parts of one run have equal settings); the study's merge
    /// rebuilds its options from them.</summary>
    public required SortedDictionary<string, string> Settings { get; init; }

    /// <summary>The part files, relative to the part folder ('/' separated).</summary>
    public required List<string> Files { get; init; }

    /// <summary>Compute seconds by item (e.g. per method); the merge sums them over the shards.</summary>
    public SortedDictionary<string, double> Seconds { get; init; } = new();

    /// <summary>Where and how it ran (host, threads, device): informative, not compared.</summary>
    public SortedDictionary<string, string> Environment { get; init; } = new();

    [JsonIgnore]
    public ShardSpec Spec => new(Shard, Shards);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes shard.json into <paramref name="partDirectory"/> (atomically); call it after the part files.</summary>
    public void Write(string partDirectory) =>
        AtomicFile.WriteAllText(Path.Combine(partDirectory, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads a part folder's shard.json; an InvalidDataException (or IOException) names the folder and what is wrong.</summary>
    public static ShardManifest Read(string partDirectory)
    {
        if (!Directory.Exists(partDirectory))
            throw new DirectoryNotFoundException(File.Exists(partDirectory) ? $"{partDirectory}: a file, not a shard's part folder" : $"{partDirectory}: no such folder");
        var path = Path.Combine(partDirectory, FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"{partDirectory}: no {FileName}: not the part folder of a finished shard (a shard writes it last)");
        ShardManifest? m;
        try { m = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a shard manifest ({JsonErrors.Describe(e)})", e); }
        if (m is null || m.Format != FormatTag) throw new InvalidDataException($"{path}: not a shard manifest (format '{m?.Format}')");
        if (m.FormatVersion > CurrentVersion)
            throw new InvalidDataException($"{path}: shard manifest version {m.FormatVersion} is newer than this AttnXai's ({CurrentVersion})");
        if (m.Shard < 1 || m.Shard > m.Shards || m.Documents < 0 || m.ChunkSize < 1)
            throw new InvalidDataException($"{path}: shard {m.Shard}/{m.Shards} of {m.Documents} documents in chunks of {m.ChunkSize} is not a shard");
        var slice = m.Spec.Slice(m.Documents, m.ChunkSize);
        if (m.First != slice.Start.Value || m.End != slice.End.Value)
            throw new InvalidDataException($"{path}: documents {m.First} to {m.End - 1} are not those of shard {m.Spec} ({slice.Start.Value} to {slice.End.Value - 1})");
        return m;
    }

    /// <summary>
    /// A fingerprint of files in a folder: "sha256:" and the SHA-256 of the lines "NAME SHA256(content)" of the named
    /// files in the order given (a missing file is an IOException naming it).
    /// </summary>
    public static string Fingerprint(string directory, IEnumerable<string> files)
    {
        var list = new StringBuilder();
        foreach (var name in files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (needed for the model's fingerprint)", path);
            using var stream = File.OpenRead(path);
            list.Append(name).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(stream))).Append('\n');
        }
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(list.ToString())));
    }
}
