using System.CommandLine;
using System.Diagnostics;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai doctor`: the engine AttnXai runs on here (TorchSharp, libtorch, the Debian 12 step, the allocator),
/// devices and threads, and a measured matmul rate.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var cmd = new Command("doctor", "Print the TorchSharp and libtorch versions, the Debian 12 step, devices, threads and a measured float32 matmul rate");
        var threads = CliRunner.ThreadsOption();
        cmd.Options.Add(threads);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            foreach (var (k, v) in Diagnose()) Console.WriteLine($"{k,-22} {v}");
            return 0;
        });
        return cmd;
    }

    public static List<(string, string)> Diagnose()
    {
        TorchEngine.Initialize();
        var rows = new List<(string, string)>
        {
            ("TorchSharp", $"{TorchEngine.TorchSharpVersion} ({TorchEngine.TorchSharpPackage})"),
            ("libtorch", TorchEngine.LibTorchVersion),
            ("Debian 12 step", TorchEngine.CompatStatus()),
            (".NET", Environment.Version.ToString()),
            ("threads", $"{torch.get_num_threads()} (cores: {Environment.ProcessorCount})"),
            ("cuda available", torch.cuda.is_available().ToString().ToLowerInvariant()),
            ("cuda devices", torch.cuda.device_count().ToString()),
            ("malloc tuning", Allocator.State),
        };
        double gflops = MatmulRate(1024);
        rows.Add(("matmul 1024 float32", $"{gflops:F1} GFLOP/s (median of 5)"));
        return rows;
    }

    /// <summary>Median GFLOP/s of an n x n float32 matrix product on the CPU.</summary>
    public static double MatmulRate(int n)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var a = torch.randn([n, n]);
        var b = torch.randn([n, n]);
        a.matmul(b).Dispose();
        var times = new List<double>();
        for (int k = 0; k < 5; k++)
        {
            var sw = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return 2.0 * n * n * n / times[2] / 1e9;
    }
}
