using AttnXai.Torch.Interop;

namespace AttnXai.Torch;

// Tensor methods and operators, each a call of one ATen operator through the dispatcher (see Interop/Op.cs).
public sealed partial class Tensor
{
    private static Op O(string name, string overload = "") => Op.Get("aten::" + name, overload);

    // ---- arithmetic (broadcasting) ---------------------------------------------------------------------------
    public Tensor add(Tensor other, double alpha = 1) => O("add", "Tensor").Call(this, other, alpha);
    public Tensor add(double other) => O("add", "Scalar").Call(this, other, 1);
    public Tensor sub(Tensor other, double alpha = 1) => O("sub", "Tensor").Call(this, other, alpha);
    public Tensor sub(double other) => O("sub", "Scalar").Call(this, other, 1);
    public Tensor mul(Tensor other) => O("mul", "Tensor").Call(this, other);
    public Tensor mul(double other) => O("mul", "Scalar").Call(this, other);
    public Tensor div(Tensor other) => O("div", "Tensor").Call(this, other);
    public Tensor div(double other) => O("div", "Scalar").Call(this, other);
    public Tensor neg() => O("neg").Call(this);

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(double a, Tensor b) => O("rsub", "Scalar").Call(b, a, 1);
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    public static Tensor operator /(double a, Tensor b)
    {
        using var r = O("reciprocal").Call(b);
        return r.mul(a);
    }
    public static Tensor operator -(Tensor a) => a.neg();

    public Tensor matmul(Tensor other) => O("matmul").Call(this, other);
    public Tensor mm(Tensor other) => O("mm").Call(this, other);
    public Tensor bmm(Tensor other) => O("bmm").Call(this, other);
    public Tensor outer(Tensor other) => O("outer").Call(this, other);

    // ---- elementwise -----------------------------------------------------------------------------------------
    public Tensor exp() => O("exp").Call(this);
    public Tensor log() => O("log").Call(this);
    public Tensor sqrt() => O("sqrt").Call(this);
    public Tensor rsqrt() => O("rsqrt").Call(this);
    public Tensor abs() => O("abs").Call(this);
    public Tensor sign() => O("sign").Call(this);
    public Tensor sin() => O("sin").Call(this);
    public Tensor cos() => O("cos").Call(this);
    public Tensor tanh() => O("tanh").Call(this);
    public Tensor sigmoid() => O("sigmoid").Call(this);
    public Tensor relu() => O("relu").Call(this);
    public Tensor square() => O("square").Call(this);
    public Tensor reciprocal() => O("reciprocal").Call(this);
    public Tensor pow(double exponent) => O("pow", "Tensor_Scalar").Call(this, exponent);
    public Tensor pow(Tensor exponent) => O("pow", "Tensor_Tensor").Call(this, exponent);
    public Tensor clamp(double? min = null, double? max = null) => O("clamp").Call(this, min, max);
    public Tensor isnan() => O("isnan").Call(this);
    public Tensor isfinite() => O("isfinite").Call(this);
    public Tensor softmax(long dim, ScalarType? dtype = null) => O("softmax", "int").Call(this, dim, dtype);
    public Tensor log_softmax(long dim, ScalarType? dtype = null) => O("log_softmax", "int").Call(this, dim, dtype);

    // ---- reductions ------------------------------------------------------------------------------------------
    public Tensor sum() => O("sum").Call(this);
    public Tensor sum(long dim, bool keepdim = false) => O("sum", "dim_IntList").Call(this, new[] { dim }, keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => O("sum", "dim_IntList").Call(this, dims, keepdim);
    public Tensor mean() => O("mean").Call(this);
    public Tensor mean(long dim, bool keepdim = false) => O("mean", "dim").Call(this, new[] { dim }, keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => O("mean", "dim").Call(this, dims, keepdim);
    public Tensor max() => O("max").Call(this);
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) => Pair(O("max", "dim").CallMany(this, dim, keepdim));
    public Tensor min() => O("min").Call(this);
    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) => Pair(O("min", "dim").CallMany(this, dim, keepdim));
    public Tensor amax(long dim, bool keepdim = false) => O("amax").Call(this, new[] { dim }, keepdim);
    public Tensor argmax() => O("argmax").Call(this);
    public Tensor argmax(long dim, bool keepdim = false) => O("argmax").Call(this, dim, keepdim);
    public Tensor argmin(long dim, bool keepdim = false) => O("argmin").Call(this, dim, keepdim);
    /// <summary>The p-norm over dim (p = 2 by default).</summary>
    public Tensor norm(long dim, double p = 2, bool keepdim = false) => O("norm", "ScalarOpt_dim").Call(this, p, new[] { dim }, keepdim);
    public Tensor norm(double p = 2) => O("norm", "Scalar").Call(this, p);
    public Tensor cumsum(long dim) => O("cumsum").Call(this, dim);
    public Tensor any() => O("any").Call(this);
    public Tensor all() => O("all").Call(this);
    public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true) =>
        Pair(O("topk").CallMany(this, k, dim, largest, sorted));
    public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false) => Pair(O("sort").CallMany(this, dim, descending));

    private static (Tensor, Tensor) Pair(Tensor[] r) => r.Length == 2 ? (r[0], r[1]) : throw new TorchException($"expected 2 results, got {r.Length}");

    // ---- comparisons and selection ---------------------------------------------------------------------------
    public Tensor eq(Tensor other) => O("eq", "Tensor").Call(this, other);
    public Tensor eq(double other) => O("eq", "Scalar").Call(this, other);
    public Tensor ne(Tensor other) => O("ne", "Tensor").Call(this, other);
    public Tensor ne(double other) => O("ne", "Scalar").Call(this, other);
    public Tensor gt(Tensor other) => O("gt", "Tensor").Call(this, other);
    public Tensor gt(double other) => O("gt", "Scalar").Call(this, other);
    public Tensor ge(Tensor other) => O("ge", "Tensor").Call(this, other);
    public Tensor ge(double other) => O("ge", "Scalar").Call(this, other);
    public Tensor lt(Tensor other) => O("lt", "Tensor").Call(this, other);
    public Tensor lt(double other) => O("lt", "Scalar").Call(this, other);
    public Tensor le(Tensor other) => O("le", "Tensor").Call(this, other);
    public Tensor le(double other) => O("le", "Scalar").Call(this, other);
    public Tensor logical_not() => O("logical_not").Call(this);
    public Tensor logical_and(Tensor other) => O("logical_and").Call(this, other);
    public Tensor masked_fill(Tensor mask, double value) => O("masked_fill", "Scalar").Call(this, mask, value);
    public Tensor index_select(long dim, Tensor index) => O("index_select").Call(this, dim, index);
    public Tensor gather(long dim, Tensor index) => O("gather").Call(this, dim, index, false);
    public Tensor select(long dim, long index) => O("select", "int").Call(this, dim, index);
    /// <summary>Advanced indexing with one index tensor per leading dimension (null entries take the whole dimension).</summary>
    public Tensor index(params Tensor?[] indices) => O("index", "Tensor").Call(this, indices);

    // ---- shape -----------------------------------------------------------------------------------------------
    public Tensor reshape(params long[] shape) => O("reshape").Call(this, shape);
    public Tensor view(params long[] shape) => O("view").Call(this, shape);
    public Tensor transpose(long dim0, long dim1) => O("transpose", "int").Call(this, dim0, dim1);
    public Tensor t() => O("t").Call(this);
    public Tensor permute(params long[] dims) => O("permute").Call(this, dims);
    public Tensor unsqueeze(long dim) => O("unsqueeze").Call(this, dim);
    public Tensor squeeze() => O("squeeze").Call(this);
    public Tensor squeeze(long dim) => O("squeeze", "dim").Call(this, dim);
    public Tensor narrow(long dim, long start, long length) => O("narrow").Call(this, dim, start, length);
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => O("flatten", "using_ints").Call(this, start_dim, end_dim);
    public Tensor expand(params long[] size) => O("expand").Call(this, size, false);
    public Tensor contiguous() => O("contiguous").Call(this);
    public Tensor[] split(long size, long dim = 0) => O("split", "Tensor").CallMany(this, size, dim);
    public Tensor[] unbind(long dim = 0) => O("unbind", "int").CallMany(this, dim);

    // ---- copies, types, devices ------------------------------------------------------------------------------
    public Tensor clone() => O("clone").Call(this);
    public Tensor detach() => O("detach").Call(this);
    public Tensor to(ScalarType dtype) => O("to", "dtype").Call(this, dtype, false, false);
    public Tensor to(Device device)
    {
        if (device.IsCuda) device.EnsureAvailable();
        return O("to", "device").Call(this, device, dtype, false, false);
    }
    public Tensor to(Device device, ScalarType dtype)
    {
        if (device.IsCuda) device.EnsureAvailable();
        return O("to", "device").Call(this, device, dtype, false, false);
    }
    public Tensor cpu() => to(Device.CPU);
    public Tensor cuda(int index = -1) => to(Device.CUDA(index));
    public Tensor @float() => to(ScalarType.Float32);
    public Tensor @double() => to(ScalarType.Float64);
    public Tensor @long() => to(ScalarType.Int64);

    // ---- in place (for optimizers and initialisation; run them under torch.no_grad() on parameters) ----------
    public Tensor add_(Tensor other, double alpha = 1) { O("add_", "Tensor").Call(this, other, alpha).Dispose(); return this; }
    public Tensor add_(double other) { O("add_", "Scalar").Call(this, other, 1).Dispose(); return this; }
    public Tensor sub_(Tensor other, double alpha = 1) { O("sub_", "Tensor").Call(this, other, alpha).Dispose(); return this; }
    public Tensor mul_(Tensor other) { O("mul_", "Tensor").Call(this, other).Dispose(); return this; }
    public Tensor mul_(double other) { O("mul_", "Scalar").Call(this, other).Dispose(); return this; }
    public Tensor div_(Tensor other) { O("div_", "Tensor").Call(this, other).Dispose(); return this; }
    public Tensor div_(double other) { O("div_", "Scalar").Call(this, other).Dispose(); return this; }
    public Tensor addcmul_(Tensor t1, Tensor t2, double value = 1) { O("addcmul_").Call(this, t1, t2, value).Dispose(); return this; }
    public Tensor addcdiv_(Tensor t1, Tensor t2, double value = 1) { O("addcdiv_").Call(this, t1, t2, value).Dispose(); return this; }
    public Tensor lerp_(Tensor end, double weight) { O("lerp_", "Scalar").Call(this, end, weight).Dispose(); return this; }
    public Tensor sqrt_() { O("sqrt_").Call(this).Dispose(); return this; }
    public Tensor copy_(Tensor src) { O("copy_").Call(this, src, false).Dispose(); return this; }
    public Tensor zero_() { O("zero_").Call(this).Dispose(); return this; }
    public Tensor fill_(double value) { O("fill_", "Scalar").Call(this, value).Dispose(); return this; }
    public Tensor uniform_(double from = 0, double to = 1) { O("uniform_").Call(this, from, to).Dispose(); return this; }
    public Tensor normal_(double mean = 0, double std = 1) { O("normal_").Call(this, mean, std).Dispose(); return this; }
}
