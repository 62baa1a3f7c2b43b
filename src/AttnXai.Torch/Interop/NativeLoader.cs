using System.Reflection;
using System.Runtime.InteropServices;

namespace AttnXai.Torch.Interop;

/// <summary>
/// Finds libattnxai_torch next to this assembly (the build copies it there) and applies the allocator settings once.
/// ATTNXAI_NATIVE_DIR overrides the folder; ATTNXAI_MALLOC=default leaves glibc's malloc untouched.
/// </summary>
internal static class NativeLoader
{
    private static int _initialized;

    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref _initialized) == 1) return;
        lock (typeof(NativeLoader))
        {
            if (_initialized == 1) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);
            var mode = Environment.GetEnvironmentVariable("ATTNXAI_MALLOC") == "default" ? 0 : 1;
            Native.atx_init(mode);
            Volatile.Write(ref _initialized, 1);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != "attnxai_torch") return IntPtr.Zero;
        var file = OperatingSystem.IsWindows() ? "attnxai_torch.dll" : OperatingSystem.IsMacOS() ? "libattnxai_torch.dylib" : "libattnxai_torch.so";
        var dirs = new List<string>();
        var env = Environment.GetEnvironmentVariable("ATTNXAI_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) dirs.Add(env);
        dirs.Add(Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory);
        dirs.Add(AppContext.BaseDirectory);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, file);
            if (!File.Exists(candidate)) continue;
            try { return NativeLibrary.Load(candidate); }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException($"{candidate} exists but could not be loaded (is libtorch installed? run ./test.sh once): {e.Message}", e);
            }
        }
        throw new DllNotFoundException($"{file} was not found in {string.Join(", ", dirs.Distinct())}. Build it with `dotnet build` (needs cmake, g++ and libtorch-dev: ./test.sh installs them).");
    }
}
