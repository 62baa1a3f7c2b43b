using AttnXai.Torch;

// LiveTensorCount, the grad mode and the global generator are process-wide (or per thread) state: the tests of this
// assembly run one at a time so that leak counts and seeded draws are not disturbed by other tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AttnXai.Torch.Tests;

/// <summary>
/// A fact that needs a CUDA device: reported as skipped, with the reason, when torch.cuda.is_available() is false
/// (xunit 2 decides skipping when tests are discovered, so the check runs then).
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        var reason = CudaUnavailableReason();
        if (reason is not null) Skip = "CUDA is not available: " + reason;
    }

    public static string? CudaUnavailableReason()
    {
        try
        {
            if (torch.cuda.is_available()) return null;
            var config = torch.BuildConfig;
            return config.Contains("USE_CUDA=ON", StringComparison.Ordinal) || config.Contains("CUDA Runtime", StringComparison.Ordinal)
                ? "libtorch was built with CUDA but no usable GPU or driver was found"
                : $"the loaded libtorch {torch.__version__} is a CPU-only build";
        }
        catch (Exception e)
        {
            return "the libtorch shim could not be loaded (" + e.Message + ")";
        }
    }
}

/// <summary>Assertions on tensors, comparing with values written in the tests.</summary>
public static class T
{
    public static void Shape(Tensor t, params long[] expected) => Assert.Equal(expected, t.shape);

    public static void Close(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int k = 0; k < a.Length; k++)
            Assert.True(Math.Abs(expected[k] - a[k]) <= tol * Math.Max(1, Math.Abs(expected[k])),
                $"element {k}: expected {expected[k]:R}, got {a[k]:R} (tolerance {tol})");
    }

    public static void Close(double expected, double actual, double tol = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R} (tolerance {tol})");

    public static void Longs(long[] expected, Tensor actual) => Assert.Equal(expected, actual.ToArray<long>());

    public static void Bools(bool[] expected, Tensor actual) => Assert.Equal(expected, actual.ToArray<bool>());

    /// <summary>A float64 tensor (1-d when no shape is given).</summary>
    public static Tensor D(double[] data, params long[] shape) => torch.tensor(data, shape.Length == 0 ? null : shape);

    /// <summary>An int64 tensor (1-d when no shape is given).</summary>
    public static Tensor L(long[] data, params long[] shape) => torch.tensor(data, shape.Length == 0 ? null : shape);

    /// <summary>Collects finalizable garbage so that LiveTensorCount only counts reachable handles.</summary>
    public static long SettledLiveCount()
    {
        for (int k = 0; k < 3; k++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        return torch.LiveTensorCount;
    }
}
