using AttnXai.Torch;
using static AttnXai.Torch.Tests.GradCheck;
using F = AttnXai.Torch.torch.nn.functional;

namespace AttnXai.Torch.Tests;

/// <summary>Autograd against central finite differences for every differentiable operation of the binding.</summary>
public class GradCheckTests
{
    private sealed record Case(Func<Random, Tensor[]> Inputs, Func<Tensor[], Tensor[]> F);

    private static Case One(Func<Random, Tensor[]> inputs, Func<Tensor[], Tensor> f) => new(inputs, x => [f(x)]);
    private static Func<Random, Tensor[]> Shapes(params long[][] shapes) => r => shapes.Select(s => Leaf(r, s)).ToArray();
    private static Func<Random, Tensor[]> Positive(params long[][] shapes) => r => shapes.Select(s => Leaf(r, s, 0.5, 2.5)).ToArray();
    private static Func<Random, Tensor[]> NonZero(params long[][] shapes) => r => shapes.Select(s => Leaf(r, s, -2, 2, 0.25)).ToArray();

    private static readonly long[] S23 = [2, 3], S3 = [3], S21 = [2, 1], S234 = [2, 3, 4], S34 = [3, 4];

    private static Tensor L(params long[] v) => torch.tensor(v);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // arithmetic, with broadcasting
        ["add tensor broadcast [2,3]+[3]"] = One(Shapes(S23, S3), x => x[0] + x[1]),
        ["add tensor broadcast [2,3]+[2,1]"] = One(Shapes(S23, S21), x => x[0] + x[1]),
        ["add tensor alpha"] = One(Shapes(S23, S23), x => x[0].add(x[1], 2.5)),
        ["add scalar"] = One(Shapes(S23), x => x[0] + 1.5),
        ["add scalar left"] = One(Shapes(S23), x => 1.5 + x[0]),
        ["sub tensor broadcast"] = One(Shapes(S21, S3), x => x[0] - x[1]),
        ["sub tensor alpha"] = One(Shapes(S23, S23), x => x[0].sub(x[1], -0.75)),
        ["sub scalar"] = One(Shapes(S23), x => x[0] - 0.5),
        ["rsub scalar"] = One(Shapes(S23), x => 2.0 - x[0]),
        ["mul tensor broadcast"] = One(Shapes(S23, S21), x => x[0] * x[1]),
        ["mul scalar"] = One(Shapes(S23), x => x[0] * 3.0),
        ["mul scalar left"] = One(Shapes(S23), x => -3.0 * x[0]),
        ["div tensor broadcast"] = One(NonZero(S23, S3), x => x[0] / x[1]),
        ["div scalar"] = One(Shapes(S23), x => x[0] / 4.0),
        ["div scalar left"] = One(NonZero(S23), x => 2.0 / x[0]),
        ["neg"] = One(Shapes(S23), x => x[0].neg()),
        ["unary minus"] = One(Shapes(S23), x => -x[0]),

        // products
        ["matmul 2-d"] = One(Shapes([2, 3], [3, 4]), x => x[0].matmul(x[1])),
        ["matmul batched"] = One(Shapes([2, 2, 3], [2, 3, 2]), x => x[0].matmul(x[1])),
        ["matmul batched broadcast"] = One(Shapes([2, 2, 3], [3, 4]), x => torch.matmul(x[0], x[1])),
        ["matmul vector-matrix"] = One(Shapes([3], [3, 2]), x => x[0].matmul(x[1])),
        ["mm"] = One(Shapes([2, 3], [3, 2]), x => x[0].mm(x[1])),
        ["bmm"] = One(Shapes([2, 2, 3], [2, 3, 2]), x => torch.bmm(x[0], x[1])),
        ["outer"] = One(Shapes([3], [2]), x => x[0].outer(x[1])),
        ["einsum"] = One(Shapes([2, 3], [3, 4]), x => torch.einsum("ij,jk->ik", x[0], x[1])),

        // softmax family
        ["softmax dim 0"] = One(Shapes(S234), x => x[0].softmax(0)),
        ["softmax dim 1"] = One(Shapes(S234), x => x[0].softmax(1)),
        ["softmax dim 2"] = One(Shapes(S234), x => torch.softmax(x[0], 2)),
        ["softmax dim -1"] = One(Shapes(S23), x => F.softmax(x[0], -1)),
        ["log_softmax dim 0"] = One(Shapes(S234), x => x[0].log_softmax(0)),
        ["log_softmax dim 1"] = One(Shapes(S234), x => x[0].log_softmax(1)),
        ["log_softmax dim 2"] = One(Shapes(S234), x => torch.log_softmax(x[0], 2)),

        // elementwise
        ["exp"] = One(Shapes(S23), x => x[0].exp()),
        ["log"] = One(Positive(S23), x => x[0].log()),
        ["sqrt"] = One(Positive(S23), x => x[0].sqrt()),
        ["rsqrt"] = One(Positive(S23), x => x[0].rsqrt()),
        ["pow scalar 2.5"] = One(Positive(S23), x => x[0].pow(2.5)),
        ["pow scalar 3"] = One(Shapes(S23), x => torch.pow(x[0], 3)),
        ["pow tensor exponent"] = One(r => [Leaf(r, S23, 0.5, 2.5), Leaf(r, S23, -2, 2)], x => x[0].pow(x[1])),
        ["pow tensor exponent broadcast"] = One(r => [Leaf(r, S23, 0.5, 2.5), Leaf(r, S3, -2, 2)], x => x[0].pow(x[1])),
        ["abs"] = One(NonZero(S23), x => x[0].abs()),
        ["tanh"] = One(Shapes(S23), x => x[0].tanh()),
        ["sigmoid"] = One(Shapes(S23), x => x[0].sigmoid()),
        ["relu"] = One(NonZero(S23), x => x[0].relu()),
        ["square"] = One(Shapes(S23), x => x[0].square()),
        ["reciprocal"] = One(NonZero(S23), x => x[0].reciprocal()),
        ["sin"] = One(Shapes(S23), x => x[0].sin()),
        ["cos"] = One(Shapes(S23), x => x[0].cos()),
        ["clamp min and max"] = One(_ => [Leaf([-1.7, -0.6, 0.1, 0.4, 0.9, 1.8], 2, 3)], x => x[0].clamp(-0.5, 0.5)),
        ["clamp min only"] = One(_ => [Leaf([-1.7, -0.6, 0.1, 0.4, 0.9, 1.8], 2, 3)], x => x[0].clamp(min: 0.2)),
        ["clamp max only"] = One(_ => [Leaf([-1.7, -0.6, 0.1, 0.4, 0.9, 1.8], 2, 3)], x => x[0].clamp(max: 0.2)),

        // reductions
        ["sum all"] = One(Shapes(S234), x => x[0].sum()),
        ["sum dim"] = One(Shapes(S234), x => x[0].sum(1)),
        ["sum dims keepdim"] = One(Shapes(S234), x => x[0].sum([0, 2], keepdim: true)),
        ["mean all"] = One(Shapes(S234), x => torch.mean(x[0])),
        ["mean dim keepdim"] = One(Shapes(S234), x => x[0].mean(-1, keepdim: true)),
        ["mean dims"] = One(Shapes(S234), x => x[0].mean([0, 1])),
        ["max all"] = One(Shapes(S23), x => x[0].max()),
        ["min all"] = One(Shapes(S23), x => x[0].min()),
        ["max dim values"] = One(Shapes(S234), x => x[0].max(1).values),
        ["max dim values keepdim"] = One(Shapes(S234), x => x[0].max(2, keepdim: true).values),
        ["min dim values"] = One(Shapes(S234), x => x[0].min(0).values),
        ["amax"] = One(Shapes(S234), x => x[0].amax(1)),
        ["amax keepdim"] = One(Shapes(S234), x => x[0].amax(-1, keepdim: true)),
        ["norm p=2 dim"] = One(Shapes(S234), x => x[0].norm(1)),
        ["norm p=2 dim keepdim"] = One(Shapes(S234), x => x[0].norm(2, 2, keepdim: true)),
        ["norm p=1 dim"] = One(NonZero(S234), x => x[0].norm(0, p: 1)),
        ["norm p=1 dim 2"] = One(NonZero(S234), x => x[0].norm(2, p: 1)),
        ["norm all p=2"] = One(Shapes(S23), x => x[0].norm()),
        ["cumsum dim 0"] = One(Shapes(S234), x => x[0].cumsum(0)),
        ["cumsum dim 2"] = One(Shapes(S234), x => x[0].cumsum(2)),

        // selection
        ["where"] = One(Shapes(S23, S23), x =>
        {
            using var c = torch.tensor(new[] { true, false, false, true, true, false }, [2, 3]);
            return torch.where(c, x[0], x[1]);
        }),
        ["where broadcast"] = One(Shapes(S23, S3), x =>
        {
            using var c = torch.tensor(new[] { true, false, true }, [1, 3]);
            return torch.where(c, x[0], x[1]);
        }),
        ["masked_fill"] = One(Shapes(S23), x =>
        {
            using var m = torch.tensor(new[] { false, true, false, true, true, false }, [2, 3]);
            return x[0].masked_fill(m, -7.5);
        }),
        ["index_select dim 0 repeated"] = One(Shapes(S34), x => x[0].index_select(0, L(2, 0, 2, 1))),
        ["index_select dim 1"] = One(Shapes(S34), x => torch.index_select(x[0], 1, L(3, 1))),
        ["gather dim 1"] = One(Shapes(S34), x => x[0].gather(1, torch.tensor(new long[] { 0, 0, 3, 2, 1, 1 }, [3, 2]))),
        ["gather dim 0"] = One(Shapes(S34), x => torch.gather(x[0], 0, torch.tensor(new long[] { 2, 0, 1, 2 }, [1, 4]))),
        ["select"] = One(Shapes(S234), x => x[0].select(1, 2)),
        ["select negative"] = One(Shapes(S234), x => x[0].select(-1, -1)),
        ["index advanced"] = One(Shapes(S34), x => x[0].index(L(0, 2, 2), L(1, 3, 0))),
        ["index with null"] = One(Shapes(S234), x => x[0].index(null, L(2, 0))),
        ["embedding w.r.t. weight"] = One(Shapes([5, 3]), x => F.embedding(torch.tensor(new long[] { 4, 0, 4, 2 }, [2, 2]), x[0])),

        // joining and splitting
        ["cat dim 0"] = One(Shapes([2, 3], [1, 3]), x => torch.cat([x[0], x[1]], 0)),
        ["cat dim 1"] = One(Shapes([2, 3], [2, 2]), x => torch.cat([x[0], x[1]], 1)),
        ["stack dim 0"] = One(Shapes(S23, S23), x => torch.stack([x[0], x[1]])),
        ["stack dim 2"] = One(Shapes(S23, S23), x => torch.stack([x[0], x[1]], 2)),
        ["split"] = new(Shapes([5, 3]), x => x[0].split(2)),
        ["split dim 1"] = new(Shapes([2, 5]), x => x[0].split(3, 1)),
        ["unbind"] = new(Shapes(S23), x => x[0].unbind()),
        ["unbind dim 1"] = new(Shapes(S23), x => x[0].unbind(1)),

        // shapes
        ["reshape"] = One(Shapes(S234), x => x[0].reshape(4, -1)),
        ["view"] = One(Shapes(S234), x => x[0].view(6, 4) * 2.0),
        ["transpose"] = One(Shapes(S234), x => x[0].transpose(0, 2)),
        ["t"] = One(Shapes(S23), x => x[0].t()),
        ["permute"] = One(Shapes(S234), x => x[0].permute(2, 0, 1)),
        ["unsqueeze"] = One(Shapes(S23), x => x[0].unsqueeze(1)),
        ["squeeze"] = One(Shapes([2, 1, 3, 1]), x => x[0].squeeze()),
        ["squeeze dim"] = One(Shapes([2, 1, 3]), x => x[0].squeeze(1)),
        ["narrow"] = One(Shapes(S234), x => x[0].narrow(2, 1, 2)),
        ["flatten"] = One(Shapes(S234), x => x[0].flatten()),
        ["flatten range"] = One(Shapes(S234), x => x[0].flatten(1, 2)),
        ["expand"] = One(Shapes([2, 1]), x => x[0].expand(2, 4)),
        ["contiguous of transpose"] = One(Shapes(S23), x => x[0].t().contiguous()),
        ["clone"] = One(Shapes(S23), x => x[0].clone()),

        // values of sorting selections
        ["topk values"] = One(Shapes(S234), x => x[0].topk(2, dim: 1).values),
        ["topk smallest values"] = One(Shapes(S234), x => x[0].topk(3, largest: false).values),
        ["sort values"] = One(Shapes(S234), x => x[0].sort(1).values),
        ["sort descending values"] = One(Shapes(S234), x => x[0].sort(descending: true).values),

        // in-place operations on non-leaf tensors are recorded by autograd
        ["add_ sub_ mul_ div_ chain"] = One(r => [Leaf(r, S23), Leaf(r, S23), Leaf(r, S3, -2, 2, 0.25)], x =>
            (x[0] * 1.0).add_(x[1], 2).mul_(x[1]).sub_(x[0], 0.5).div_(x[2]).mul_(3).add_(1).div_(2)),
        ["addcmul_ addcdiv_"] = One(r => [Leaf(r, S23), Leaf(r, S23), Leaf(r, S23, -2, 2, 0.25)], x =>
            (x[0] * 1.0).addcmul_(x[1], x[2], 0.5).addcdiv_(x[0], x[2], -2)),
        ["lerp_ sqrt_"] = One(r => [Leaf(r, S23, 0.5, 2), Leaf(r, S23, 0.5, 2)], x => (x[0] * 1.0).lerp_(x[1], 0.3).sqrt_()),
        ["copy_ into a non-leaf"] = One(Shapes(S23, S3), x => (x[0] * 2.0).copy_(x[1].expand(2, 3))),
        ["to same dtype and cpu"] = One(Shapes(S23), x => x[0].to(ScalarType.Float64).to(Device.CPU).@double()),
        ["dropout with a fixed seed"] = One(Shapes([4, 5]), x =>
        {
            torch.manual_seed(11); // the same mask on every evaluation
            return F.dropout(x[0], 0.4, training: true);
        }),

        // losses and layers
        ["cross_entropy mean"] = One(Shapes([4, 3]), x => F.cross_entropy(x[0], L(2, 0, 1, 2))),
        ["cross_entropy sum"] = One(Shapes([4, 3]), x => F.cross_entropy(x[0], L(2, 0, 1, 2), F.Reduction.Sum)),
        ["cross_entropy none"] = One(Shapes([4, 3]), x => F.cross_entropy(x[0], L(2, 0, 1, 2), F.Reduction.None)),
        ["linear with bias"] = One(Shapes([4, 3], [2, 3], [2]), x => F.linear(x[0], x[1], x[2])),
        ["linear without bias"] = One(Shapes([2, 4, 3], [2, 3]), x => F.linear(x[0], x[1])),
        ["attention-like composite"] = One(Shapes([3, 4], [3, 4], [3, 2]), x =>
            (x[0].matmul(x[1].t()) / Math.Sqrt(4)).softmax(-1).matmul(x[2])),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_matches_finite_differences(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = Cases[name];
        var leaves = c.Inputs(new Random(name.Length * 7919 + name[0]));
        GradCheck.Check(leaves, () => c.F(leaves));
    }

    [Fact]
    public void Covers_at_least_a_hundred_cases() => Assert.True(Cases.Count >= 100, $"{Cases.Count} cases");

    [Fact]
    public void Linear_module_gradients_wrt_input_weight_and_bias()
    {
        using var scope = torch.NewDisposeScope();
        using var linear = new torch.nn.Linear(3, 2, dtype: ScalarType.Float64);
        var x = Leaf(new Random(5), [4, 3]);
        GradCheck.Check([x, linear.weight, linear.bias!], () => linear.forward(x).tanh());
    }

    [Fact]
    public void Linear_module_without_bias_on_batched_input()
    {
        using var scope = torch.NewDisposeScope();
        using var linear = new torch.nn.Linear(3, 4, hasBias: false, dtype: ScalarType.Float64);
        Assert.Null(linear.bias);
        var x = Leaf(new Random(6), [2, 2, 3]);
        GradCheck.Check([x, linear.weight], () => linear.call(x));
    }

    [Fact]
    public void Embedding_module_gradient_wrt_weight()
    {
        using var scope = torch.NewDisposeScope();
        using var emb = new torch.nn.Embedding(6, 3, dtype: ScalarType.Float64);
        var idx = torch.tensor(new long[] { 1, 5, 1, 0, 1, 3 }, [2, 3]);
        GradCheck.Check([emb.weight], () => emb.forward(idx).square());
    }

    [Fact]
    public void Backward_of_weighted_sum_agrees_with_autograd_grad()
    {
        using var scope = torch.NewDisposeScope();
        var x = Leaf(new Random(3), [2, 3]);
        var w = torch.tensor(Weights(6, 42), [2, 3]);
        (x.exp() * w).sum().backward();
        var viaBackward = x.grad!.ToArray<double>();
        var viaGrad = torch.autograd.grad([(x.exp() * w).sum()], [x])[0]!.ToArray<double>();
        var xs = x.ToArray<double>();
        var ws = w.ToArray<double>();
        for (int k = 0; k < 6; k++)
        {
            T.Close(Math.Exp(xs[k]) * ws[k], viaBackward[k], 1e-14);
            T.Close(Math.Exp(xs[k]) * ws[k], viaGrad[k], 1e-14);
        }
    }

    // The checker itself must be able to fail.

    [Fact]
    public void Checker_detects_a_wrong_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var x = Leaf(new Random(1), [2, 3], awayFromZero: 0.25);
        // d/dx (x * stopgrad(x)) is reported as x by autograd, but the true derivative of x^2 is 2x.
        var problems = GradCheck.Compare([x], () => [x * x.detach()]);
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public void Checker_detects_a_gradient_that_is_off_by_a_small_factor()
    {
        using var scope = torch.NewDisposeScope();
        var x = Leaf(new Random(2), [3]);
        // f = x + 1e-4 * stopgrad(x): true derivative 1.0001, autograd says 1.
        var problems = GradCheck.Compare([x], () => [x + x.detach() * 1e-4]);
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void Checker_detects_a_missing_gradient_through_an_unused_input()
    {
        using var scope = torch.NewDisposeScope();
        var x = Leaf(new Random(4), [3]);
        var y = Leaf(new Random(5), [3]);
        // y only enters through detach: autograd gives no gradient (zeros), finite differences do see it.
        var problems = GradCheck.Compare([x, y], () => [x * y.detach()]);
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("input 1", p));
    }
}
