using System.CommandLine;
using System.Diagnostics;
using AttnXai.Torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench torch`: the binding's overhead (the same matmul loops through AttnXai and in C++ directly on
/// libtorch, medians of 7 runs) and the resident memory of a long loop of small operations in dispose scopes.
/// </summary>
public static class TorchBench
{
    public static Command Create()
    {
        var cmd = new Command("torch", "Binding overhead against C++ on libtorch, and memory of a long op loop");
        var threads = CliRunner.ThreadsOption();
        cmd.Options.Add(threads);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(r.GetValue(threads));
            return 0;
        });
        return cmd;
    }

    public static void Run(int? threads)
    {
        // The C++ and C# measurements alternate, five rounds each, so that load from other processes affects both
        // alike; each figure is the median over the rounds of per-round medians.
        int nThreads = threads ?? torch.get_num_threads();
        var ours = new Dictionary<int, List<double>> { [64] = new(), [1024] = new() };
        var theirs = new Dictionary<int, List<double>> { [64] = new(), [1024] = new() };
        for (int round = 0; round < 5; round++)
        {
            foreach (var (n, v) in CppMedians(nThreads)) theirs[n].Add(v);
            foreach (var n in ours.Keys) ours[n].Add(MatmulMedian(n));
        }
        Console.WriteLine($"threads: {torch.get_num_threads()} (libtorch), BLAS threads as the BLAS library sets them");
        Console.WriteLine($"{"op",-16} {"AttnXai (us)",14} {"C++ (us)",12} {"ratio",8}");
        foreach (var n in ours.Keys)
        {
            double a = Median(ours[n]), b = theirs[n].Count > 0 ? Median(theirs[n]) : double.NaN;
            Console.WriteLine($"{$"matmul {n}x{n}",-16} {a,14:F2} {b,12:F2} {a / b,8:F3}");
        }
        LoopMemory(100_000);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static double MatmulMedian(int n)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var a = torch.randn([n, n]);
        var b = torch.randn([n, n]);
        int inner = n <= 64 ? 2000 : 5;
        for (int w = 0; w < 2; w++) a.matmul(b).Dispose();
        var perOp = new List<double>();
        for (int run = 0; run < 7; run++)
        {
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < inner; k++) a.matmul(b).Dispose();
            perOp.Add(sw.Elapsed.TotalMicroseconds / inner);
        }
        perOp.Sort();
        return perOp[perOp.Count / 2];
    }

    private static Dictionary<int, double> CppMedians(int threads)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "attnxai_torch_bench");
        var result = new Dictionary<int, double>();
        if (!File.Exists(exe)) { Console.WriteLine($"C++ benchmark not found at {exe}"); return result; }
        var psi = new ProcessStartInfo(exe, threads.ToString()) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        foreach (var line in p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && parts[0] == "matmul")
                result[int.Parse(parts[1])] = double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        }
        p.WaitForExit();
        return result;
    }

    /// <summary>
    /// Resident memory across rounds of `count` small operations, each iteration in its own dispose scope: after the
    /// first round has warmed the allocators, a flat series means nothing leaks.
    /// </summary>
    private static void LoopMemory(int count)
    {
        long before = torch.LiveTensorCount;
        using (var outer = torch.NewDisposeScope())
        {
            var x = torch.randn([8, 8]);
            var series = new List<string>();
            var sw = Stopwatch.StartNew();
            for (int round = 0; round < 4; round++)
            {
                Warm(x, count);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                series.Add($"{Rss() / 1048576.0:F1}");
            }
            Console.WriteLine($"4 x {count:N0} small ops in dispose scopes: {sw.Elapsed.TotalSeconds:F2} s; resident memory after each round (MiB): {string.Join(", ", series)}");
        }
        Console.WriteLine($"live tensor handles: {before} before, {torch.LiveTensorCount} after");
    }

    private static void Warm(Tensor x, int count)
    {
        for (int k = 0; k < count; k++)
        {
            using var s = torch.NewDisposeScope();
            var y = (x * 2.0 + 1.0).softmax(1).sum();
            _ = y;
        }
    }

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }
}
