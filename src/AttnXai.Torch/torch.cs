using System.Runtime.InteropServices;
using AttnXai.Torch.Interop;

namespace AttnXai.Torch;

/// <summary>The torch.* functions, named as in PyTorch and TorchSharp.</summary>
public static unsafe partial class torch
{
    static torch() => NativeLoader.EnsureInitialized();

    private static Op O(string name, string overload = "") => Op.Get("aten::" + name, overload);

    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType @bool = ScalarType.Bool;

    // ---- library facts ---------------------------------------------------------------------------------------

    /// <summary>The libtorch version the shim was built against, e.g. "1.13.0".</summary>
    public static string __version__ => Native.ReadString((p, n) => Native.atx_version((byte*)p, n));

    /// <summary>libtorch's build configuration (at::show_config()).</summary>
    public static string BuildConfig => Native.ReadString((p, n) => Native.atx_build_config((byte*)p, n));

    /// <summary>Tensor handles currently alive in the native library (for leak tests).</summary>
    public static long LiveTensorCount => Native.atx_live_tensors();

    public static void manual_seed(long seed) => Native.atx_manual_seed(unchecked((ulong)seed));
    public static void set_num_threads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        Native.atx_set_num_threads(threads);
    }
    public static int get_num_threads() => Native.atx_get_num_threads();

    public static class cuda
    {
        public static bool is_available() { NativeLoader.EnsureInitialized(); return Native.atx_cuda_is_available() == 1; }
        public static int device_count() { NativeLoader.EnsureInitialized(); return Native.atx_cuda_device_count(); }
    }

    public static DisposeScope NewDisposeScope() { NativeLoader.EnsureInitialized(); return new DisposeScope(); }

    // ---- grad mode -------------------------------------------------------------------------------------------

    public static bool is_grad_enabled() => Native.atx_grad_enabled() == 1;

    /// <summary>Disables gradient recording on this thread until disposed: <c>using (torch.no_grad()) { ... }</c>.</summary>
    public static IDisposable no_grad() => new GradMode(false);
    public static IDisposable enable_grad() => new GradMode(true);

    private sealed class GradMode : IDisposable
    {
        private readonly bool _previous;
        private bool _done;
        public GradMode(bool enabled) { _previous = is_grad_enabled(); Native.atx_set_grad_enabled(enabled ? 1 : 0); }
        public void Dispose() { if (_done) return; _done = true; Native.atx_set_grad_enabled(_previous ? 1 : 0); }
    }

    // ---- tensors from C# arrays ------------------------------------------------------------------------------

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (1-d if omitted).</summary>
    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        shape ??= [data.LongLength];
        long n = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative size in shape [{string.Join(", ", shape)}]", nameof(shape));
            n *= s;
        }
        if (n != data.LongLength)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {n} elements but {data.LongLength} were given", nameof(shape));
        var st = ScalarTypes.Of<T>();
        IntPtr h;
        fixed (T* p = data)
        fixed (long* ps = shape)
            h = Native.atx_from_data(p, (int)st, ps, shape.Length, 0);
        if (h == IntPtr.Zero) throw Native.Error("tensor");
        var t = new Tensor(h);
        try
        {
            if (device is { IsCuda: true })
            {
                var moved = t.to(device);
                t.Dispose();
                t = moved;
            }
            if (requires_grad) t.requires_grad = true;
            return t;
        }
        catch
        {
            t.Dispose(); // e.g. no CUDA, or requires_grad on integers: do not leave the handle to the finalizer
            throw;
        }
    }

    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32)
    {
        using var d = tensor(new[] { value }, []);
        return d.to(dtype);
    }

    // ---- factories -------------------------------------------------------------------------------------------

    public static Tensor zeros(long[] size, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) =>
        Factory(O("zeros").Call(size, dtype, Arg.None, Dev(device), Arg.None), requires_grad);
    public static Tensor ones(long[] size, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) =>
        Factory(O("ones").Call(size, dtype, Arg.None, Dev(device), Arg.None), requires_grad);
    public static Tensor full(long[] size, double value, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) =>
        Factory(O("full").Call(size, value, dtype, Arg.None, Dev(device), Arg.None), requires_grad);
    public static Tensor empty(long[] size, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        O("empty", "memory_format").Call(size, dtype, Arg.None, Dev(device), Arg.None, Arg.None);
    public static Tensor eye(long n, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        O("eye").Call(n, dtype, Arg.None, Dev(device), Arg.None);
    public static Tensor zeros_like(Tensor t) => O("zeros_like").Call(t);
    public static Tensor ones_like(Tensor t) => O("ones_like").Call(t);

    /// <summary>Values start, start+step, ... below end. Without a dtype, like PyTorch: int64 when start, end and step
    /// are all whole numbers, else float32.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null) =>
        O("arange", "start_step").Call(start, end, step, dtype ?? InferArangeType(start, end, step), Arg.None, Dev(device), Arg.None);

    private static ScalarType InferArangeType(double start, double end, double step) =>
        double.IsInteger(start) && double.IsInteger(end) && double.IsInteger(step) ? ScalarType.Int64 : ScalarType.Float32;
    public static Tensor arange(long end, ScalarType dtype = ScalarType.Int64, Device? device = null) => arange(0, end, 1, dtype, device);

    /// <summary>Uniform on [0, 1), from the global generator (seeded by manual_seed).</summary>
    public static Tensor rand(long[] size, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        O("rand").Call(size, dtype, Arg.None, Dev(device), Arg.None);
    public static Tensor randn(long[] size, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        O("randn").Call(size, dtype, Arg.None, Dev(device), Arg.None);
    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor randint(long low, long high, long[] size, Device? device = null) =>
        O("randint", "low").Call(low, high, size, ScalarType.Int64, Arg.None, Dev(device), Arg.None);
    public static Tensor randperm(long n, Device? device = null) =>
        O("randperm").Call(n, ScalarType.Int64, Arg.None, Dev(device), Arg.None);

    private static Arg Dev(Device? device)
    {
        if (device is null) return Arg.None;
        if (device.IsCuda) device.EnsureAvailable();
        return device;
    }

    private static Tensor Factory(Tensor t, bool requiresGrad)
    {
        if (requiresGrad) t.requires_grad = true;
        return t;
    }

    // ---- functions over tensors ------------------------------------------------------------------------------

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor cat(Tensor[] tensors, long dim = 0) => O("cat").Call(tensors, dim);
    public static Tensor stack(Tensor[] tensors, long dim = 0) => O("stack").Call(tensors, dim);
    public static Tensor where(Tensor condition, Tensor x, Tensor y) => O("where", "self").Call(condition, x, y);
    public static Tensor einsum(string equation, params Tensor[] operands) => O("einsum").Call(equation, operands);
    public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
    public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);
    public static Tensor exp(Tensor x) => x.exp();
    public static Tensor log(Tensor x) => x.log();
    public static Tensor sqrt(Tensor x) => x.sqrt();
    public static Tensor abs(Tensor x) => x.abs();
    public static Tensor pow(Tensor x, double exponent) => x.pow(exponent);
    public static Tensor sum(Tensor x) => x.sum();
    public static Tensor mean(Tensor x) => x.mean();
    public static Tensor index_select(Tensor x, long dim, Tensor index) => x.index_select(dim, index);
    public static Tensor gather(Tensor x, long dim, Tensor index) => x.gather(dim, index);
    public static Tensor masked_fill(Tensor x, Tensor mask, double value) => x.masked_fill(mask, value);

    /// <summary>Gradients of outputs with respect to inputs (torch.autograd.grad); null where allow_unused and unused.</summary>
    public static class autograd
    {
        public static Tensor?[] grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? grad_outputs = null,
            bool retain_graph = false, bool create_graph = false, bool allow_unused = false)
        {
            if (grad_outputs != null && grad_outputs.Length != outputs.Length)
                throw new ArgumentException($"{grad_outputs.Length} grad_outputs for {outputs.Length} outputs", nameof(grad_outputs));
            var o = new IntPtr[outputs.Length];
            var g = new IntPtr[outputs.Length];
            var i = new IntPtr[inputs.Length];
            var r = new IntPtr[inputs.Length];
            for (int k = 0; k < outputs.Length; k++) { o[k] = outputs[k].Handle; g[k] = grad_outputs?[k]?.Handle ?? IntPtr.Zero; }
            for (int k = 0; k < inputs.Length; k++) i[k] = inputs[k].Handle;
            int ok;
            fixed (IntPtr* po = o, pg = g, pi = i, pr = r)
                ok = Native.atx_autograd_grad(po, o.Length, pg, pi, i.Length, retain_graph ? 1 : 0, create_graph ? 1 : 0, allow_unused ? 1 : 0, pr);
            GC.KeepAlive(outputs); GC.KeepAlive(inputs); GC.KeepAlive(grad_outputs);
            if (ok == 0) throw Native.Error("autograd.grad");
            return r.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
        }
    }
}
