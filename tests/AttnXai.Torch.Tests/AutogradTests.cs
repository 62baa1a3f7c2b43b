using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

public class AutogradTests
{
    [Fact]
    public void Requires_grad_leaf_and_null_grad_before_backward()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1, 2, 3]);
        Assert.False(x.requires_grad);
        Assert.True(x.is_leaf);
        Assert.Same(x, x.requires_grad_());
        Assert.True(x.requires_grad);
        Assert.Null(x.grad);
        var y = x * 2.0;
        Assert.True(y.requires_grad);
        Assert.False(y.is_leaf);
        var c = T.D([1, 1, 1]);
        Assert.False((c * 2.0).requires_grad);
        x.requires_grad = false;
        Assert.False(x.requires_grad);
        // integers cannot require gradients: libtorch's error as a TorchException
        var e = Assert.Throws<TorchException>(() => T.L([1, 2]).requires_grad = true);
        Assert.Contains("floating point", e.Message);
    }

    [Fact]
    public void Backward_gives_the_hand_derivative()
    {
        using var scope = torch.NewDisposeScope();
        // d/dx sum(x^2 + 3x) = 2x + 3
        var x = GradCheck.Leaf([1, -2, 0.5]);
        (x.square() + x * 3.0).sum().backward();
        T.Close([5, -1, 4], x.grad!, 0);
    }

    [Fact]
    public void Backward_with_an_explicit_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        (x * 3.0).backward(T.D([10, -1]));
        T.Close([30, -3], x.grad!, 0);
    }

    [Fact]
    public void Backward_twice_with_retain_graph_accumulates_and_reset_grad_clears()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2, 3]);
        var loss = (x * x).sum(); // gradient 2x
        loss.backward(retain_graph: true);
        T.Close([2, 4, 6], x.grad!, 0);
        loss.backward();
        T.Close([4, 8, 12], x.grad!, 0);
        // the graph was freed by the second call without retain_graph
        var e = Assert.Throws<TorchException>(() => loss.backward());
        Assert.Contains("second time", e.Message);
        x.reset_grad();
        Assert.Null(x.grad);
        (x * 5.0).sum().backward();
        T.Close([5, 5, 5], x.grad!, 0);
    }

    [Fact]
    public void Backward_on_a_non_scalar_without_gradient_fails_clearly()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        var e = Assert.Throws<TorchException>(() => (x * 2.0).backward());
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void Backward_on_a_tensor_without_grad_fn_fails_clearly()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => T.D([1.0]).sum().backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void Autograd_grad_of_several_inputs_and_allow_unused()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([2, 3]);
        var y = GradCheck.Leaf([5, 7]);
        var z = GradCheck.Leaf([1, 1]);
        var f = (x * y).sum(); // df/dx = y, df/dy = x
        var g = torch.autograd.grad([f], [x, y], retain_graph: true);
        T.Close([5, 7], g[0]!, 0);
        T.Close([2, 3], g[1]!, 0);
        Assert.Null(x.grad); // autograd.grad does not accumulate into .grad
        var e = Assert.Throws<TorchException>(() => torch.autograd.grad([f], [x, z], retain_graph: true));
        Assert.Contains("not have been used", e.Message);
        var u = torch.autograd.grad([f], [x, z], allow_unused: true);
        T.Close([5, 7], u[0]!, 0);
        Assert.Null(u[1]);
    }

    [Fact]
    public void Autograd_grad_with_grad_outputs_and_several_outputs()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        // outputs 3x and x^2 with grad_outputs [1, 1] and [2, -1]: 3 + [4x, -2x] = [7, -1]
        var g = torch.autograd.grad([x * 3.0, x.square()], [x], [T.D([1, 1]), T.D([2, -1])]);
        T.Close([7, -1], g[0]!, 0);
        Assert.Throws<ArgumentException>(() => torch.autograd.grad([x * 3.0], [x], [T.D([1, 1]), T.D([1, 1])]));
    }

    [Fact]
    public void No_grad_and_enable_grad_nest_and_restore()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        Assert.True(torch.is_grad_enabled());
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            var y = x * 2.0;
            Assert.False(y.requires_grad);
            using (torch.enable_grad())
            {
                Assert.True(torch.is_grad_enabled());
                Assert.True((x * 2.0).requires_grad);
            }
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2.0).requires_grad);
        }
        Assert.True(torch.is_grad_enabled());
        Assert.True((x * 2.0).requires_grad);
        // disposing twice does not flip the mode again
        var ng = torch.no_grad();
        ng.Dispose();
        using (torch.no_grad()) { ng.Dispose(); Assert.False(torch.is_grad_enabled()); }
        Assert.True(torch.is_grad_enabled());
    }

    [Fact]
    public void Detach_cuts_the_graph_but_shares_the_data()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        var d = x.detach();
        Assert.False(d.requires_grad);
        // y = x * detach(x): gradient is detach(x) = x, not 2x
        (x * d).sum().backward();
        T.Close([1, 2], x.grad!, 0);
        // same storage: an in-place change through the detached tensor is visible in x
        using (torch.no_grad()) d.mul_(10);
        T.Close([10, 20], x, 0);
    }

    [Fact]
    public void Create_graph_gives_the_second_derivative_of_x_cubed()
    {
        using var scope = torch.NewDisposeScope();
        // f = x^3: f' = 3x^2, f'' = 6x
        var x = GradCheck.Leaf([2, -1, 0.5]);
        var f = x.pow(3).sum();
        var first = torch.autograd.grad([f], [x], create_graph: true)[0]!;
        Assert.True(first.requires_grad);
        T.Close([12, 3, 0.75], first, 1e-15);
        var second = torch.autograd.grad([first.sum()], [x])[0]!;
        T.Close([12, -6, 3], second, 1e-15);
        // the same through backward(create_graph) then grad of the accumulated gradient
        var y = GradCheck.Leaf([3.0]);
        y.pow(3).sum().backward(create_graph: true);
        var gy = y.grad!;
        T.Close([27], gy, 0);
        var g2 = torch.autograd.grad([gy.sum()], [y])[0]!;
        T.Close([18], g2, 0);
    }

    [Fact]
    public void Alias_shares_autograd_identity()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        var a = x.alias();
        (a * 4.0).sum().backward();
        T.Close([4, 4], x.grad!, 0);
        x.Dispose();
        T.Close([4, 4], a.grad!, 0); // the alias keeps the tensor alive
    }

    [Fact]
    public void Gradient_through_in_place_change_of_a_saved_tensor_is_an_error()
    {
        using var scope = torch.NewDisposeScope();
        var x = GradCheck.Leaf([1, 2]);
        var y = x * 1.0;
        var z = y.exp(); // exp saves its result
        z.mul_(2);
        var e = Assert.Throws<TorchException>(() => z.sum().backward());
        Assert.Contains("modified by an inplace operation", e.Message);
    }
}
