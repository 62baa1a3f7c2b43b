using System.Runtime.InteropServices;

namespace AttnXai.Torch.Interop;

/// <summary>The tagged value passed to and returned from the shim's generic operator call (mirrors AtxArg).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeArg
{
    public ArgTag Tag;
    public int Reserved;
    public long I;
    public double D;
    public IntPtr P;
    public long Len;
}

internal enum ArgTag
{
    None = 0,
    Tensor = 1,
    Int = 2,
    Double = 3,
    Bool = 4,
    IntList = 5,
    TensorList = 6,
    String = 7,
    Device = 8,
    Default = 9,
    DoubleList = 10,
}

/// <summary>P/Invoke declarations of libattnxai_torch (src/AttnXai.Torch/native).</summary>
internal static unsafe class Native
{
    private const string Lib = "attnxai_torch";

    [DllImport(Lib)] public static extern IntPtr atx_last_error();
    [DllImport(Lib)] public static extern long atx_live_tensors();
    [DllImport(Lib)] public static extern void atx_tensor_free(IntPtr t);
    [DllImport(Lib)] public static extern int atx_init(int mallocMode);
    [DllImport(Lib)] public static extern int atx_version(byte* buf, int len);
    [DllImport(Lib)] public static extern int atx_build_config(byte* buf, int len);
    [DllImport(Lib)] public static extern void atx_manual_seed(ulong seed);
    [DllImport(Lib)] public static extern void atx_set_num_threads(int n);
    [DllImport(Lib)] public static extern int atx_get_num_threads();
    [DllImport(Lib)] public static extern int atx_cuda_is_available();
    [DllImport(Lib)] public static extern int atx_cuda_device_count();
    [DllImport(Lib)] public static extern int atx_check_device(byte* device);

    [DllImport(Lib)] public static extern IntPtr atx_from_data(void* data, int dtype, long* shape, int ndim, int requiresGrad);
    [DllImport(Lib)] public static extern int atx_copy_out(IntPtr t, int dtype, void* dst, long nbytes);
    [DllImport(Lib)] public static extern int atx_dim(IntPtr t);
    [DllImport(Lib)] public static extern int atx_sizes(IntPtr t, long* outSizes, int max);
    [DllImport(Lib)] public static extern int atx_dtype(IntPtr t);
    [DllImport(Lib)] public static extern int atx_device(IntPtr t, byte* buf, int len);
    [DllImport(Lib)] public static extern IntPtr atx_alias(IntPtr t);

    [DllImport(Lib)] public static extern int atx_requires_grad(IntPtr t);
    [DllImport(Lib)] public static extern int atx_set_requires_grad(IntPtr t, int value);
    [DllImport(Lib)] public static extern int atx_is_leaf(IntPtr t);
    [DllImport(Lib)] public static extern IntPtr atx_grad(IntPtr t, out int ok);
    [DllImport(Lib)] public static extern int atx_reset_grad(IntPtr t);
    [DllImport(Lib)] public static extern int atx_backward(IntPtr t, IntPtr grad, int retainGraph, int createGraph);
    [DllImport(Lib)] public static extern int atx_autograd_grad(IntPtr* outputs, int nOut, IntPtr* gradOutputs, IntPtr* inputs, int nIn,
        int retainGraph, int createGraph, int allowUnused, IntPtr* results);
    [DllImport(Lib)] public static extern int atx_adam_step(IntPtr param, IntPtr expAvg, IntPtr expAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled, long step);
    [DllImport(Lib)] public static extern int atx_grad_enabled();
    [DllImport(Lib)] public static extern void atx_set_grad_enabled(int enabled);

    [DllImport(Lib)] public static extern IntPtr atx_op_find(byte* name, byte* overload);
    [DllImport(Lib)] public static extern int atx_op_schema(IntPtr op, byte* buf, int len);
    [DllImport(Lib)] public static extern int atx_op_call(IntPtr op, NativeArg* args, int nargs, NativeArg* outs, int maxOuts);

    /// <summary>The shim's last error on this thread.</summary>
    public static string LastError() => Marshal.PtrToStringUTF8(atx_last_error()) ?? "unknown libtorch error";

    /// <summary>Throws a TorchException carrying libtorch's message, prefixed by what was being done.</summary>
    public static Exception Error(string context) => new TorchException($"{context}: {LastError()}");

    public static string ReadString(Func<IntPtr, int, int> call)
    {
        int n = call(IntPtr.Zero, 0);
        if (n < 0) throw Error("native string");
        var buf = new byte[n + 1];
        fixed (byte* p = buf) call((IntPtr)p, buf.Length);
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }
}

