using System.Runtime.InteropServices;

namespace AttnXai.Engine;

/// <summary>
/// glibc malloc tuning for tensor work. By default glibc serves blocks of 128 KiB and more with mmap and returns them to
/// the kernel on free, so every large temporary tensor is page-faulted back in on the next allocation; measured here,
/// that halves TorchSharp's training speed. The mmap threshold can be raised only to 32 MiB, and the paper model's
/// embedding, its gradient and the optimizer's temporaries are 50 MB each, so mmap is turned off altogether (M_MMAP_MAX
/// 0) and the trim threshold raised to 1 GiB: freed buffers stay in the heap for reuse.
/// ATTNXAI_MALLOC=default leaves glibc untouched.
/// </summary>
public static class Allocator
{
    private const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_MAX = -4;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    /// <summary>"on (...)", "off (ATTNXAI_MALLOC=default)" or "not applied (...)": what <see cref="Apply"/> did.</summary>
    public static string State { get; private set; } = "not applied yet";

    private static int _applied;

    /// <summary>Applies the tuning once per process (later calls do nothing).</summary>
    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return;
        if (Environment.GetEnvironmentVariable("ATTNXAI_MALLOC") == "default")
        {
            State = "off (ATTNXAI_MALLOC=default)";
            return;
        }
        if (!OperatingSystem.IsLinux())
        {
            State = "not applied (not Linux)";
            return;
        }
        try
        {
            bool ok = mallopt(M_MMAP_MAX, 0) == 1
                      & mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1
                      & mallopt(M_TOP_PAD, 64 * 1024 * 1024) == 1;
            State = ok ? "on (no mmap for large blocks, trim threshold 1 GiB)" : "not applied (mallopt refused; not glibc?)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            State = "not applied (no mallopt: not glibc)";
        }
    }
}
