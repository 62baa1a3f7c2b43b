using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Data.Tests;

/// <summary>A temporary folder deleted at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "attnxai-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        var full = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, bytes);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

public static class Archives
{
    /// <summary>A tar (gzip-compressed unless gzip is false) of the given entries; a null content makes a folder.</summary>
    public static byte[] Build(IEnumerable<(string Name, byte[]? Content)> entries, bool gzip = true)
    {
        var ms = new MemoryStream();
        Stream target = gzip ? new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true) : ms;
        using (var tar = new TarWriter(target, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var e = new UstarTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, name);
                if (content != null) e.DataStream = new MemoryStream(content);
                tar.WriteEntry(e);
            }
        }
        if (gzip) target.Dispose();
        return ms.ToArray();
    }

    public static (string, byte[]?) Text(string name, string text) => (name, Encoding.UTF8.GetBytes(text));

    /// <summary>A small labelled set in the official layout, with the extra files a loader must skip, in a shuffled order.</summary>
    public static List<(string Name, byte[]? Content)> SmallImdb() =>
    [
        ("aclImdb/", null),
        Text("aclImdb/README", "Large Movie Review Dataset v1.0"),
        Text("aclImdb/imdb.vocab", "the\nand\n"),
        Text("aclImdb/imdbEr.txt", "0.1\n"),
        ("aclImdb/test/", null),
        ("aclImdb/test/pos/", null),
        Text("aclImdb/test/pos/10_7.txt", "Good fun."),
        Text("aclImdb/test/neg/3_2.txt", "Dull. <br />Very dull!"),
        Text("aclImdb/train/labeledBow.feat", "1 0:1\n"),
        Text("aclImdb/train/unsup/0_0.txt", "unlabelled"),
        Text("aclImdb/train/unsupBow.feat", "0 0:1\n"),
        Text("aclImdb/train/urls_pos.txt", "http://www.imdb.com/title/tt0453418/usercomments\n"),
        Text("aclImdb/train/pos/2_9.txt", "A great film, truly great."),
        Text("aclImdb/train/neg/11_1.txt", "Awful acting."),
        Text("aclImdb/train/pos/1_10.txt", "Loved it"),
        Text("aclImdb/train/neg/0_3.txt", "Bad plot; bad ending"),
        Text("aclImdb/train/neg/5_4.txt", ""),
        Text("aclImdb/test/neg/1_1.txt", "Worst ever"),
    ];
}

/// <summary>A fact that runs only when the shared IMDB archive is present (RepoPaths.SharedImdbArchive()), and is
/// reported as skipped, with the reason, otherwise.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (RepoPaths.SharedImdbArchive() is null)
            Skip = "the shared IMDB archive (../shared/data/aclImdb_v1_labeled.tar.gz or $ATTNXAI_SHARED_DATA) is not present";
    }
}
