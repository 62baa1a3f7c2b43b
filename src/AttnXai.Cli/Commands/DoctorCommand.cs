using System.CommandLine;
using System.Diagnostics;
using AttnXai.Torch;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai doctor`: what libtorch, BLAS, devices and threads this machine gives AttnXai, and a measured matmul rate.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var cmd = new Command("doctor", "Print the libtorch version, BLAS library, devices, threads and a measured float32 matmul rate");
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
        var rows = new List<(string, string)>
        {
            ("libtorch", torch.__version__),
            (".NET", Environment.Version.ToString()),
            ("threads", torch.get_num_threads().ToString()),
            ("cuda available", torch.cuda.is_available().ToString().ToLowerInvariant()),
            ("cuda devices", torch.cuda.device_count().ToString()),
        };
        double gflops = MatmulRate(1024);
        rows.Add(("BLAS library", BlasLibrary()));
        rows.Add(("malloc tuning", Environment.GetEnvironmentVariable("ATTNXAI_MALLOC") == "default" ? "off (ATTNXAI_MALLOC=default)" : "on (mmap/trim thresholds raised)"));
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

    /// <summary>The BLAS shared library mapped into this process (after a matmul has loaded it), resolved through symlinks.</summary>
    public static string BlasLibrary()
    {
        try
        {
            var libs = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .Where(p => p.Contains("blas", StringComparison.OrdinalIgnoreCase) || p.Contains("mkl", StringComparison.OrdinalIgnoreCase))
                .Distinct().ToList();
            if (libs.Count == 0) return "none mapped (libtorch may use its own kernels)";
            bool reference = libs.Any(p => p.Contains("/blas/libblas")) && !libs.Any(p => p.Contains("openblas") || p.Contains("mkl"));
            return string.Join(", ", libs) + (reference ? "  WARNING: Debian's reference BLAS (about 20x slower): install libopenblas0-pthread" : "");
        }
        catch (IOException) { return "unknown (no /proc/self/maps)"; }
    }
}
