using System.Globalization;

namespace AttnXai.Cli.Commands;

/// <summary>The processor a benchmark ran on, for its figures: the model name and the cache sizes (Linux: /proc/cpuinfo
/// and /sys/devices/system/cpu/cpu0/cache; elsewhere "unknown").</summary>
public static class CpuInfo
{
    /// <summary>"AMD EPYC, 2 cores; caches of core 0: L1d 32K, L1i 32K, L2 1024K, L3 32768K (shared by cpus 0-1)".</summary>
    public static string Describe()
    {
        string model = "unknown processor";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                model = File.ReadLines("/proc/cpuinfo").Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim() == "model name")?[1].Trim() ?? model;
        }
        catch (IOException) { }
        var caches = new List<string>();
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (Directory.Exists(root))
                foreach (var dir in Directory.GetDirectories(root, "index*").Order(StringComparer.Ordinal))
                {
                    string Read(string f) => File.Exists(Path.Combine(dir, f)) ? File.ReadAllText(Path.Combine(dir, f)).Trim() : "";
                    string level = Read("level"), type = Read("type"), size = Read("size"), shared = Read("shared_cpu_list");
                    string kind = type switch { "Data" => "d", "Instruction" => "i", _ => "" };
                    bool sharedWithOthers = shared.Length > 0 && shared != "0";
                    caches.Add($"L{level}{kind} {size}{(sharedWithOthers ? $" (shared by cpus {shared})" : "")}");
                }
        }
        catch (IOException) { }
        string cores = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        return $"{model}, {cores} cores; caches of core 0: {(caches.Count == 0 ? "unknown" : string.Join(", ", caches))}";
    }
}
