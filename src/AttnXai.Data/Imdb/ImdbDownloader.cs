using System.Security.Cryptography;

namespace AttnXai.Data.Imdb;

/// <summary>Download progress: bytes received so far and the total when the server announced it.</summary>
public readonly record struct DownloadProgress(long BytesDone, long? TotalBytes)
{
    /// <summary>Fraction done in [0, 1], or null when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? (double)BytesDone / TotalBytes.Value : null;
}

/// <summary>
/// Downloads an archive (by default the official IMDB archive) to a file: streamed to a temporary name in the same
/// folder while its MD5 is computed, then renamed over the target only when the download is complete and the MD5
/// matches. On any failure (HTTP error, network error, cancellation, checksum mismatch) the temporary file is
/// deleted and a <see cref="DataException"/> naming the URL and the problem is thrown (cancellation rethrows
/// OperationCanceledException). The HTTP stack is injected so tests never touch the network.
/// </summary>
public sealed class ImdbDownloader : IDisposable
{
    public const string OfficialUrl = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";
    public const string OfficialMd5 = "7c2ac02c03563afcf9b574c7e56c153a";

    private readonly HttpClient _client;
    private readonly bool _ownsClient;

    public ImdbDownloader(HttpClient client, string url = OfficialUrl, string expectedMd5 = OfficialMd5)
        : this(client, false, url, expectedMd5) { }

    public ImdbDownloader(HttpMessageHandler handler, string url = OfficialUrl, string expectedMd5 = OfficialMd5)
        : this(new HttpClient(handler ?? throw new ArgumentNullException(nameof(handler)), disposeHandler: false), true, url, expectedMd5) { }

    /// <summary>A downloader with its own HttpClient.</summary>
    public ImdbDownloader() : this(new HttpClient(), true, OfficialUrl, OfficialMd5) { }

    private ImdbDownloader(HttpClient client, bool owns, string url, string expectedMd5)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentException.ThrowIfNullOrEmpty(expectedMd5);
        if (expectedMd5.Length != 32 || !expectedMd5.All(Uri.IsHexDigit))
            throw new ArgumentException("expected MD5 must be 32 hexadecimal digits", nameof(expectedMd5));
        _client = client;
        _ownsClient = owns;
        Url = url;
        ExpectedMd5 = expectedMd5.ToLowerInvariant();
    }

    public string Url { get; }
    public string ExpectedMd5 { get; }

    /// <summary>Minimum bytes between two progress reports (the last one is always reported).</summary>
    public long ProgressStep { get; init; } = 1 << 20;

    public async Task DownloadAsync(string destinationPath, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var full = Path.GetFullPath(destinationPath);
        var dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(dir, null, $"cannot create the download folder: {e.Message}", e);
        }
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
        try
        {
            string actual;
            using (var response = await Send(cancellationToken).ConfigureAwait(false))
            {
                long? total = response.Content.Headers.ContentLength;
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                var buffer = new byte[1 << 16];
                long done = 0, reported = 0;
                progress?.Report(new DownloadProgress(0, total));
                while (true)
                {
                    int n;
                    try
                    {
                        n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException)
                    {
                        throw new DataException(Url, null, $"the download failed after {done} bytes: {e.Message}", e);
                    }
                    if (n == 0) break;
                    md5.AppendData(buffer, 0, n);
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    done += n;
                    if (done - reported >= ProgressStep) { progress?.Report(new DownloadProgress(done, total)); reported = done; }
                }
                if (reported != done || done == 0) progress?.Report(new DownloadProgress(done, total));
                if (total is long t && t != done)
                    throw new DataException(Url, null, $"the download is incomplete: received {done} of {t} bytes");
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
                actual = Convert.ToHexStringLower(md5.GetHashAndReset());
            }
            if (actual != ExpectedMd5)
                throw new DataException(Url, null, $"checksum mismatch: MD5 of the downloaded file is {actual}, expected {ExpectedMd5}; the file was not kept");
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new DataException(full, null, $"cannot write the downloaded file: {e.Message}", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private async Task<HttpResponseMessage> Send(CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _client.GetAsync(Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DataException(Url, null, $"the download failed: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DataException(Url, null, "the download timed out", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            var code = (int)response.StatusCode;
            var reason = response.ReasonPhrase;
            response.Dispose();
            throw new DataException(Url, null, $"the download failed: HTTP {code} {reason}".TrimEnd());
        }
        return response;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }
}
