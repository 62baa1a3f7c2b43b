using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace AttnXai.Torch.Interop;

/// <summary>
/// One argument of an ATen operator call: a tensor, number, list, string, device, None or "use the default".
/// Implicit conversions keep call sites short: <c>Op.Get("aten::sum", "dim_IntList").Call(x, new long[] { 1 }, true)</c>.
/// </summary>
public readonly struct Arg
{
    internal readonly ArgTag Tag;
    internal readonly long I;
    internal readonly double D;
    internal readonly object? Obj;

    private Arg(ArgTag tag, long i = 0, double d = 0, object? obj = null) { Tag = tag; I = i; D = d; Obj = obj; }

    public static readonly Arg None = new(ArgTag.None);
    public static readonly Arg Default = new(ArgTag.Default);

    public static implicit operator Arg(Tensor? t) => t is null ? None : new(ArgTag.Tensor, obj: t);
    public static implicit operator Arg(long v) => new(ArgTag.Int, i: v);
    public static implicit operator Arg(int v) => new(ArgTag.Int, i: v);
    public static implicit operator Arg(double v) => new(ArgTag.Double, d: v);
    public static implicit operator Arg(float v) => new(ArgTag.Double, d: v);
    public static implicit operator Arg(bool v) => new(ArgTag.Bool, i: v ? 1 : 0);
    public static implicit operator Arg(long[]? v) => v is null ? None : new(ArgTag.IntList, obj: v);
    public static implicit operator Arg(double[]? v) => v is null ? None : new(ArgTag.DoubleList, obj: v);
    public static implicit operator Arg(Tensor?[]? v) => v is null ? None : new(ArgTag.TensorList, obj: v);
    public static implicit operator Arg(string? v) => v is null ? None : new(ArgTag.String, obj: v);
    public static implicit operator Arg(Device? v) => v is null ? None : new(ArgTag.Device, obj: v.ToString());
    public static implicit operator Arg(ScalarType? v) => v is null ? None : new(ArgTag.Int, i: (long)v.Value);
    public static implicit operator Arg(ScalarType v) => new(ArgTag.Int, i: (long)v);
    public static implicit operator Arg(long? v) => v is null ? None : new(ArgTag.Int, i: v.Value);
    public static implicit operator Arg(double? v) => v is null ? None : new(ArgTag.Double, d: v.Value);
}

/// <summary>
/// An ATen operator found by name and overload through libtorch's dispatcher, called with boxed arguments.
/// This is the binding's one general mechanism: every torch.* function is a line over it.
/// </summary>
public sealed unsafe class Op
{
    private static readonly ConcurrentDictionary<(string, string), Op> Cache = new();
    private const int MaxResults = 64;

    [ThreadStatic] private static Scratch? _scratch;

    private readonly IntPtr _handle;
    public string Name { get; }
    public string Overload { get; }

    private Op(IntPtr handle, string name, string overload) { _handle = handle; Name = name; Overload = overload; }

    /// <summary>Finds "aten::NAME" with the given overload ("" for the default); throws if libtorch has no such operator.</summary>
    public static Op Get(string name, string overload = "") =>
        Cache.GetOrAdd((name, overload), static key =>
        {
            NativeLoader.EnsureInitialized();
            var n = Encoding.UTF8.GetBytes(key.Item1 + "\0");
            var o = Encoding.UTF8.GetBytes(key.Item2 + "\0");
            IntPtr h;
            fixed (byte* pn = n, po = o) h = Native.atx_op_find(pn, po);
            if (h == IntPtr.Zero) throw Native.Error($"operator {key.Item1}.{key.Item2}");
            return new Op(h, key.Item1, key.Item2);
        });

    /// <summary>The operator's schema as libtorch prints it.</summary>
    public string Schema => Native.ReadString((p, n) => Native.atx_op_schema(_handle, (byte*)p, n));

    public override string ToString() => Overload.Length == 0 ? Name : $"{Name}.{Overload}";

    /// <summary>Calls the operator and returns its single tensor result.</summary>
    public Tensor Call(params ReadOnlySpan<Arg> args)
    {
        NativeArg* outs = stackalloc NativeArg[MaxResults];
        int n = Invoke(args, outs);
        if (n != 1 || outs[0].Tag != ArgTag.Tensor || outs[0].P == IntPtr.Zero)
        {
            FreeResults(outs, n);
            throw new TorchException($"{this}: expected one tensor result, got {n}");
        }
        return new Tensor(outs[0].P);
    }

    /// <summary>Calls the operator and returns all its tensor results (tuples and tensor lists are flattened).</summary>
    public Tensor[] CallMany(params ReadOnlySpan<Arg> args)
    {
        NativeArg* outs = stackalloc NativeArg[MaxResults];
        int n = Invoke(args, outs);
        var result = new Tensor[n];
        for (int k = 0; k < n; k++)
        {
            if (outs[k].Tag != ArgTag.Tensor || outs[k].P == IntPtr.Zero)
            {
                for (int j = 0; j < k; j++) result[j].Dispose();
                FreeResults(outs + k, n - k);
                throw new TorchException($"{this}: result {k} is not a tensor");
            }
            result[k] = new Tensor(outs[k].P);
        }
        return result;
    }

    /// <summary>Calls an operator that returns a number.</summary>
    public double CallScalar(params ReadOnlySpan<Arg> args)
    {
        NativeArg* outs = stackalloc NativeArg[MaxResults];
        int n = Invoke(args, outs);
        if (n != 1 || outs[0].Tag is not (ArgTag.Int or ArgTag.Double or ArgTag.Bool))
        {
            FreeResults(outs, n);
            throw new TorchException($"{this}: expected one number result");
        }
        return outs[0].Tag == ArgTag.Double ? outs[0].D : outs[0].I;
    }

    private static void FreeResults(NativeArg* outs, int n)
    {
        for (int k = 0; k < n; k++)
            if (outs[k].Tag == ArgTag.Tensor && outs[k].P != IntPtr.Zero) Native.atx_tensor_free(outs[k].P);
    }

    private int Invoke(ReadOnlySpan<Arg> args, NativeArg* outs)
    {
        var scratch = _scratch ??= new Scratch();
        scratch.Reset();
        NativeArg* native = stackalloc NativeArg[Math.Max(args.Length, 1)];
        for (int k = 0; k < args.Length; k++) native[k] = Convert(args[k], scratch, k);
        int n = Native.atx_op_call(_handle, native, args.Length, outs, MaxResults);
        // The handles inside `native` belong to these managed objects: keep them alive across the call.
        for (int k = 0; k < args.Length; k++) GC.KeepAlive(args[k].Obj);
        if (n < 0) throw Native.Error(ToString());
        return n;
    }

    private NativeArg Convert(in Arg a, Scratch scratch, int index)
    {
        var r = new NativeArg { Tag = a.Tag, I = a.I, D = a.D };
        switch (a.Tag)
        {
            case ArgTag.Tensor:
                r.P = ((Tensor)a.Obj!).HandleFor(this, index);
                break;
            case ArgTag.IntList:
            {
                var v = (long[])a.Obj!;
                var p = (long*)scratch.Take(v.Length * sizeof(long));
                v.AsSpan().CopyTo(new Span<long>(p, v.Length));
                r.P = (IntPtr)p; r.Len = v.Length;
                break;
            }
            case ArgTag.DoubleList:
            {
                var v = (double[])a.Obj!;
                var p = (double*)scratch.Take(v.Length * sizeof(double));
                v.AsSpan().CopyTo(new Span<double>(p, v.Length));
                r.P = (IntPtr)p; r.Len = v.Length;
                break;
            }
            case ArgTag.TensorList:
            {
                var v = (Tensor?[])a.Obj!;
                var p = (IntPtr*)scratch.Take(v.Length * sizeof(IntPtr));
                for (int k = 0; k < v.Length; k++) p[k] = v[k] is null ? IntPtr.Zero : v[k]!.HandleFor(this, index);
                r.P = (IntPtr)p; r.Len = v.Length;
                break;
            }
            case ArgTag.String:
            case ArgTag.Device:
            {
                var s = (string)a.Obj!;
                int max = Encoding.UTF8.GetMaxByteCount(s.Length) + 1;
                var p = (byte*)scratch.Take(max);
                int len = Encoding.UTF8.GetBytes(s, new Span<byte>(p, max));
                p[len] = 0;
                r.P = (IntPtr)p;
                break;
            }
        }
        return r;
    }

    /// <summary>Per-thread native memory for list and string arguments of the call in progress (no callbacks re-enter).</summary>
    private sealed class Scratch
    {
        private byte* _buffer;
        private int _capacity;
        private int _used;
        private readonly List<IntPtr> _overflow = new();

        public Scratch() { _capacity = 1 << 16; _buffer = (byte*)NativeMemory.Alloc((nuint)_capacity); }

        public void Reset()
        {
            _used = 0;
            foreach (var p in _overflow) NativeMemory.Free((void*)p);
            _overflow.Clear();
        }

        public void* Take(int bytes)
        {
            bytes = (bytes + 15) & ~15;
            if (_used + bytes <= _capacity) { var p = _buffer + _used; _used += bytes; return p; }
            var big = NativeMemory.Alloc((nuint)Math.Max(bytes, 16));
            _overflow.Add((IntPtr)big);
            return big;
        }
    }
}
