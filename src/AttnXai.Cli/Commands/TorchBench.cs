using System.CommandLine;
using System.Diagnostics;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench torch`: TorchSharp's per-operation cost (matmul loops, medians of 7 runs) and the resident memory and
/// live tensors of a long loop of small operations in dispose scopes.
/// </summary>
public static class TorchBench
{
    public static Command Create()
    {
        var cmd = new Command("torch", "TorchSharp's per-operation cost, and memory of a long op loop");
        var threads = CliRunner.ThreadsOption();
        cmd.Options.Add(threads);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run();
            return 0;
        });
        return cmd;
    }

    public static void Run()
    {
        var times = new Dictionary<int, List<double>> { [64] = new(), [1024] = new() };
        for (int round = 0; round < 5; round++)
            foreach (var n in times.Keys) times[n].Add(MatmulMedian(n));
        Console.WriteLine($"TorchSharp {TorchEngine.TorchSharpVersion}, libtorch {TorchEngine.LibTorchVersion}, {torch.get_num_threads()} threads");
        Console.WriteLine($"{"op",-16} {"time (us)",12} {"GFLOP/s",10}");
        foreach (var (n, list) in times)
        {
            double us = Median(list);
            Console.WriteLine($"{$"matmul {n}x{n}",-16} {us,12:F2} {2.0 * n * n * n / us / 1e3,10:F1}");
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

    /// <summary>
    /// Resident memory across rounds of `count` small operations, each iteration in its own dispose scope: after the
    /// first round has warmed the allocators, a flat series means nothing leaks.
    /// </summary>
    private static void LoopMemory(int count)
    {
        long before = TorchEngine.LiveTensors;
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
        Console.WriteLine($"live tensors (TorchSharp's dispose statistics): {before} before, {TorchEngine.LiveTensors} after");
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
