using System.Net;
using System.Security.Cryptography;
using AttnXai.Data.Imdb;

namespace AttnXai.Data.Tests;

public class DataLocatorTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void ExplicitPathFormsAreRecognised()
    {
        using var dir = new TempDir();
        var archive = dir.Write("holder/aclImdb_v1.tar.gz", Archives.Build(Archives.SmallImdb()));
        dir.Write("layout/aclImdb/train/pos/1_9.txt", "good");
        var locator = new DataLocator(Env(), cacheDirectory: dir.File("cache"));

        Assert.Equal(new DataLocation(archive, DataSourceKind.Archive, DataOrigin.Explicit), locator.Locate(archive));
        Assert.Equal(new DataLocation(archive, DataSourceKind.Archive, DataOrigin.Explicit), locator.Locate(dir.File("holder")));
        Assert.Equal(new DataLocation(dir.File("layout/aclImdb"), DataSourceKind.Folder, DataOrigin.Explicit), locator.Locate(dir.File("layout")));
        Assert.Equal(new DataLocation(dir.File("layout/aclImdb"), DataSourceKind.Folder, DataOrigin.Explicit), locator.Locate(dir.File("layout/aclImdb")));
    }

    [Fact]
    public void EnvironmentVariableThenCache()
    {
        using var dir = new TempDir();
        var labeled = dir.Write("env/aclImdb_v1_labeled.tar.gz", Archives.Build(Archives.SmallImdb()));
        var cache = dir.File("xdg/attnxai");
        var withEnv = new DataLocator(Env(("ATTNXAI_DATA", dir.File("env")), ("XDG_CACHE_HOME", dir.File("xdg"))));
        Assert.Equal(cache, withEnv.CacheDirectory);
        Assert.Equal(new DataLocation(labeled, DataSourceKind.Archive, DataOrigin.Environment), withEnv.Locate());

        var noEnv = new DataLocator(Env(("XDG_CACHE_HOME", dir.File("xdg"))));
        Assert.Null(noEnv.TryLocate());
        var e = Assert.Throws<DataException>(() => noEnv.Locate());
        Assert.StartsWith(cache, e.Message);
        Assert.Contains("ATTNXAI_DATA", e.Message);

        var cached = dir.Write("xdg/attnxai/aclImdb_v1.tar.gz", Archives.Build(Archives.SmallImdb()));
        Assert.Equal(new DataLocation(cached, DataSourceKind.Archive, DataOrigin.Cache), noEnv.Locate());
    }

    [Fact]
    public void DefaultCacheIsUnderHomeWithoutXdg()
    {
        Assert.Equal(Path.Combine("/home/u", ".cache", "attnxai"), DataLocator.DefaultCacheDirectory(Env(("HOME", "/home/u"))));
        Assert.Equal(Path.Combine("/x", "attnxai"), DataLocator.DefaultCacheDirectory(Env(("HOME", "/home/u"), ("XDG_CACHE_HOME", "/x"))));
    }

    [Fact]
    public void MissingOrEmptyExplicitPathIsAnErrorNotAFallback()
    {
        using var dir = new TempDir();
        dir.Write("xdg/attnxai/aclImdb_v1.tar.gz", Archives.Build(Archives.SmallImdb()));
        var locator = new DataLocator(Env(("XDG_CACHE_HOME", dir.File("xdg"))));
        var missing = dir.File("nowhere");
        var e = Assert.Throws<DataException>(() => locator.Locate(missing));
        Assert.StartsWith(missing, e.Message);
        Assert.Contains("does not exist", e.Message);

        Directory.CreateDirectory(dir.File("empty"));
        e = Assert.Throws<DataException>(() => locator.Locate(dir.File("empty")));
        Assert.Contains("holds no IMDB data", e.Message);

        var badEnv = new DataLocator(Env(("ATTNXAI_DATA", missing)), dir.File("xdg/attnxai"));
        e = Assert.Throws<DataException>(() => badEnv.Locate());
        Assert.Contains("$ATTNXAI_DATA does not exist", e.Message);
    }
}

public class DownloaderTests
{
    private const string Url = "https://example.invalid/aclImdb_v1.tar.gz";

    /// <summary>Answers every request from a function; never touches the network.</summary>
    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public int Requests;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(respond(request));
        }
    }

    /// <summary>Yields some bytes, then fails as a dropped connection would.</summary>
    private sealed class BreakingStream(int goodBytes) : Stream
    {
        private int _left = goodBytes;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left == 0) throw new IOException("connection reset by peer");
            int n = Math.Min(count, _left);
            Array.Fill(buffer, (byte)7, offset, n);
            _left -= n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
        public override void SetLength(long v) => throw new NotSupportedException();
        public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
    }

    private sealed class ListProgress : IProgress<DownloadProgress>
    {
        public readonly List<DownloadProgress> Reports = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    private static HttpResponseMessage Ok(byte[] body) => new(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };

    private static string Md5(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));

    [Fact]
    public async Task DownloadsVerifiesAndRenames()
    {
        using var dir = new TempDir();
        var body = Archives.Build(Archives.SmallImdb());
        var handler = new FakeHandler(_ => Ok(body));
        using var downloader = new ImdbDownloader(handler, Url, Md5(body)) { ProgressStep = 100 };
        var progress = new ListProgress();
        var target = dir.File("cache/aclImdb_v1.tar.gz");
        await downloader.DownloadAsync(target, progress);
        Assert.Equal(body, File.ReadAllBytes(target));
        Assert.Equal([target], Directory.GetFiles(dir.File("cache")));
        Assert.Equal(new DownloadProgress(body.Length, body.Length), progress.Reports[^1]);
        Assert.Equal(0, progress.Reports[0].BytesDone);
        Assert.Equal(1.0, progress.Reports[^1].Fraction);
        Assert.Equal(2, ImdbReader.Read(target).Test.Count(r => r.Label == 0));
    }

    [Fact]
    public async Task ProgressIsReportedAsBytesArrive()
    {
        using var dir = new TempDir();
        var body = new byte[300_000];
        new System.Random(1).NextBytes(body);
        using var downloader = new ImdbDownloader(new FakeHandler(_ => Ok(body)), Url, Md5(body)) { ProgressStep = 50_000 };
        var progress = new ListProgress();
        await downloader.DownloadAsync(dir.File("a.bin"), progress);
        Assert.True(progress.Reports.Count >= 4, $"{progress.Reports.Count} reports");
        Assert.Equal(progress.Reports.Select(p => p.BytesDone).Order(), progress.Reports.Select(p => p.BytesDone));
        Assert.All(progress.Reports, p => Assert.Equal(body.Length, p.TotalBytes));
        Assert.Equal(body.Length, progress.Reports[^1].BytesDone);
    }

    [Fact]
    public async Task ChecksumMismatchLeavesNoFile()
    {
        using var dir = new TempDir();
        var body = new byte[5000];
        using var downloader = new ImdbDownloader(new FakeHandler(_ => Ok(body)), Url, ImdbDownloader.OfficialMd5);
        var target = dir.File("cache/aclImdb_v1.tar.gz");
        var e = await Assert.ThrowsAsync<DataException>(() => downloader.DownloadAsync(target));
        Assert.StartsWith(Url, e.Message);
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains(ImdbDownloader.OfficialMd5, e.Message);
        Assert.Contains(Md5(body), e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("cache")));
    }

    [Fact]
    public async Task HttpErrorIsReported()
    {
        using var dir = new TempDir();
        using var downloader = new ImdbDownloader(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound)), Url, ImdbDownloader.OfficialMd5);
        var e = await Assert.ThrowsAsync<DataException>(() => downloader.DownloadAsync(dir.File("c/a.tar.gz")));
        Assert.StartsWith(Url, e.Message);
        Assert.Contains("HTTP 404", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("c")));
    }

    [Fact]
    public async Task NetworkFailuresLeaveNoPartialFile()
    {
        using var dir = new TempDir();
        var target = dir.File("c/aclImdb_v1.tar.gz");

        using var refused = new ImdbDownloader(new FakeHandler(_ => throw new HttpRequestException("connection refused")), Url, ImdbDownloader.OfficialMd5);
        var e = await Assert.ThrowsAsync<DataException>(() => refused.DownloadAsync(target));
        Assert.StartsWith(Url, e.Message);
        Assert.Contains("connection refused", e.Message);

        using var dropped = new ImdbDownloader(
            new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BreakingStream(300_000)) }),
            Url, ImdbDownloader.OfficialMd5);
        e = await Assert.ThrowsAsync<DataException>(() => dropped.DownloadAsync(target));
        Assert.StartsWith(Url, e.Message);
        Assert.Contains("the download failed after", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("c")));
    }

    [Fact]
    public async Task ShortBodyAgainstContentLengthIsIncomplete()
    {
        using var dir = new TempDir();
        var content = new ByteArrayContent(new byte[100]);
        content.Headers.ContentLength = 1000;
        using var downloader = new ImdbDownloader(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = content }), Url, ImdbDownloader.OfficialMd5);
        var e = await Assert.ThrowsAsync<DataException>(() => downloader.DownloadAsync(dir.File("c/a.tar.gz")));
        Assert.StartsWith(Url, e.Message);
        Assert.Matches("incomplete|failed", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("c")));
    }

    [Fact]
    public async Task CancellationLeavesNoPartialFile()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var body = new byte[1 << 20];
        using var downloader = new ImdbDownloader(new FakeHandler(_ => Ok(body)), Url, Md5(body)) { ProgressStep = 1 };
        var progress = new SyncProgress(p => { if (p.BytesDone > 0) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => downloader.DownloadAsync(dir.File("c/a.tar.gz"), progress, cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("c")));
    }

    private sealed class SyncProgress(Action<DownloadProgress> a) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => a(value);
    }

    [Fact]
    public async Task LocatorDownloadsIntoTheCacheWhenNothingIsFound()
    {
        using var dir = new TempDir();
        var body = Archives.Build(Archives.SmallImdb());
        var handler = new FakeHandler(_ => Ok(body));
        using var downloader = new ImdbDownloader(handler, Url, Md5(body));
        var locator = new DataLocator(_ => null, dir.File("cache"));
        var loc = await locator.LocateOrDownloadAsync(null, downloader);
        Assert.Equal(new DataLocation(locator.CachedArchivePath, DataSourceKind.Archive, DataOrigin.Cache), loc);
        Assert.Equal(body, File.ReadAllBytes(loc.Path));
        // Found in the cache the second time: no new request.
        await locator.LocateOrDownloadAsync(null, downloader);
        Assert.Equal(1, handler.Requests);
    }
}
