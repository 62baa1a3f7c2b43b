using System.CommandLine;
using AttnXai.Data;
using AttnXai.Data.Imdb;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai bench data`: read the whole IMDB archive and encode all 50,000 reviews; time and peak memory.</summary>
public static class DataBench
{
    public static Command Create()
    {
        var cmd = new Command("data", "Read the IMDB archive and encode all 50,000 reviews: time per phase and peak memory");
        var data = new Option<string?>("--data") { Description = "aclImdb folder, archive, or folder holding an archive (default: ATTNXAI_DATA, then the cache)" };
        cmd.Options.Add(data);
        cmd.SetAction(r =>
        {
            var location = new DataLocator().Locate(r.GetValue(data));
            var result = DataBenchmark.Run(location.Path, Console.Out);
            Console.WriteLine($"total       {result.Total.TotalSeconds,8:F3} s, peak resident memory {(result.PeakResidentBytes ?? 0) / 1048576.0:F0} MiB");
            return 0;
        });
        return cmd;
    }
}
