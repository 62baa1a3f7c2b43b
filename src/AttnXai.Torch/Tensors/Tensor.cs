using System.Runtime.InteropServices;
using System.Text;
using AttnXai.Torch.Interop;

namespace AttnXai.Torch;

/// <summary>
/// A libtorch tensor. Owns one native handle, released by <see cref="Dispose"/>, by the dispose scope that was
/// innermost when it was created, or (as a last resort, once unreachable) by its finalizer; every native call keeps
/// its tensors reachable until it returns, so a handle is never freed while in use.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private IntPtr _handle;
    internal DisposeScope? Scope;

    internal Tensor(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new TorchException("null tensor handle");
        _handle = handle;
        DisposeScope.Current?.Add(this);
    }

    ~Tensor()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) Native.atx_tensor_free(h);
    }

    public bool IsDisposed => _handle == IntPtr.Zero;

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) Native.atx_tensor_free(h);
        Scope?.Remove(this);
        GC.SuppressFinalize(this);
    }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (explicitly or by its dispose scope)");

    internal IntPtr HandleFor(Op op, int index) =>
        _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Tensor), $"argument {index} of {op} is a disposed tensor");

    /// <summary>Moves this tensor to the dispose scope enclosing its current one (or out of all scopes).</summary>
    public Tensor MoveToOuterDisposeScope() => Scope is { } s ? s.MoveToOuter(this) : this;

    /// <summary>Takes this tensor out of its dispose scope: the caller owns it.</summary>
    public Tensor DetachFromDisposeScope() => Scope is { } s ? s.Detach(this) : this;

    // ---- metadata -------------------------------------------------------------------------------------------

    public unsafe long[] shape
    {
        get
        {
            long* buf = stackalloc long[64];
            int n = Native.atx_sizes(Handle, buf, 64);
            GC.KeepAlive(this);
            if (n < 0) throw Native.Error("shape");
            return new ReadOnlySpan<long>(buf, n).ToArray();
        }
    }

    public long size(int dim)
    {
        var s = shape;
        if (dim < 0) dim += s.Length;
        if (dim < 0 || dim >= s.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} of a {s.Length}-d tensor");
        return s[dim];
    }

    public int dim()
    {
        int n = Native.atx_dim(Handle);
        GC.KeepAlive(this);
        return n >= 0 ? n : throw Native.Error("dim");
    }

    public long numel() { long n = 1; foreach (var s in shape) n *= s; return n; }

    public ScalarType dtype
    {
        get
        {
            int t = Native.atx_dtype(Handle);
            GC.KeepAlive(this);
            return t >= 0 ? (ScalarType)t : throw Native.Error("dtype");
        }
    }

    public unsafe Device device
    {
        get
        {
            var s = Native.ReadString((p, n) => Native.atx_device(Handle, (byte*)p, n));
            GC.KeepAlive(this);
            return new Device(s);
        }
    }

    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", shape)}], {dtype}, {device}";

    // ---- data in and out -------------------------------------------------------------------------------------

    /// <summary>The elements in row-major order, converted to T (copied to the CPU when needed).</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var st = ScalarTypes.Of<T>();
        var result = new T[numel()];
        fixed (T* p = result)
        {
            int ok = Native.atx_copy_out(Handle, (int)st, p, (long)result.Length * sizeof(T));
            GC.KeepAlive(this);
            if (ok == 0) throw Native.Error("ToArray");
        }
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        var n = numel();
        if (n != 1) throw new TorchException($"item() needs a tensor with one element, this one has {n} (shape [{string.Join(", ", shape)}])");
        return ToArray<T>()[0];
    }

    // ---- autograd --------------------------------------------------------------------------------------------

    public bool requires_grad
    {
        get { int r = Native.atx_requires_grad(Handle); GC.KeepAlive(this); return r == 1; }
        set
        {
            int ok = Native.atx_set_requires_grad(Handle, value ? 1 : 0);
            GC.KeepAlive(this);
            if (ok == 0) throw Native.Error("requires_grad");
        }
    }

    public Tensor requires_grad_(bool value = true) { requires_grad = value; return this; }

    public bool is_leaf { get { int r = Native.atx_is_leaf(Handle); GC.KeepAlive(this); return r == 1; } }

    /// <summary>The accumulated gradient (a new handle to it, owned by the caller's scope), or null.</summary>
    public Tensor? grad
    {
        get
        {
            var h = Native.atx_grad(Handle, out int ok);
            GC.KeepAlive(this);
            if (ok == 0) throw Native.Error("grad");
            return h == IntPtr.Zero ? null : new Tensor(h);
        }
    }

    /// <summary>Drops the accumulated gradient (what optimizers' zero_grad does by default).</summary>
    public void reset_grad()
    {
        int ok = Native.atx_reset_grad(Handle);
        GC.KeepAlive(this);
        if (ok == 0) throw Native.Error("reset_grad");
    }

    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false)
    {
        int ok = Native.atx_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retain_graph ? 1 : 0, create_graph ? 1 : 0);
        GC.KeepAlive(this);
        GC.KeepAlive(gradient);
        if (ok == 0) throw Native.Error("backward");
    }

    /// <summary>A second handle to the same tensor (same storage and autograd identity).</summary>
    public Tensor alias()
    {
        var h = Native.atx_alias(Handle);
        GC.KeepAlive(this);
        return h != IntPtr.Zero ? new Tensor(h) : throw Native.Error("alias");
    }
}
