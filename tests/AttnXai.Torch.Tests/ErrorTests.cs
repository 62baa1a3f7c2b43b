using AttnXai.Torch;
using AttnXai.Torch.Interop;
using F = AttnXai.Torch.torch.nn.functional;

namespace AttnXai.Torch.Tests;

/// <summary>Bad calls raise managed exceptions carrying libtorch's message, and the process carries on.</summary>
public class ErrorTests
{
    private static void StillWorks()
    {
        using var a = T.D([1, 2, 3, 4], 2, 2);
        using var r = a.matmul(a);
        T.Close([7, 10, 15, 22], r, 0);
    }

    private static TorchException Torch(Action a, params string[] fragments)
    {
        var e = Assert.Throws<TorchException>(a);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        StillWorks();
        return e;
    }

    [Fact]
    public void Matmul_shape_mismatch()
    {
        using var scope = torch.NewDisposeScope();
        var e = Torch(() => T.D([1, 2, 3, 4, 5, 6], 2, 3).matmul(T.D([1, 2, 3, 4, 5, 6], 2, 3)), "aten::matmul", "cannot be multiplied", "2x3 and 2x3");
        Assert.DoesNotContain("Exception raised from", e.Message); // no C++ backtrace
        Torch(() => T.D([1, 2], 1, 2).mm(T.D([1, 2, 3], 3, 1)), "aten::mm");
        Torch(() => torch.bmm(T.D([1, 2], 1, 1, 2), T.D([1, 2], 2, 1)), "aten::bmm");
        Torch(() => _ = T.D([1, 2, 3]) + T.D([1, 2]), "aten::add.Tensor", "size of tensor a (3) must match the size of tensor b (2)");
    }

    [Fact]
    public void Wrong_index_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1, 2, 3]);
        Torch(() => x.index_select(0, T.D([0, 1])), "aten::index_select", "Expected dtype int32 or int64 for index");
        Torch(() => x.gather(0, T.D([0.0])), "aten::gather", "int64");
        Torch(() => F.embedding(T.D([0]), T.D([1, 2], 1, 2)), "aten::embedding");
        Torch(() => x.masked_fill(torch.tensor(new[] { true, false }), 0), "aten::masked_fill.Scalar", "must match");
    }

    [Fact]
    public void Out_of_range_indices()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1, 2, 3, 4, 5, 6], 2, 3);
        Torch(() => x.index_select(0, T.L([2])), "aten::index_select", "out of range");
        Torch(() => x.index_select(1, T.L([-1])), "aten::index_select", "out of DATA bounds");
        Torch(() => F.embedding(T.L([0, 3]), x.t()), "aten::embedding", "out of range");
        Torch(() => x.gather(1, T.L([0, 3], 2, 1)), "aten::gather", "out of bounds");
        Torch(() => x.select(0, 2), "aten::select.int", "out of range");
        Torch(() => x.softmax(2), "aten::softmax.int", "Dimension out of range");
        Torch(() => x.narrow(1, 2, 2), "aten::narrow");
        Torch(() => x.index(T.L([5])), "aten::index.Tensor", "out of bounds");
    }

    [Fact]
    public void Disposed_tensor_is_an_object_disposed_error()
    {
        var x = T.D([1, 2]);
        x.Dispose();
        Assert.True(x.IsDisposed);
        x.Dispose(); // twice is harmless
        var e = Assert.Throws<ObjectDisposedException>(() => x.add(1.0));
        Assert.Contains("argument 0 of aten::add.Scalar is a disposed tensor", e.Message);
        using var y = T.D([1, 2]);
        var e2 = Assert.Throws<ObjectDisposedException>(() => y.add(x));
        Assert.Contains("argument 1 of aten::add.Tensor", e2.Message);
        Assert.Throws<ObjectDisposedException>(() => torch.cat([y, x]));
        Assert.Throws<ObjectDisposedException>(() => x.shape);
        Assert.Throws<ObjectDisposedException>(() => x.ToArray<double>());
        Assert.Throws<ObjectDisposedException>(() => x.backward());
        Assert.Throws<ObjectDisposedException>(() => torch.autograd.grad([x], [y]));
        Assert.Equal("Tensor(disposed)", x.ToString());
        StillWorks();
    }

    [Fact]
    public void Reshape_and_view_to_incompatible_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1, 2, 3, 4, 5, 6], 2, 3);
        Torch(() => x.reshape(4, 4), "aten::reshape", "shape '[4, 4]' is invalid for input of size 6");
        Torch(() => x.view(5), "aten::view", "invalid for input of size 6");
        Torch(() => x.reshape(-1, -1), "aten::reshape", "only one dimension can be inferred");
        Torch(() => x.t().view(6), "aten::view", "view size is not compatible");
        Torch(() => x.expand(3, 3), "aten::expand");
        Torch(() => x.permute(0, 0), "aten::permute");
        Torch(() => torch.cat([x, T.D([1, 2], 1, 2)]), "aten::cat", "Sizes of tensors must match");
        Torch(() => torch.stack([x, x.t()]), "aten::stack", "stack expects each tensor to be equal size");
    }

    [Fact]
    public void Cross_entropy_target_out_of_range()
    {
        using var scope = torch.NewDisposeScope();
        var logits = T.D([0, 0, 0, 0], 2, 2);
        Torch(() => F.cross_entropy(logits, T.L([0, 5])), "aten::cross_entropy_loss", "Target 5 is out of bounds");
        Torch(() => F.cross_entropy(logits, T.L([0, 1, 1])), "aten::cross_entropy_loss");
    }

    [Fact]
    public void Unknown_operator_and_bad_arguments()
    {
        using var scope = torch.NewDisposeScope();
        var e = Torch(() => Op.Get("aten::definitely_not_an_op"), "aten::definitely_not_an_op");
        Assert.Contains("Could not find schema", e.Message);
        Torch(() => Op.Get("aten::add", "NoSuchOverload"), "aten::add.NoSuchOverload");
        // too many arguments, a float for an int, None for a tensor, a missing required argument
        var x = T.D([1, 2]);
        Torch(() => Op.Get("aten::neg").Call(x, x), "aten::neg takes 1 arguments, 2 given");
        Torch(() => Op.Get("aten::select", "int").Call(x, 0, 1.5), "floating-point value", "'index'");
        Torch(() => Op.Get("aten::neg").Call(Arg.None), "None given for non-optional", "'self'");
        Torch(() => Op.Get("aten::mm").Call(x), "missing required", "'mat2'");
        Torch(() => Op.Get("aten::max", "dim").Call(x, 0), "expected one tensor result, got 2");
        Torch(() => Op.Get("aten::neg").CallScalar(x), "expected one number result");
    }

    [Fact]
    public void Failed_calls_leak_no_handles()
    {
        using var a = T.D([1, 2, 3]);
        using var b = T.D([1, 2]);
        long before = T.SettledLiveCount();
        for (int k = 0; k < 100; k++)
        {
            Assert.Throws<TorchException>(() => a + b);
            Assert.Throws<TorchException>(() => Op.Get("aten::max", "dim").Call(a, 0));
            Assert.Throws<TorchException>(() => Op.Get("aten::neg").CallScalar(a));
        }
        Assert.Equal(before, T.SettledLiveCount());
        // without the garbage collector's help either: a tensor made before the failure is disposed at once
        Assert.Throws<TorchException>(() => torch.tensor(new long[] { 1, 2 }, requires_grad: true));
        Assert.Equal(before, torch.LiveTensorCount);
    }

    [Fact]
    public void Errors_on_another_thread_carry_their_own_message()
    {
        string? other = null;
        var th = new Thread(() =>
        {
            using var s = torch.NewDisposeScope();
            try { T.D([1, 2, 3]).reshape(2, 2); }
            catch (TorchException e) { other = e.Message; }
        });
        th.Start();
        th.Join();
        Assert.NotNull(other);
        Assert.Contains("invalid for input of size 3", other);
        using var scope = torch.NewDisposeScope();
        var mine = Assert.Throws<TorchException>(() => T.D([1.0]).index_select(0, T.L([4])));
        Assert.Contains("out of range", mine.Message);
    }

    [Fact]
    public void Bad_device_names_and_scope_misuse()
    {
        Assert.Throws<ArgumentException>(() => new Device("tpu"));
        Assert.Throws<ArgumentException>(() => new Device("cuda:x"));
        Assert.Throws<ArgumentException>(() => new Device("cuda:-1"));
        Assert.Throws<ArgumentException>(() => new Device("cuda:0:1"));
        Assert.Equal("cuda:1", new Device(" CUDA:1 ").ToString());
        var outer = torch.NewDisposeScope();
        var inner = torch.NewDisposeScope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        // the refused call must leave outer usable: disposing it afterwards restores a state without any scope
        outer.Dispose();
        using var probe = torch.NewDisposeScope();
        Assert.Null(probe.Outer);
    }
}
