using AttnXai.Common.IO;

namespace AttnXai.Common.Sharding;

/// <summary>
/// The part folders of one sharded run, checked to belong together and put in shard order: each holds a finished
/// shard (its <see cref="ShardManifest"/>), all of the same study, settings, model (fingerprint), number of shards and
/// documents, and the shards 1..N each once. Anything else is refused with one message naming the part: a foreign
/// part (another run), a shard given twice, a missing shard, a missing part file. Then it concatenates per-document
/// files in document order (<see cref="ConcatenateCsv"/>) or gathers the parts' own files, such as chunks (<see cref="Gather"/>), for the
/// study's merge to summarise exactly as an unsharded run does.
/// </summary>
public sealed class ShardSet
{
    private ShardSet(IReadOnlyList<(string Directory, ShardManifest Manifest)> parts) => Parts = parts;

    /// <summary>The parts in shard order (1..N).</summary>
    public IReadOnlyList<(string Directory, ShardManifest Manifest)> Parts { get; }

    /// <summary>The first shard's manifest: the study, settings, model and document count of the run.</summary>
    public ShardManifest Run => Parts[0].Manifest;

    /// <summary>Compute seconds per item, summed over the shards.</summary>
    public SortedDictionary<string, double> Seconds
    {
        get
        {
            var sum = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var (_, m) in Parts)
                foreach (var (k, v) in m.Seconds) sum[k] = sum.GetValueOrDefault(k) + v;
            return sum;
        }
    }

    /// <summary>Reads and checks the part folders (see the class summary); throws InvalidDataException (or IOException) naming the part.</summary>
    public static ShardSet Open(IReadOnlyList<string> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        if (directories.Count == 0) throw new ArgumentException("no part folder given");
        var parts = directories.Select(d => (Directory: d, Manifest: ShardManifest.Read(d))).ToList();

        // The run is the largest group of parts that agree (ties: the group of the first part given); the others are foreign.
        var groups = parts.GroupBy(p => RunKey(p.Manifest)).OrderByDescending(g => g.Count()).ThenBy(g => parts.IndexOf(g.First())).ToList();
        var reference = groups[0].First();
        foreach (var p in parts)
            if (RunKey(p.Manifest) != RunKey(reference.Manifest))
                throw new InvalidDataException($"{Name(p)} is not a part of this run: {Difference(p, reference)}");

        foreach (var g in parts.GroupBy(p => p.Manifest.Shard).Where(g => g.Count() > 1))
            throw new InvalidDataException($"shard {g.First().Manifest.Spec} is given twice: {string.Join(" and ", g.Select(p => p.Directory))}");

        int n = reference.Manifest.Shards;
        var missing = Enumerable.Range(1, n).Where(i => parts.All(p => p.Manifest.Shard != i)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"shard{(missing.Count == 1 ? "" : "s")} {List(missing.Select(i => $"{i}/{n}"))} " +
                                           $"{(missing.Count == 1 ? "is" : "are")} missing (the parts given are {List(parts.OrderBy(p => p.Manifest.Shard).Select(p => p.Manifest.Spec.ToString()))})");

        foreach (var p in parts)
            foreach (var f in p.Manifest.Files)
                if (!File.Exists(Path.Combine(p.Directory, f)))
                    throw new InvalidDataException($"{Name(p)}: its part file {f} is missing");
        return new ShardSet(parts.OrderBy(p => p.Manifest.Shard).ToList());
    }

    /// <summary>
    /// Writes the per-document CSV <paramref name="file"/> of every part as one file, atomically: the header once (it
    /// must be the same in every part), then each part's rows byte for byte, in shard order, which is document order.
    /// </summary>
    public void ConcatenateCsv(string file, string outPath)
    {
        var pieces = Parts.Select(p => (Part: p, Bytes: File.ReadAllBytes(PartFile(p, file)))).ToList();
        byte[] Header((string Directory, ShardManifest Manifest) part, byte[] b)
        {
            int nl = Array.IndexOf(b, (byte)'\n');
            if (nl < 0) throw new InvalidDataException($"{Name(part)}: {file} has no header line");
            return b[..(nl + 1)];
        }
        var header = Header(pieces[0].Part, pieces[0].Bytes);
        foreach (var (part, bytes) in pieces)
        {
            if (!Header(part, bytes).AsSpan().SequenceEqual(header))
                throw new InvalidDataException($"{Name(part)}: {file} has another header than in {Parts[0].Directory}");
            if (bytes.Length > header.Length && bytes[^1] != (byte)'\n')
                throw new InvalidDataException($"{Name(part)}: {file} does not end with a line end (cut short?)");
        }
        AtomicFile.Write(outPath, s =>
        {
            s.Write(header);
            foreach (var (_, bytes) in pieces) s.Write(bytes, header.Length, bytes.Length - header.Length);
        });
    }

    /// <summary>Copies the parts' files under <paramref name="folder"/> (of their manifests' Files, at the same relative
    /// paths) into <paramref name="outDirectory"/>; two parts listing the same file is an error.</summary>
    public IReadOnlyList<string> Gather(string folder, string outDirectory)
    {
        var prefix = folder.TrimEnd('/') + "/";
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in Parts)
            foreach (var f in p.Manifest.Files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)))
                if (!owner.TryAdd(f, p.Directory)) throw new InvalidDataException($"{Name(p)}: its part file {f} is also in {owner[f]}");
        var written = new List<string>();
        foreach (var p in Parts)
            foreach (var f in p.Manifest.Files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var to = Path.Combine(outDirectory, f);
                var bytes = File.ReadAllBytes(PartFile(p, f));
                AtomicFile.WriteAllBytes(to, bytes);
                written.Add(to);
            }
        return written;
    }

    /// <summary>The path of a part file listed in the part's manifest.</summary>
    public static string PartFile((string Directory, ShardManifest Manifest) part, string file)
    {
        if (!part.Manifest.Files.Contains(file)) throw new InvalidDataException($"{Name(part)}: its manifest lists no part file {file}");
        return Path.Combine(part.Directory, file);
    }

    private static string Name((string Directory, ShardManifest Manifest) p) => $"{p.Directory} (shard {p.Manifest.Spec})";

    private static string RunKey(ShardManifest m) =>
        string.Join("\u0001", [m.Study, m.Shards.ToString(), m.Documents.ToString(), m.ChunkSize.ToString(), m.ModelFingerprint,
            .. m.Settings.Select(kv => kv.Key + "\u0002" + kv.Value)]);

    /// <summary>Why part <paramref name="p"/> is not of the run of <paramref name="r"/>: the first difference, named.</summary>
    private static string Difference((string Directory, ShardManifest Manifest) p, (string Directory, ShardManifest Manifest) r)
    {
        var (a, b) = (p.Manifest, r.Manifest);
        string there = $"in {r.Directory}";
        if (a.Study != b.Study) return $"a shard of {a.Study}, not of {b.Study} as {r.Directory}";
        if (a.ModelFingerprint != b.ModelFingerprint)
            return $"computed with another model ({a.Model}, {Short(a.ModelFingerprint)}; {Short(b.ModelFingerprint)} {there})";
        var differing = a.Settings.Keys.Union(b.Settings.Keys).Order(StringComparer.Ordinal)
            .Where(k => a.Settings.GetValueOrDefault(k) != b.Settings.GetValueOrDefault(k))
            .Select(k => $"{k} {a.Settings.GetValueOrDefault(k) ?? "(none)"}, {b.Settings.GetValueOrDefault(k) ?? "(none)"} {there}").ToList();
        if (differing.Count > 0) return $"other settings ({string.Join("; ", differing)})";
        if (a.Shards != b.Shards) return $"one of {a.Shards} shards, not {b.Shards} as {r.Directory}";
        if (a.Documents != b.Documents) return $"{a.Documents} documents in the run, {b.Documents} {there}";
        return $"chunks of {a.ChunkSize} documents, {b.ChunkSize} {there}";
    }

    private static string Short(string fingerprint) => fingerprint.Length > 19 ? fingerprint[..19] + "..." : fingerprint;

    private static string List(IEnumerable<string> items)
    {
        var l = items.ToList();
        return l.Count <= 1 ? string.Concat(l) : string.Join(", ", l.Take(l.Count - 1)) + " and " + l[^1];
    }
}
