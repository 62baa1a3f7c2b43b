using System.Diagnostics;
using System.Globalization;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;

namespace AttnXai.Data;

/// <summary>Wall times of <see cref="DataBenchmark.Run"/>'s phases and the process's peak resident memory.</summary>
public sealed record DataBenchmarkResult(
    TimeSpan Read,
    TimeSpan Vocabulary,
    TimeSpan Encode,
    int TrainReviews,
    int TestReviews,
    int VocabularySize,
    long EncodedTokens,
    int TruncatedReviews,
    long? PeakResidentBytes)
{
    public TimeSpan Total => Read + Vocabulary + Encode;
}

/// <summary>
/// The data benchmark behind <c>attnxai bench data</c>: read the whole IMDB archive (or folder), build the
/// basic_english vocabulary of the 25,000 train reviews, encode all 50,000 reviews to 256 ids each; report the wall
/// time of each phase and the peak resident memory (VmHWM in /proc/self/status; null where unavailable).
/// </summary>
public static class DataBenchmark
{
    public static DataBenchmarkResult Run(string dataPath, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(dataPath);
        ArgumentNullException.ThrowIfNull(log);
        var inv = CultureInfo.InvariantCulture;
        log.WriteLine($"data: {dataPath}");

        var sw = Stopwatch.StartNew();
        var data = ImdbReader.Read(dataPath);
        var read = sw.Elapsed;
        log.WriteLine(string.Create(inv, $"read        {read.TotalSeconds,8:F3} s  ({data.Train.Count} train + {data.Test.Count} test reviews)"));

        sw.Restart();
        var trainTexts = data.Train.Select(r => r.Text).ToArray();
        var vocab = Text.Vocabulary.Build(trainTexts, BasicEnglishTokenizer.Instance);
        var vocabTime = sw.Elapsed;
        log.WriteLine(string.Create(inv, $"vocabulary  {vocabTime.TotalSeconds,8:F3} s  ({vocab.Count} entries)"));

        sw.Restart();
        var all = data.Train.Concat(data.Test).ToArray();
        var encoder = new TextEncoder(BasicEnglishTokenizer.Instance, vocab);
        var encoded = encoder.EncodeAll(all.Select(r => r.Text).ToArray(), all.Select(r => (long)r.Label).ToArray());
        var encodeTime = sw.Elapsed;
        long tokens = encoded.WordCounts.Sum(w => (long)w);
        int truncated = encoded.Truncated.Count(t => t);
        log.WriteLine(string.Create(inv, $"encode      {encodeTime.TotalSeconds,8:F3} s  ({encoded.Count} reviews, {tokens} words kept, {truncated} truncated to {encoder.MaxWords})"));

        var peak = PeakResidentBytes();
        log.WriteLine(string.Create(inv, $"total       {(read + vocabTime + encodeTime).TotalSeconds,8:F3} s"));
        log.WriteLine(peak is long p
            ? string.Create(inv, $"peak RSS    {p / (1024.0 * 1024.0),8:F1} MiB (VmHWM)")
            : "peak RSS    unavailable (no /proc/self/status)");
        GC.KeepAlive(encoded);
        return new DataBenchmarkResult(read, vocabTime, encodeTime, data.Train.Count, data.Test.Count, vocab.Count, tokens, truncated, peak);
    }

    /// <summary>VmHWM from /proc/self/status in bytes, or null when not available (not Linux).</summary>
    public static long? PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line[6..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
                    return kb * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }
}
