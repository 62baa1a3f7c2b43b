using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine;

/// <summary>Device names as the command line takes them: "cpu", "cuda" or "cuda:N", checked against this machine.</summary>
public static class Devices
{
    /// <summary>The device <paramref name="spec"/> names (null or empty: the CPU). Throws ArgumentException naming the
    /// value when it is malformed, when CUDA is asked for and this TorchSharp build or machine has none, or when the
    /// index is past the last GPU.</summary>
    public static Device Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return CPU;
        var s = spec.Trim().ToLowerInvariant();
        var parts = s.Split(':');
        if (parts.Length > 2 || parts[0] is not ("cpu" or "cuda"))
            throw new ArgumentException($"unknown device '{spec}' (use cpu, cuda or cuda:N)");
        int index = -1;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out index) || index < 0))
            throw new ArgumentException($"bad device index in '{spec}' (use cuda:N with N = 0, 1, ...)");
        if (parts[0] == "cpu")
        {
            if (parts.Length == 2) throw new ArgumentException($"the CPU takes no index: '{spec}' (use cpu)");
            return CPU;
        }
        TorchEngine.Initialize();
        if (!cuda.is_available())
            throw new ArgumentException($"device '{spec}': CUDA is not available here (no GPU, or a CPU-only TorchSharp build: build with -p:TorchSharpPackage=TorchSharp-cuda-linux, see README \"CUDA\")");
        int count = cuda.device_count();
        if (index >= count) throw new ArgumentException($"device '{spec}': this machine has {count} CUDA device(s) (cuda:0 to cuda:{count - 1})");
        return index < 0 ? CUDA : new Device(DeviceType.CUDA, index);
    }

    public static bool IsCuda(this Device device) => device.type == DeviceType.CUDA;
}
