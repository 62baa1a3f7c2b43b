using System.Reflection;
using System.Runtime.CompilerServices;
using AttnXai.Engine.Compat;
using TorchSharp;

namespace AttnXai.Engine;

/// <summary>Raised when TorchSharp's native libraries cannot be loaded; the message says why and what to do.</summary>
public sealed class TorchUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The engine's start-up: the allocator tuning (before the first tensor), then TorchSharp's native libraries, with one
/// clear error when they cannot load. Runs by itself when this assembly loads (every torch-using AttnXai library
/// references it); <see cref="Initialize"/> may be called again at no cost.
/// </summary>
public static class TorchEngine
{
    private static readonly Lazy<Exception?> Loaded = new(Load);

#pragma warning disable CA2255 // a library's module initializer: the allocator must be tuned before any tensor exists
    [ModuleInitializer]
    internal static void OnLoad() => Allocator.Apply();
#pragma warning restore CA2255

    /// <summary>Tunes the allocator and loads TorchSharp's native layer; throws <see cref="TorchUnavailableException"/>
    /// with the reason and the remedy when it cannot.</summary>
    public static void Initialize()
    {
        Allocator.Apply();
        if (Loaded.Value is { } e)
            throw new TorchUnavailableException(Explain(e), e);
    }

    private static Exception? Load()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e) { return e; }
    }

    private static string Explain(Exception e)
    {
        var lines = (e.InnerException?.Message ?? e.Message).Split('\n');
        string first = lines.FirstOrDefault(l => l.Contains("GLIBCXX", StringComparison.Ordinal))?.Trim()
                       ?? lines.FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? e.GetType().Name;
        bool needsStep = GlibcxxCompat.MachineNeedsStep(out var detail);
        var compat = CompatStatus();
        string remedy = needsStep && !compat.Contains("weakened", StringComparison.Ordinal)
            ? $"this machine's libstdc++ lacks {GlibcxxCompat.Version} ({detail}) and the loaded copy was not patched: rebuild with `dotnet build` (the build applies the Debian 12 step to every output folder; see README, \"The engine: TorchSharp\", \"The Debian 12 step\")"
            : "rebuild with `dotnet build` (or run ./attnxai doctor for the engine's details); see README, \"The engine: TorchSharp\", \"The Debian 12 step\"";
        return $"TorchSharp's native library could not be loaded ({first}); {remedy}";
    }

    /// <summary>Tensors alive on this thread by TorchSharp's own dispose statistics (created minus disposed, inside
    /// and outside dispose scopes): leak tests and `bench torch` compare it before and after a loop.</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    /// <summary>The TorchSharp package this build references (TorchSharp-cpu unless built with -p:TorchSharpPackage=...).</summary>
    public static string TorchSharpPackage =>
        typeof(TorchEngine).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchSharpPackage")?.Value ?? "unknown";

    /// <summary>The TorchSharp package version (e.g. 0.107.0).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>libtorch's version as TorchSharp reports it (e.g. 2.10.0).</summary>
    public static string LibTorchVersion
    {
        get { Initialize(); return torch.__version__; }
    }

    /// <summary>The libLibTorchSharp.so this process mapped (after <see cref="Initialize"/>), or null.</summary>
    public static string? LoadedTorchSharpLibrary()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .FirstOrDefault(p => Path.GetFileName(p) == GlibcxxCompat.TorchSharpLibrary);
        }
        catch (IOException) { return null; }
    }

    /// <summary>Whether the Debian 12 step applies here and what the loaded (or, before loading, the local) copy of
    /// libLibTorchSharp.so says: one line for `doctor`.</summary>
    public static string CompatStatus()
    {
        bool needed = GlibcxxCompat.MachineNeedsStep(out var detail);
        var lib = LoadedTorchSharpLibrary() ?? LocalTorchSharpLibrary();
        if (lib is null) return $"{(needed ? "needed" : "not needed")} ({detail}); libLibTorchSharp.so not found";
        try
        {
            var need = ElfVersionInfo.Read(lib).Needs.FirstOrDefault(n => n.Version == GlibcxxCompat.Version);
            string state = need is null ? $"it does not ask for {GlibcxxCompat.Version}"
                : need.IsWeak ? $"applied: its {GlibcxxCompat.Version} requirement is weakened"
                : $"not applied: its {GlibcxxCompat.Version} requirement is the package's";
            return $"{(needed ? "needed" : "not needed")} ({detail}); {lib}: {state}";
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return $"{(needed ? "needed" : "not needed")} ({detail}); {lib}: unreadable ({e.Message})";
        }
    }

    /// <summary>The libLibTorchSharp.so next to the running program (flat or under runtimes/), or null.</summary>
    public static string? LocalTorchSharpLibrary()
    {
        var dir = AppContext.BaseDirectory;
        var flat = Path.Combine(dir, GlibcxxCompat.TorchSharpLibrary);
        if (File.Exists(flat)) return flat;
        var runtimes = Path.Combine(dir, "runtimes");
        return Directory.Exists(runtimes)
            ? Directory.EnumerateFiles(runtimes, GlibcxxCompat.TorchSharpLibrary, SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }
}
