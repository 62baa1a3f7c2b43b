using AttnXai.Engine;
using TorchSharp;

namespace AttnXai.Engine.Tests;

/// <summary>A test that runs only where TorchSharp sees a CUDA device; elsewhere it is reported as skipped, with the reason.</summary>
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
            TorchEngine.Initialize();
            if (torch.cuda.is_available()) return null;
            return "no CUDA device, or a CPU-only TorchSharp build (this build references " + TorchEngine.TorchSharpPackage + ")";
        }
        catch (TorchUnavailableException e) { return e.Message; }
    }
}
