using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace AttnXai.Data.Imdb;

/// <summary>Options for <see cref="ImdbReader"/>.</summary>
public sealed record ImdbReadOptions
{
    public InvalidUtf8Handling InvalidUtf8 { get; init; } = InvalidUtf8Handling.Reject;
}

/// <summary>
/// Reads the labelled IMDB reviews from an <c>aclImdb</c> folder, from the official <c>aclImdb_v1.tar.gz</c> or from
/// the shared <c>aclImdb_v1_labeled.tar.gz</c> (also an uncompressed .tar). Archives are streamed (GZipStream +
/// TarReader) and never unpacked to disk; decompression runs on its own thread while another decodes the texts.
/// <para>
/// Kept: files <c>[aclImdb/]{train,test}/{pos,neg}/&lt;id&gt;_&lt;rating&gt;.txt</c> (label pos = 1, neg = 0, rating
/// 1..10). Skipped: everything outside those four folders (<c>train/unsup/</c>, <c>*.feat</c>, <c>urls_*.txt</c>,
/// README, imdb.vocab, imdbEr.txt, folders). Anything else inside a review folder is an error. The result is in
/// canonical order (split, label, id) whatever the archive order. An empty review file is kept (empty text).
/// </para>
/// <para>
/// A gzip stream cut short can decompress without error in .NET, so after the tar the reader drains the gzip stream
/// and compares the number of bytes it produced with the size recorded in the gzip trailer (the last 4 bytes of the
/// file, single-member gzip as the official archive): a truncated archive fails with a clear message.
/// </para>
/// </summary>
public static class ImdbReader
{
    /// <summary>Reads a folder (the aclImdb folder or one that contains it) or an archive file.</summary>
    public static ImdbDataset Read(string path, ImdbReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return ReadFolder(path, options);
        if (File.Exists(path)) return ReadArchive(path, options);
        throw new DataException(path, null, "no such file or folder (expected an aclImdb folder or an aclImdb_v1.tar.gz archive)");
    }

    // ---------------------------------------------------------------- names

    private enum NameKind { Skip, Review, Bad }

    private readonly record struct NameInfo(NameKind Kind, ImdbSplit Split, int Label, int Id, int Rating, string? Problem);

    /// <summary>Classifies a path relative to the archive root or the aclImdb folder ('/'-separated).</summary>
    private static NameInfo Classify(string name, bool isFile)
    {
        var n = name.Replace('\\', '/');
        while (n.StartsWith("./", StringComparison.Ordinal)) n = n[2..];
        n = n.TrimStart('/');
        var parts = n.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int k = parts.Length > 0 && parts[0] == "aclImdb" ? 1 : 0;
        if (parts.Length - k < 2) return default;
        ImdbSplit split;
        if (parts[k] == "train") split = ImdbSplit.Train;
        else if (parts[k] == "test") split = ImdbSplit.Test;
        else return default;
        int label;
        if (parts[k + 1] == "pos") label = 1;
        else if (parts[k + 1] == "neg") label = 0;
        else return default;
        if (parts.Length - k == 2) return default; // the folder itself
        if (parts.Length - k > 3 || !isFile)
            return new NameInfo(NameKind.Bad, split, label, 0, 0, "unexpected entry in a review folder (expected only <id>_<rating>.txt files)");
        var file = parts[^1];
        int us = file.IndexOf('_');
        if (!file.EndsWith(".txt", StringComparison.Ordinal) || us <= 0
            || !TryParseNumber(file.AsSpan(0, us), out int id)
            || !TryParseNumber(file.AsSpan(us + 1, file.Length - us - 5), out int rating))
            return new NameInfo(NameKind.Bad, split, label, 0, 0, "unexpected name in a review folder (expected <id>_<rating>.txt)");
        if (rating < 1 || rating > 10)
            return new NameInfo(NameKind.Bad, split, label, 0, 0, $"unexpected name in a review folder: rating {rating} is outside 1..10");
        return new NameInfo(NameKind.Review, split, label, id, rating, null);
    }

    private static bool TryParseNumber(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 9) return false;
        foreach (char c in s) if (c < '0' || c > '9') return false;
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    // ---------------------------------------------------------------- decoding

    private static readonly UTF8Encoding Strict = new(false, true);

    private static ImdbReview Decode(string file, string? entry, NameInfo info, byte[] bytes, int length, ImdbReadOptions options)
    {
        var span = bytes.AsSpan(0, length);
        string text;
        int invalid = 0;
        try
        {
            text = Strict.GetString(span);
        }
        catch (DecoderFallbackException e)
        {
            if (options.InvalidUtf8 == InvalidUtf8Handling.Reject)
            {
                int at = Math.Clamp(e.Index, 0, Math.Max(0, length - 1));
                var problem = length == 0
                    ? "not valid UTF-8"
                    : $"not valid UTF-8: byte 0x{span[at]:X2} at byte offset {at} (use InvalidUtf8Handling.Replace to replace such bytes by U+FFFD)";
                throw entry is null ? new DataException(file, null, problem, e) : DataException.AtEntry(file, entry, problem, e);
            }
            var counting = new CountingFallback();
            var enc = new UTF8Encoding(false, false);
            var decoder = enc.GetDecoder();
            decoder.Fallback = counting;
            var chars = new char[enc.GetMaxCharCount(length)];
            int n = decoder.GetChars(span, chars, flush: true);
            text = new string(chars, 0, n);
            invalid = counting.Count;
        }
        return new ImdbReview(info.Split, info.Label, info.Id, info.Rating, text, invalid);
    }

    /// <summary>Replaces each invalid sequence by U+FFFD and counts them.</summary>
    private sealed class CountingFallback : DecoderFallback
    {
        public int Count;
        public override int MaxCharCount => 1;
        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        private sealed class Buffer(CountingFallback owner) : DecoderFallbackBuffer
        {
            private bool _pending;
            public override int Remaining => _pending ? 1 : 0;
            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                owner.Count++;
                _pending = true;
                return true;
            }
            public override char GetNextChar()
            {
                if (!_pending) return '\0';
                _pending = false;
                return '\uFFFD';
            }
            public override bool MovePrevious() => false;
            public override void Reset() => _pending = false;
        }
    }

    private static ImdbDataset Finish(string source, List<ImdbReview> all, Func<ImdbReview, string> where)
    {
        all.Sort(ImdbReview.CompareCanonical);
        for (int i = 1; i < all.Count; i++)
        {
            var a = all[i - 1];
            var b = all[i];
            if (a.Split == b.Split && a.Label == b.Label && a.Id == b.Id)
                throw new DataException(source, null, $"two reviews with the same split, label and id: {where(a)} and {where(b)}");
        }
        if (all.Count == 0)
            throw new DataException(source, null, "no labelled review found (expected aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt)");
        var train = all.Where(r => r.Split == ImdbSplit.Train).ToArray();
        var test = all.Where(r => r.Split == ImdbSplit.Test).ToArray();
        // A part present with one label only is an incomplete copy (a folder or archive members missing), which would
        // otherwise be trained on or evaluated as a one-class part.
        foreach (var (name, part) in new[] { ("train", train), ("test", test) })
        {
            if (part.Length == 0) continue;
            int pos = part.Count(r => r.Label == 1), neg = part.Length - pos;
            if (pos == 0 || neg == 0)
            {
                var (missing, present, count) = pos == 0 ? ("pos", "neg", neg) : ("neg", "pos", pos);
                throw new DataException(source, null,
                    $"{name}/{missing} holds no review while {name}/{present} holds {count}: an incomplete copy of IMDB (both labels of a part are needed; restore {name}/{missing})");
            }
        }
        return new ImdbDataset(source, train, test);
    }

    // ---------------------------------------------------------------- folders

    /// <summary>Reads the aclImdb layout from a folder: the aclImdb folder itself or a folder that contains it.</summary>
    public static ImdbDataset ReadFolder(string folder, ImdbReadOptions? options = null)
    {
        options ??= new ImdbReadOptions();
        if (!Directory.Exists(folder)) throw new DataException(folder, null, "no such folder");
        var root = Path.GetFullPath(folder);
        if (!IsImdbRoot(root))
        {
            var inner = Path.Combine(root, "aclImdb");
            if (!IsImdbRoot(inner))
                throw new DataException(folder, null, "not an aclImdb folder (no train/ or test/ folder with pos/ and neg/ in it or in aclImdb/)");
            root = inner;
        }
        var files = new List<(string Path, NameInfo Info)>();
        foreach (var split in new[] { "train", "test" })
        foreach (var label in new[] { "neg", "pos" })
        {
            var dir = Path.Combine(root, split, label);
            if (!Directory.Exists(dir)) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                bool isFile = File.Exists(entry);
                var info = Classify($"{split}/{label}/{Path.GetFileName(entry)}", isFile);
                if (info.Kind == NameKind.Bad) throw new DataException(entry, null, info.Problem!);
                if (info.Kind == NameKind.Review) files.Add((entry, info));
            }
        }
        var reviews = new ImdbReview[files.Count];
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                var (path, info) = files[i];
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DataException(path, null, $"cannot read the review: {e.Message}", e);
                }
                reviews[i] = Decode(path, null, info, bytes, bytes.Length, options);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is DataException) is DataException first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        return Finish(root, reviews.ToList(), r => Path.Combine(root, r.RelativePath));
    }

    private static bool IsImdbRoot(string dir) =>
        new[] { "train", "test" }.Any(s => Directory.Exists(Path.Combine(dir, s, "pos")) || Directory.Exists(Path.Combine(dir, s, "neg")));

    // ---------------------------------------------------------------- archives

    private readonly record struct RawEntry(string Name, NameInfo Info, byte[] Bytes, int Length);

    /// <summary>Reads a .tar.gz (or plain .tar) archive in the aclImdb layout, streaming it.</summary>
    public static ImdbDataset ReadArchive(string archivePath, ImdbReadOptions? options = null)
    {
        options ??= new ImdbReadOptions();
        FileStream file;
        try
        {
            file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataException(archivePath, null, "no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(archivePath, null, $"cannot open the archive: {e.Message}", e);
        }
        using (file)
        {
            return ReadArchive(file, archivePath, options);
        }
    }

    private static ImdbDataset ReadArchive(FileStream file, string archivePath, ImdbReadOptions options)
    {
        long fileLength = file.Length;
        Span<byte> head = stackalloc byte[2];
        int got = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        bool gzip = got == 2 && head[0] == 0x1f && head[1] == 0x8b;
        uint? expectedSize = null;
        if (gzip)
        {
            if (fileLength < 18) throw new DataException(archivePath, null, "the gzip file is truncated (shorter than a gzip header and trailer)");
            Span<byte> trailer = stackalloc byte[4];
            file.Seek(-4, SeekOrigin.End);
            file.ReadExactly(trailer);
            expectedSize = BitConverter.ToUInt32(trailer); // ISIZE, little-endian
        }
        else if (!LooksLikeTar(file))
        {
            throw new DataException(archivePath, null, "not a gzip-compressed tar archive nor a tar archive (unrecognised first bytes)");
        }
        file.Seek(0, SeekOrigin.Begin);

        using var queue = new BlockingCollection<RawEntry>(boundedCapacity: 1024);
        using var stop = new CancellationTokenSource();
        Exception? producerError = null;
        long decompressed = 0;
        var producer = new Thread(() =>
        {
            try
            {
                decompressed = ProduceEntries(file, gzip, archivePath, queue, stop.Token);
            }
            catch (Exception e)
            {
                producerError = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        }) { IsBackground = true, Name = "imdb-archive-reader" };
        producer.Start();

        var reviews = new List<ImdbReview>(50_000);
        Exception? consumerError = null;
        try
        {
            foreach (var raw in queue.GetConsumingEnumerable())
            {
                reviews.Add(Decode(archivePath, raw.Name, raw.Info, raw.Bytes, raw.Length, options));
            }
        }
        catch (Exception e)
        {
            consumerError = e;
            stop.Cancel(); // the producer's next Add throws OperationCanceledException and it stops
        }
        producer.Join();
        if (consumerError != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(consumerError);
        if (producerError != null) throw Wrap(archivePath, producerError);
        if (gzip && (uint)decompressed != expectedSize)
            throw new DataException(archivePath, null,
                $"the gzip stream is truncated or corrupt: it decompressed to {decompressed} bytes but its trailer records {expectedSize} (mod 2^32)");
        return Finish(archivePath, reviews, r => $"entry for {r.RelativePath}");
    }

    private static bool LooksLikeTar(FileStream file)
    {
        Span<byte> block = stackalloc byte[512];
        file.Seek(0, SeekOrigin.Begin);
        if (file.ReadAtLeast(block, 512, throwOnEndOfStream: false) < 512) return false;
        // ustar magic at offset 257, or a v7 header whose checksum field (148..155) is octal digits/spaces/NULs.
        if (block.Slice(257, 5).SequenceEqual("ustar"u8)) return true;
        foreach (byte b in block.Slice(148, 8))
            if (!(b == 0 || b == (byte)' ' || (b >= (byte)'0' && b <= (byte)'7'))) return false;
        return block[0] != 0;
    }

    private static Exception Wrap(string archivePath, Exception e) => e switch
    {
        DataException d => d,
        EndOfStreamException => new DataException(archivePath, null, "the archive is truncated (the data ends in the middle of an entry)", e),
        InvalidDataException => new DataException(archivePath, null, $"the archive is corrupt: {e.Message}", e),
        FormatException => new DataException(archivePath, null, $"the tar data is corrupt: {e.Message}", e),
        IOException => new DataException(archivePath, null, $"cannot read the archive: {e.Message}", e),
        _ => e,
    };

    /// <summary>Decompresses and walks the tar, queueing review entries; returns the decompressed byte count.</summary>
    private static long ProduceEntries(FileStream file, bool gzip, string archivePath, BlockingCollection<RawEntry> queue, CancellationToken stop)
    {
        Stream source = file;
        GZipStream? gz = null;
        if (gzip) source = gz = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        using var counter = new CountingStream(source);
        using (var tar = new TarReader(counter, leaveOpen: true))
        {
            TarEntry? entry;
            while ((entry = tar.GetNextEntry(copyData: false)) != null)
            {
                bool isFile = entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;
                var info = Classify(entry.Name, isFile);
                if (info.Kind == NameKind.Skip) continue; // its data is skipped by the next GetNextEntry
                if (info.Kind == NameKind.Bad) throw DataException.AtEntry(archivePath, entry.Name, info.Problem!);
                int length = checked((int)entry.Length);
                var bytes = new byte[length];
                if (length > 0)
                {
                    var data = entry.DataStream ?? throw DataException.AtEntry(archivePath, entry.Name, "the entry has no data");
                    data.ReadExactly(bytes, 0, length);
                }
                queue.Add(new RawEntry(entry.Name, info, bytes, length), stop);
            }
        }
        // Drain what follows the end-of-archive blocks so the count covers the whole gzip member.
        var sink = new byte[1 << 16];
        while (counter.Read(sink, 0, sink.Length) > 0) { }
        gz?.Dispose();
        return counter.BytesRead;
    }

    /// <summary>A read-only pass-through stream that counts bytes.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            BytesRead += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
