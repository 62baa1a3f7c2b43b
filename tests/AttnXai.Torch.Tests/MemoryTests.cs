using AttnXai.Torch;
using F = AttnXai.Torch.torch.nn.functional;

namespace AttnXai.Torch.Tests;

/// <summary>Handle lifetimes: dispose scopes, explicit disposal and the live-handle count of the native library.</summary>
public class MemoryTests
{
    [Fact]
    public void Hundred_thousand_small_operations_in_scopes_return_to_the_starting_count()
    {
        using var w = T.D([0.5, -0.25, 1, 2], 2, 2);
        long start = T.SettledLiveCount();
        double check = 0;
        for (int k = 0; k < 20_000; k++)
        {
            using var scope = torch.NewDisposeScope();
            // 6 operations a round (120,000 in all) making 7 handles
            var x = torch.tensor(new[] { k * 1e-4, 1.0 }, [1, 2]);   // handle 1
            var y = x.matmul(w).tanh();                              // 2, 3
            var (v, i) = (y * 2.0 + 1.0).max(1);                     // 4, 5, then values and indexes 6, 7
            check += v.item<double>() + i.item<long>();              // item copies out, making no handle
            Assert.Equal(7, scope.Count);
        }
        Assert.True(double.IsFinite(check));
        // no finalizer involved: the count is back without collecting garbage
        Assert.Equal(start, torch.LiveTensorCount);
        Assert.Equal(start, T.SettledLiveCount());
    }

    [Fact]
    public void Hundred_thousand_operations_under_one_scope_per_block()
    {
        long start = T.SettledLiveCount();
        using (var outer = torch.NewDisposeScope())
        {
            var acc = torch.zeros([3], ScalarType.Float64);
            for (int block = 0; block < 100; block++)
            {
                using var scope = torch.NewDisposeScope();
                for (int k = 0; k < 1000; k++) acc = (acc + 1.0).MoveToOuterDisposeScope();
            }
            // each step moved the new accumulator out of the block scope into outer: outer holds all of them
            Assert.Equal(100 * 1000 + 1, outer.Count);
            T.Close([100_000, 100_000, 100_000], acc, 0);
        }
        Assert.Equal(start, torch.LiveTensorCount);
    }

    [Fact]
    public void Disposing_a_scope_disposes_its_tensors()
    {
        long start = T.SettledLiveCount();
        Tensor a, b, c;
        Tensor[] parts;
        Tensor? g;
        using (var scope = torch.NewDisposeScope())
        {
            a = T.D([1, 2, 3, 4]);
            b = a * 2.0;
            c = b.requires_grad_().sum();
            c.backward();
            g = b.grad;                      // a new handle to the gradient also belongs to the scope
            parts = a.split(2);              // every tensor of a list result too
            Assert.Equal(start + 6, torch.LiveTensorCount);
            Assert.Equal(6, scope.Count);
            Assert.False(a.IsDisposed);
        }
        Assert.True(a.IsDisposed && b.IsDisposed && c.IsDisposed && g!.IsDisposed);
        Assert.All(parts, p => Assert.True(p.IsDisposed));
        Assert.Equal(start, torch.LiveTensorCount);
    }

    [Fact]
    public void Explicit_dispose_inside_a_scope_leaves_it()
    {
        using var scope = torch.NewDisposeScope();
        var a = T.D([1]);
        var b = T.D([2]);
        Assert.Equal(2, scope.Count);
        a.Dispose();
        Assert.Equal(1, scope.Count);
        Assert.False(b.IsDisposed);
    }

    [Fact]
    public void MoveToOuterDisposeScope_keeps_a_tensor_alive_into_the_outer_scope()
    {
        long start = T.SettledLiveCount();
        Tensor kept, dropped;
        using (var outer = torch.NewDisposeScope())
        {
            using (var inner = torch.NewDisposeScope())
            {
                Assert.Same(outer, inner.Outer);
                kept = (T.D([1, 2]) + 1.0).MoveToOuterDisposeScope();
                dropped = T.D([5]);
                Assert.Equal(2, inner.Count); // the argument T.D([1, 2]) and dropped
                Assert.Equal(1, outer.Count);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            T.Close([2, 3], kept, 0);
            Assert.Equal(start + 1, torch.LiveTensorCount);
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(start, torch.LiveTensorCount);
    }

    [Fact]
    public void MoveToOuter_from_the_outermost_scope_leaves_the_caller_owning_it()
    {
        long start = T.SettledLiveCount();
        Tensor t;
        using (torch.NewDisposeScope()) t = T.D([1]).MoveToOuterDisposeScope();
        Assert.False(t.IsDisposed);
        Assert.Same(t, t.MoveToOuterDisposeScope()); // no scope: a no-op
        t.Dispose();
        Assert.Equal(start, torch.LiveTensorCount);
    }

    [Fact]
    public void Nested_scopes_dispose_only_their_own_tensors()
    {
        using var s1 = torch.NewDisposeScope();
        var a = T.D([1]);
        Tensor b, c;
        using (var s2 = torch.NewDisposeScope())
        {
            b = T.D([2]);
            using (var s3 = torch.NewDisposeScope())
            {
                c = a + b; // created in s3 from tensors of s1 and s2
                Assert.Equal(1, s3.Count);
            }
            Assert.True(c.IsDisposed);
            Assert.False(b.IsDisposed);
            Assert.False(a.IsDisposed);
        }
        Assert.True(b.IsDisposed);
        Assert.False(a.IsDisposed);
    }

    [Fact]
    public void DetachFromDisposeScope_survives_every_scope()
    {
        long start = T.SettledLiveCount();
        Tensor t;
        using (torch.NewDisposeScope())
        {
            using (torch.NewDisposeScope())
                t = T.D([7, 8]).DetachFromDisposeScope();
        }
        Assert.False(t.IsDisposed);
        T.Close([7, 8], t, 0);
        Assert.Equal(start + 1, torch.LiveTensorCount);
        t.Dispose();
        Assert.Equal(start, torch.LiveTensorCount);
    }

    [Fact]
    public void Scope_disposes_twice_harmlessly_and_is_per_thread()
    {
        var scope = torch.NewDisposeScope();
        Tensor? fromOtherThread = null;
        var th = new Thread(() => fromOtherThread = T.D([1]));
        th.Start();
        th.Join();
        scope.Dispose();
        scope.Dispose();
        Assert.False(fromOtherThread!.IsDisposed); // the other thread had no scope
        fromOtherThread.Dispose();
    }

    [Fact]
    public void Unreachable_tensors_outside_scopes_are_freed_by_the_finalizer()
    {
        long start = T.SettledLiveCount();
        MakeGarbage();
        Assert.Equal(start, T.SettledLiveCount());
    }

    private static void MakeGarbage()
    {
        for (int k = 0; k < 100; k++) _ = T.D([k]);
    }

    /// <summary>Each method, called outside any scope, must create exactly as many handles as it returns.</summary>
    [Fact]
    public void Operations_create_no_hidden_handles()
    {
        using var x = T.D([1, 2, 3, 4, 5, 6], 2, 3);
        using var y = T.D([2, 2, 2, 2, 2, 2], 2, 3);
        using var idx = T.L([1, 0]);
        using var m = torch.tensor(new[] { true, false, true, false, true, false }, [2, 3]);
        var cases = new (string Name, Func<object> Run)[]
        {
            ("x + y", () => x + y), ("x + 1", () => x + 1.0), ("1 + x", () => 1.0 + x), ("x - 1", () => x - 1.0),
            ("1 - x", () => 1.0 - x), ("x * 2", () => x * 2.0), ("2 * x", () => 2.0 * x), ("x / 2", () => x / 2.0),
            ("2 / x", () => 2.0 / x), ("x / y", () => x / y), ("-x", () => -x),
            ("softmax", () => x.softmax(1)), ("max dim", () => x.max(1)), ("topk", () => x.topk(2)), ("sort", () => x.sort()),
            ("split", () => x.split(1)), ("unbind", () => x.unbind()), ("index_select", () => x.index_select(0, idx)),
            ("where", () => torch.where(m, x, y)), ("masked_fill", () => x.masked_fill(m, 0)), ("cat", () => torch.cat([x, y])),
            ("to float", () => x.@float()), ("to same dtype", () => x.@double()), ("cpu", () => x.cpu()),
            ("tensor(double)", () => torch.tensor(2.0)), ("tensor(double, f64)", () => torch.tensor(2.0, ScalarType.Float64)),
            ("cross_entropy", () => F.cross_entropy(x, idx)), ("linear", () => F.linear(x, y)), ("norm", () => x.norm(1)),
            ("mean", () => x.mean()), ("clamp", () => x.clamp(2, 4)), ("arange", () => torch.arange(3)),
        };
        foreach (var (name, run) in cases)
        {
            long before = T.SettledLiveCount();
            var result = run();
            var tensors = result switch
            {
                Tensor t => new[] { t },
                Tensor[] ts => ts,
                ValueTuple<Tensor, Tensor> p => new[] { p.Item1, p.Item2 },
                _ => throw new InvalidOperationException(name),
            };
            Assert.True(before + tensors.Length == torch.LiveTensorCount,
                $"{name}: {torch.LiveTensorCount - before} handles alive for {tensors.Length} result(s)");
            foreach (var t in tensors) t.Dispose();
            Assert.True(before == torch.LiveTensorCount, $"{name}: {torch.LiveTensorCount - before} handles left after disposing the results");
        }
    }

    [Fact]
    public void Modules_and_optimizers_free_their_tensors_on_dispose()
    {
        long start = T.SettledLiveCount();
        using (var scope = torch.NewDisposeScope())
        {
            var lin = new torch.nn.Linear(3, 2);
            Assert.Equal(0, scope.Count); // parameters are owned by the module
            var opt = new torch.optim.AdamW(lin.parameters());
            for (int k = 0; k < 3; k++)
            {
                using var step = torch.NewDisposeScope();
                opt.zero_grad();
                lin.forward(torch.ones([4, 3])).sum().backward();
                opt.step();
            }
            lin.zero_grad();
            opt.Dispose();
            lin.Dispose();
        }
        Assert.Equal(start, T.SettledLiveCount());
    }
}
