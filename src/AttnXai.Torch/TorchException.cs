namespace AttnXai.Torch;

/// <summary>An error reported by libtorch (or the shim), carrying libtorch's message.</summary>
public sealed class TorchException(string message) : Exception(message);
