namespace AttnXai.Data.Tests;

public class BenchmarkTests
{
    /// <summary>Runs the data benchmark on the shared archive (filter it out with --filter Category!=Benchmark).
    /// Checks the counts only, never the times.</summary>
    [SharedDataFact]
    [Trait("Category", "Benchmark")]
    public void DataBenchmarkRunsOnTheSharedArchive()
    {
        var log = new StringWriter();
        var r = DataBenchmark.Run(AttnXai.Common.IO.RepoPaths.SharedImdbArchive()!, log);
        Assert.Equal(25_000, r.TrainReviews);
        Assert.Equal(25_000, r.TestReviews);
        Assert.True(r.VocabularySize > 50_000);
        Assert.Contains("read", log.ToString());
        Assert.Contains("encode", log.ToString());
        Assert.True(r.PeakResidentBytes is null or > 0);
    }
}
