using System.Text;
using AttnXai.Torch.Interop;

namespace AttnXai.Torch;

/// <summary>A compute device: "cpu", "cuda" or "cuda:N".</summary>
public sealed record Device
{
    public string Type { get; }
    public int Index { get; }

    public Device(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var parts = spec.Trim().ToLowerInvariant().Split(':');
        Type = parts[0];
        if (Type is not ("cpu" or "cuda")) throw new ArgumentException($"unknown device '{spec}' (use cpu, cuda or cuda:N)", nameof(spec));
        Index = -1;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out var i) || i < 0)) throw new ArgumentException($"bad device index in '{spec}'", nameof(spec));
        if (parts.Length == 2) Index = int.Parse(parts[1]);
        if (parts.Length > 2) throw new ArgumentException($"bad device '{spec}'", nameof(spec));
    }

    public static readonly Device CPU = new("cpu");
    public static Device CUDA(int index = -1) => new(index < 0 ? "cuda" : $"cuda:{index}");

    public bool IsCuda => Type == "cuda";

    public override string ToString() => Index < 0 ? Type : $"{Type}:{Index}";

    public static implicit operator Device(string spec) => new(spec);

    /// <summary>Throws a clear TorchException when this device cannot be used with the loaded libtorch.</summary>
    public unsafe void EnsureAvailable()
    {
        NativeLoader.EnsureInitialized();
        var b = Encoding.UTF8.GetBytes(ToString() + "\0");
        fixed (byte* p = b)
            if (Native.atx_check_device(p) == 0) throw new TorchException(Native.LastError());
    }
}
