using System.Runtime.InteropServices;

namespace AttnXai.Engine;

/// <summary>
/// glibc malloc tuning for tensor work. By default glibc serves blocks of 128 KiB and more with mmap and returns them to
/// the kernel on free, so every large temporary tensor is page-faulted back in on the next allocation; measured here,
/// that halves TorchSharp's training speed. The mmap threshold can be raised only to 32 MiB, and the paper model's
/// embedding, its gradient and the optimizer's temporaries are 50 MB each, so mmap is turned off altogether (M_MMAP_MAX
/// 0), the trim threshold raised to 1 GiB and the top pad to 64 MiB (the heap grows in steps of at least 64 MiB): freed
/// buffers stay in the heap for reuse. All threads share one arena
/// (M_ARENA_MAX 1): with mmap off, each thread's own arena kept the blocks it freed out of the others' reach, and the
/// heap grew with every batch of large tensors (a 2-layer Transformer's evaluation of 25,000 reviews at batch 256 reached
/// 5.8 GB resident, 4.1 GB with one arena, 2.3 GB untuned but twice as slow; a 4-layer model's evaluation after its
/// training was killed by the kernel at 24 GB). One arena trained the paper's model as fast (232-242 against 220-229
/// documents/s, `attnxai bench model`, alternating runs).
/// ATTNXAI_MALLOC=default leaves glibc untouched.
/// </summary>
public static class Allocator
{
    private const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_MAX = -4, M_ARENA_MAX = -8;

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
                      & mallopt(M_TOP_PAD, 64 * 1024 * 1024) == 1
                      & mallopt(M_ARENA_MAX, 1) == 1;
            State = ok ? "on (no mmap for large blocks, trim threshold 1 GiB, one arena)" : "not applied (mallopt refused; not glibc?)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            State = "not applied (no mallopt: not glibc)";
        }
    }
}
