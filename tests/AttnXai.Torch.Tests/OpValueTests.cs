using AttnXai.Torch;
using F = AttnXai.Torch.torch.nn.functional;

namespace AttnXai.Torch.Tests;

/// <summary>Results of operations against values worked out by hand (in the comments), not by running the code.</summary>
public class OpValueTests
{
    [Fact]
    public void Matmul_of_two_integer_matrices()
    {
        using var scope = torch.NewDisposeScope();
        // [1 2; 3 4] x [5 6; 7 8] = [1*5+2*7, 1*6+2*8; 3*5+4*7, 3*6+4*8] = [19 22; 43 50]
        var a = T.D([1, 2, 3, 4], 2, 2);
        var b = T.D([5, 6, 7, 8], 2, 2);
        T.Close([19, 22, 43, 50], a.matmul(b), 0);
        T.Close([19, 22, 43, 50], a.mm(b), 0);
        // b x a = [5+18, 10+24; 7+24, 14+32] = [23 34; 31 46]
        T.Close([23, 34, 31, 46], b.matmul(a), 0);
        // int64 matmul stays int64
        var ai = T.L([1, 2, 3, 4], 2, 2);
        var r = ai.matmul(ai);
        Assert.Equal(ScalarType.Int64, r.dtype);
        T.Longs([7, 10, 15, 22], r);
    }

    [Fact]
    public void Batched_matmul_and_outer()
    {
        using var scope = torch.NewDisposeScope();
        // batch 0: identity x [1 2; 3 4]; batch 1: 2*identity x [1 2; 3 4]
        var a = T.D([1, 0, 0, 1, 2, 0, 0, 2], 2, 2, 2);
        var b = T.D([1, 2, 3, 4], 2, 2);
        var r = a.matmul(b);
        T.Shape(r, 2, 2, 2);
        T.Close([1, 2, 3, 4, 2, 4, 6, 8], r, 0);
        var bb = torch.stack([b, b]);
        T.Close([1, 2, 3, 4, 2, 4, 6, 8], a.bmm(bb), 0);
        // outer([1 2], [3 4 5]) = [3 4 5; 6 8 10]
        var o = T.D([1, 2]).outer(T.D([3, 4, 5]));
        T.Shape(o, 2, 3);
        T.Close([3, 4, 5, 6, 8, 10], o, 0);
    }

    [Fact]
    public void Softmax_of_zero_and_ln2_is_one_third_two_thirds()
    {
        using var scope = torch.NewDisposeScope();
        // exp(0) = 1, exp(ln 2) = 2: softmax = [1/3, 2/3]; log_softmax = [-ln 3, ln 2 - ln 3]
        var x = T.D([0, Math.Log(2)]);
        T.Close([1.0 / 3, 2.0 / 3], x.softmax(0), 1e-15);
        T.Close([-Math.Log(3), Math.Log(2) - Math.Log(3)], x.log_softmax(0), 1e-15);
        // Along dim 0 of a 2x2: columns [0, ln 2] and [ln 2, 0] -> [1/3, 2/3; 2/3, 1/3] (row-major)
        var m = T.D([0, Math.Log(2), Math.Log(2), 0], 2, 2);
        T.Close([1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3], m.softmax(0), 1e-15);
        T.Close([1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3], m.softmax(1), 1e-15);
        // Shift invariance: adding 1000 would overflow a naive exp.
        T.Close([1.0 / 3, 2.0 / 3], (x + 1000.0).softmax(0), 1e-12);
        // float32 with a float64 result type
        var f = torch.tensor(new float[] { 0, (float)Math.Log(2) });
        var fs = f.softmax(0, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, fs.dtype);
        T.Close([1.0 / 3, 2.0 / 3], fs, 1e-7);
    }

    [Fact]
    public void Argmax_argmin_and_max_min_along_dims()
    {
        using var scope = torch.NewDisposeScope();
        // [[3, 9, 1], [7, 2, 8]]
        var x = T.D([3, 9, 1, 7, 2, 8], 2, 3);
        T.Longs([1], x.argmax().reshape(1));        // 9 is at flat index 1
        Assert.Equal(1L, x.argmax().item<long>());
        T.Longs([1, 0, 1], x.argmax(0));            // columns: max(3,7)->1, max(9,2)->0, max(1,8)->1
        T.Longs([1, 2], x.argmax(1));               // rows: 9 at 1, 8 at 2
        T.Longs([0, 1, 0], x.argmin(0));
        T.Longs([2, 1], x.argmin(1));
        var (v, i) = x.max(1);
        T.Close([9, 8], v, 0);
        T.Longs([1, 2], i);
        var (vk, ik) = x.max(0, keepdim: true);
        T.Shape(vk, 1, 3);
        T.Close([7, 9, 8], vk, 0);
        T.Longs([1, 0, 1], ik);
        var (mn, mi) = x.min(1);
        T.Close([1, 2], mn, 0);
        T.Longs([2, 1], mi);
        Assert.Equal(9.0, x.max().item<double>());
        Assert.Equal(1.0, x.min().item<double>());
        T.Close([9, 8], x.amax(1), 0);
        T.Close([7, 9, 8], x.amax(0), 0);
    }

    [Fact]
    public void Topk_and_sort()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([4, 1, 7, 3, 9, 2]);
        var (v, i) = x.topk(3);
        T.Close([9, 7, 4], v, 0);
        T.Longs([4, 2, 0], i);
        var (sv, si) = x.topk(2, largest: false);
        T.Close([1, 2], sv, 0);
        T.Longs([1, 5], si);
        var (s, idx) = x.sort();
        T.Close([1, 2, 3, 4, 7, 9], s, 0);
        T.Longs([1, 5, 3, 0, 2, 4], idx);
        var (d, di) = x.sort(descending: true);
        T.Close([9, 7, 4, 3, 2, 1], d, 0);
        T.Longs([4, 2, 0, 3, 5, 1], di);
        // 2-d, along dim 0: columns [5, 2] and [1, 6]
        var m = T.D([5, 1, 2, 6], 2, 2);
        var (ms, mi) = m.sort(0);
        T.Close([2, 1, 5, 6], ms, 0);
        T.Longs([1, 0, 0, 1], mi);
    }

    [Fact]
    public void Comparisons_and_logical_ops()
    {
        using var scope = torch.NewDisposeScope();
        var a = T.D([1, 2, 3]);
        var b = T.D([3, 2, 1]);
        T.Bools([false, true, false], a.eq(b));
        T.Bools([true, false, true], a.ne(b));
        T.Bools([false, false, true], a.gt(b));
        T.Bools([false, true, true], a.ge(b));
        T.Bools([true, false, false], a.lt(b));
        T.Bools([true, true, false], a.le(b));
        T.Bools([false, true, false], a.eq(2));
        T.Bools([true, false, true], a.ne(2));
        T.Bools([false, false, true], a.gt(2));
        T.Bools([false, true, true], a.ge(2));
        T.Bools([true, false, false], a.lt(2));
        T.Bools([true, true, false], a.le(2));
        Assert.Equal(ScalarType.Bool, a.eq(b).dtype);
    }

    [Fact]
    public void Broadcast_comparison_by_hand()
    {
        using var scope = torch.NewDisposeScope();
        // [1 2 3] >= [[1], [2]] -> [[T T T], [F T T]]
        T.Bools([true, true, true, false, true, true], T.D([1, 2, 3]).ge(T.D([1, 2], 2, 1)));
    }

    [Fact]
    public void Eq_on_bool_tensors_and_logical_ops()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.tensor(new[] { true, true, false, false });
        var q = torch.tensor(new[] { true, false, true, false });
        T.Bools([true, false, false, true], p.eq(q));
        T.Bools([false, true, true, false], p.ne(q));
        T.Bools([true, false, false, false], p.logical_and(q));
        T.Bools([false, false, true, true], p.logical_not());
        Assert.True(p.any().item<bool>());
        Assert.False(p.all().item<bool>());
        Assert.True(torch.tensor(new[] { true, true }).all().item<bool>());
        Assert.False(torch.tensor(new[] { false, false }).any().item<bool>());
    }

    [Fact]
    public void Where_and_masked_fill()
    {
        using var scope = torch.NewDisposeScope();
        var c = torch.tensor(new[] { true, false, true, false });
        var x = T.D([1, 2, 3, 4]);
        var y = T.D([10, 20, 30, 40]);
        T.Close([1, 20, 3, 40], torch.where(c, x, y), 0);
        T.Close([1, -5, 3, -5], x.masked_fill(c.logical_not(), -5), 0);
        // masked_fill broadcasting a [1, 3] mask over [2, 3]: column 1 filled
        var m = T.D([1, 2, 3, 4, 5, 6], 2, 3);
        var mask = torch.tensor(new[] { false, true, false }, [1, 3]);
        T.Close([1, 0, 3, 4, 0, 6], torch.masked_fill(m, mask, 0), 0);
        // -inf masking then softmax: [0, -inf, 0] -> [1/2, 0, 1/2]
        var scores = T.D([0, 0, 0]).masked_fill(torch.tensor(new[] { false, true, false }), double.NegativeInfinity);
        T.Close([0.5, 0, 0.5], scores.softmax(0), 1e-15);
    }

    [Fact]
    public void Index_select_gather_select_and_index_with_hand_made_indices()
    {
        using var scope = torch.NewDisposeScope();
        // x = [[0 1 2 3], [10 11 12 13], [20 21 22 23]]
        var x = T.D([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], 3, 4);
        var rows = x.index_select(0, T.L([2, 0, 2]));
        T.Shape(rows, 3, 4);
        T.Close([20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23], rows, 0);
        var cols = x.index_select(1, T.L([3, 0]));
        T.Close([3, 0, 13, 10, 23, 20], cols, 0);
        // gather dim 1: out[i][j] = x[i][idx[i][j]]
        var g = x.gather(1, T.L([3, 3, 0, 1, 2, 0], 3, 2));
        T.Close([3, 3, 10, 11, 22, 20], g, 0);
        // gather dim 0: out[i][j] = x[idx[i][j]][j]
        var g0 = x.gather(0, T.L([2, 0, 1, 2], 1, 4));
        T.Close([20, 1, 12, 23], g0, 0);
        T.Close([10, 11, 12, 13], x.select(0, 1), 0);
        T.Close([2, 12, 22], x.select(1, 2), 0);
        T.Close([3, 13, 23], x.select(1, -1), 0);
        // advanced indexing: pairs (0,1), (2,3), (1,0)
        T.Close([1, 23, 10], x.index(T.L([0, 2, 1]), T.L([1, 3, 0])), 0);
        // null takes the whole first dimension: columns 2 and 0
        T.Close([2, 0, 12, 10, 22, 20], x.index(null, T.L([2, 0])), 0);
        // boolean mask index picks rows 0 and 2
        T.Close([0, 1, 2, 3, 20, 21, 22, 23], x.index(torch.tensor(new[] { true, false, true })), 0);
    }

    [Fact]
    public void Embedding_picks_rows()
    {
        using var scope = torch.NewDisposeScope();
        var w = T.D([0, 0.5, 1, 1.5, 2, 2.5], 3, 2);
        var e = F.embedding(T.L([2, 0, 2, 1], 2, 2), w);
        T.Shape(e, 2, 2, 2);
        T.Close([2, 2.5, 0, 0.5, 2, 2.5, 1, 1.5], e, 0);
    }

    [Fact]
    public void Cat_and_stack_shapes_and_contents()
    {
        using var scope = torch.NewDisposeScope();
        var a = T.D([1, 2, 3, 4], 2, 2);
        var b = T.D([5, 6], 1, 2);
        var c0 = torch.cat([a, b]);
        T.Shape(c0, 3, 2);
        T.Close([1, 2, 3, 4, 5, 6], c0, 0);
        var c1 = torch.cat([a, b.t()], 1);
        T.Shape(c1, 2, 3);
        T.Close([1, 2, 5, 3, 4, 6], c1, 0);
        var s0 = torch.stack([a, a * 10.0]);
        T.Shape(s0, 2, 2, 2);
        T.Close([1, 2, 3, 4, 10, 20, 30, 40], s0, 0);
        var s1 = torch.stack([a, a * 10.0], 1);
        T.Shape(s1, 2, 2, 2);
        T.Close([1, 2, 10, 20, 3, 4, 30, 40], s1, 0);
        var s2 = torch.stack([a, a * 10.0], 2);
        T.Shape(s2, 2, 2, 2);
        T.Close([1, 10, 2, 20, 3, 30, 4, 40], s2, 0);
        var parts = T.D([1, 2, 3, 4, 5]).split(2);
        Assert.Equal(3, parts.Length);
        T.Close([1, 2], parts[0], 0);
        T.Close([3, 4], parts[1], 0);
        T.Close([5], parts[2], 0);
        var un = a.unbind(1);
        Assert.Equal(2, un.Length);
        T.Close([1, 3], un[0], 0);
        T.Close([2, 4], un[1], 0);
    }

    [Fact]
    public void Shape_operations()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(24, ScalarType.Float64).reshape(2, 3, 4);
        T.Shape(x.view(6, 4), 6, 4);
        T.Shape(x.reshape(-1), 24);
        T.Shape(x.permute(2, 0, 1), 4, 2, 3);
        // permute(2,0,1)[k][i][j] = x[i][j][k] = 12 i + 4 j + k: first row k=0,i=0: j=0..2 -> 0, 4, 8
        T.Close([0, 4, 8, 12, 16, 20, 1, 5, 9], x.permute(2, 0, 1).flatten().narrow(0, 0, 9), 0);
        T.Shape(x.transpose(0, 2), 4, 3, 2);
        T.Close([0, 12, 4, 16, 8, 20], x.transpose(0, 2).select(0, 0), 0);
        T.Shape(x.unsqueeze(0), 1, 2, 3, 4);
        T.Shape(x.unsqueeze(-1), 2, 3, 4, 1);
        T.Shape(x.unsqueeze(0).unsqueeze(2).squeeze(), 2, 3, 4);
        T.Shape(x.unsqueeze(1).squeeze(1), 2, 3, 4);
        T.Close([5, 6, 9, 10], x.select(0, 0).narrow(0, 1, 2).narrow(1, 1, 2), 0);
        T.Shape(x.flatten(0, 1), 6, 4);
        var col = T.D([1, 2], 2, 1).expand(2, 3);
        T.Shape(col, 2, 3);
        T.Close([1, 1, 1, 2, 2, 2], col, 0);
        T.Close([1, 3, 2, 4], T.D([1, 2, 3, 4], 2, 2).t(), 0);
    }

    [Fact]
    public void Arithmetic_and_elementwise_by_hand()
    {
        using var scope = torch.NewDisposeScope();
        var a = T.D([1, 4, 9]);
        var b = T.D([2, 2, 3]);
        T.Close([3, 6, 12], a + b, 0);
        T.Close([5, 8, 15], a.add(b, 2), 0);
        T.Close([-1, 2, 6], a - b, 0);
        T.Close([2, 8, 27], a * b, 0);
        T.Close([0.5, 2, 3], a / b, 0);
        T.Close([1, 0.25, 1.0 / 9], 1.0 / a, 1e-16);
        T.Close([9, 6, 1], 10.0 - a, 0);
        T.Close([1, 2, 3], a.sqrt(), 0);
        T.Close([1, 0.5, 1.0 / 3], a.rsqrt(), 1e-15);
        T.Close([1, 16, 81], a.pow(2), 0);
        T.Close([1, 16, 729], a.pow(b), 0);
        T.Close([1, 16, 81], a.square(), 0);
        T.Close([0, Math.Log(4), Math.Log(9)], a.log(), 1e-15);
        T.Close([0, 1, 2], T.D([-1, 0, 3]).clamp(0, 2) + T.D([0, 1, 0]), 0);
        T.Close([0, 0, 3], T.D([-1, 0, 3]).relu(), 0);
        T.Close([1, 0, 3], T.D([-1, 0, 3]).abs(), 0);
        T.Close([-1, 0, 1], T.D([-1, 0, 3]).sign(), 0);
        T.Close([0.5], T.D([0]).sigmoid(), 0);
        T.Close([0], T.D([0]).tanh(), 0);
        // cumsum [1 4 9] = [1 5 14]; along dim 0 of [[1,2],[3,4]] = [[1,2],[4,6]]
        T.Close([1, 5, 14], a.cumsum(0), 0);
        T.Close([1, 2, 4, 6], T.D([1, 2, 3, 4], 2, 2).cumsum(0), 0);
        // norms: |3|+|-4| = 7, sqrt(9+16) = 5
        T.Close([7], T.D([3, -4]).norm(0, p: 1).reshape(1), 0);
        Assert.Equal(5.0, T.D([3, -4]).norm().item<double>());
        T.Close([5, 13], T.D([3, 4, 5, 12], 2, 2).norm(1), 1e-15);
        // sum and mean
        var m = T.D([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(21.0, m.sum().item<double>());
        T.Close([5, 7, 9], m.sum(0), 0);
        T.Close([6, 15], m.sum(1), 0);
        T.Shape(m.sum(1, keepdim: true), 2, 1);
        Assert.Equal(3.5, m.mean().item<double>());
        T.Close([2, 5], m.mean(1), 0);
        T.Shape(m.mean([0, 1], keepdim: true), 1, 1);
        Assert.True(T.D([1, double.NaN]).isnan().ToArray<bool>()[1]);
        T.Bools([true, false, false], T.D([1, double.PositiveInfinity, double.NaN]).isfinite());
    }

    [Fact]
    public void Factories()
    {
        using var scope = torch.NewDisposeScope();
        var r = torch.arange(5);
        Assert.Equal(ScalarType.Int64, r.dtype);
        T.Longs([0, 1, 2, 3, 4], r);
        T.Close([1, 1.5, 2, 2.5], torch.arange(1, 3, 0.5, ScalarType.Float64), 0);
        T.Longs([10, 7, 4, 1], torch.arange(10, 0, -3));
        // Like PyTorch, a fractional start, end or step gives float32 when no dtype is given (not a truncated int64 range).
        var frac = torch.arange(0, 1, 0.25);
        Assert.Equal(ScalarType.Float32, frac.dtype);
        T.Close([0, 0.25, 0.5, 0.75], frac, 0);
        var whole = torch.arange(0, 6, 2);
        Assert.Equal(ScalarType.Int64, whole.dtype);
        var z = torch.zeros([2, 3]);
        Assert.Equal(ScalarType.Float32, z.dtype);
        T.Shape(z, 2, 3);
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(torch.ones([4], ScalarType.Int64).ToArray<long>(), v => Assert.Equal(1L, v));
        var f = torch.full([2, 2], 2.5, ScalarType.Float64);
        T.Close([2.5, 2.5, 2.5, 2.5], f, 0);
        T.Close([1, 0, 0, 0, 1, 0, 0, 0, 1], torch.eye(3, ScalarType.Float64), 0);
        T.Shape(torch.empty([0, 3]), 0, 3);
        T.Close([0, 0], torch.zeros_like(T.D([5, 6])), 0);
        T.Close([1, 1], torch.ones_like(T.D([5, 6])), 0);
        Assert.True(torch.zeros([2], requires_grad: true).requires_grad);
        var s = torch.tensor(2.5);
        Assert.Equal(0, s.dim());
        Assert.Equal(ScalarType.Float32, s.dtype);
        Assert.Equal(2.5, torch.tensor(2.5, ScalarType.Float64).item<double>());
        // one_hot([2, 0], 3) = [[0 0 1], [1 0 0]]
        T.Longs([0, 0, 1, 1, 0, 0], F.one_hot(T.L([2, 0]), 3));
    }

    [Fact]
    public void Random_factories_respect_their_ranges()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(123);
        var ri = torch.randint(-3, 4, [10000]).ToArray<long>();
        Assert.All(ri, v => Assert.InRange(v, -3L, 3L));
        // all 7 values appear among 10000 draws (missing one has probability ~7 (6/7)^10000)
        Assert.Equal(7, ri.Distinct().Count());
        var perm = torch.randperm(50).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), perm.OrderBy(v => v));
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i), perm); // identity has probability 1/50!
        var u = torch.rand([10000], ScalarType.Float64).ToArray<double>();
        Assert.All(u, v => Assert.True(v >= 0 && v < 1, $"{v:R}"));
        Assert.InRange(u.Average(), 0.48, 0.52); // sd of the mean ~ 0.0029
        var n = torch.randn([10000], ScalarType.Float64).ToArray<double>();
        Assert.InRange(n.Average(), -0.04, 0.04);
        Assert.InRange(n.Select(v => v * v).Average(), 0.94, 1.06);
    }

    [Fact]
    public void Cross_entropy_of_a_hand_case()
    {
        using var scope = torch.NewDisposeScope();
        // row 0: logits [0, ln 2] target 1 -> -ln(2/3) = ln 1.5; row 1: [0, 0] target 0 -> ln 2
        var logits = T.D([0, Math.Log(2), 0, 0], 2, 2);
        var target = T.L([1, 0]);
        T.Close([Math.Log(1.5), Math.Log(2)], F.cross_entropy(logits, target, F.Reduction.None), 1e-15);
        T.Close(Math.Log(1.5) + Math.Log(2), F.cross_entropy(logits, target, F.Reduction.Sum).item<double>(), 1e-15);
        T.Close((Math.Log(1.5) + Math.Log(2)) / 2, F.cross_entropy(logits, target).item<double>(), 1e-15);
        // target -100 is ignored by default: mean over the remaining row only
        T.Close(Math.Log(2), F.cross_entropy(logits, T.L([-100, 0])).item<double>(), 1e-15);
    }

    [Fact]
    public void Linear_function_by_hand()
    {
        using var scope = torch.NewDisposeScope();
        // x = [1 2], W = [[1 0], [1 1], [0 -1]], b = [0.5 0 1] -> [1.5, 3, -1]
        var y = F.linear(T.D([1, 2], 1, 2), T.D([1, 0, 1, 1, 0, -1], 3, 2), T.D([0.5, 0, 1]));
        T.Shape(y, 1, 3);
        T.Close([1.5, 3, -1], y, 0);
    }

    [Fact]
    public void Dropout_is_identity_in_eval_and_scales_in_training()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([1000], ScalarType.Float64);
        T.Close(Enumerable.Repeat(1.0, 1000).ToArray(), F.dropout(x, 0.5, training: false), 0);
        var d = F.dropout(x, 0.5, training: true).ToArray<double>();
        Assert.All(d, v => Assert.True(v == 0 || v == 2, $"{v}"));
        Assert.InRange(d.Count(v => v == 0), 400, 600);
    }

    [Fact]
    public void Dtype_conversions()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1.7, -1.7, 0.5, 2.0]);
        var l = x.@long();
        Assert.Equal(ScalarType.Int64, l.dtype);
        T.Longs([1, -1, 0, 2], l); // truncation toward zero
        var f = x.@float();
        Assert.Equal(ScalarType.Float32, f.dtype);
        Assert.Equal(new[] { 1.7f, -1.7f, 0.5f, 2.0f }, f.ToArray<float>());
        Assert.Equal(ScalarType.Float64, f.@double().dtype);
        Assert.Equal((double)1.7f, f.@double().ToArray<double>()[0]);
        T.Bools([true, true, false, true], T.D([1, -2, 0, 0.1]).to(ScalarType.Bool));
        T.Close([1, 0], torch.tensor(new[] { true, false }).to(ScalarType.Float64), 0);
        Assert.Equal(ScalarType.Int32, x.to(ScalarType.Int32).dtype);
        // ToArray converts as well
        Assert.Equal(new long[] { 1, -1, 0, 2 }, x.ToArray<long>());
        Assert.Equal(new[] { 1, 0 }, torch.tensor(new[] { true, false }).ToArray<int>());
        // integer arithmetic promotes with a float scalar: [1 2] * 0.5 = [0.5 1] float32 (default dtype)
        var p = T.L([1, 2]) * 0.5;
        Assert.Equal(ScalarType.Float32, p.dtype);
        Assert.Equal(new[] { 0.5f, 1f }, p.ToArray<float>());
        // true division of integers is floating point
        Assert.Equal(ScalarType.Float32, (T.L([1, 2]) / T.L([2, 2])).dtype);
    }

    [Fact]
    public void Tensors_from_and_to_arrays_with_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var f32 = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal(ScalarType.Float32, f32.dtype);
        T.Shape(f32, 2, 3);
        Assert.Equal(2, f32.dim());
        Assert.Equal(6, f32.numel());
        Assert.Equal(3, f32.size(1));
        Assert.Equal(2, f32.size(-2));
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, f32.ToArray<float>());
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, f32.t().ToArray<float>()); // non-contiguous view copied row-major
        var f64 = torch.tensor(new[] { 0.1, double.MaxValue, double.Epsilon, -0.0 }, [2, 2]);
        Assert.Equal(ScalarType.Float64, f64.dtype);
        Assert.Equal(new[] { 0.1, double.MaxValue, double.Epsilon, -0.0 }, f64.ToArray<double>());
        Assert.True(double.IsNegative(f64.ToArray<double>()[3]));
        var i64 = torch.tensor(new[] { long.MinValue, -1, 0, long.MaxValue }, [4, 1]);
        Assert.Equal(ScalarType.Int64, i64.dtype);
        T.Shape(i64, 4, 1);
        Assert.Equal(new[] { long.MinValue, -1, 0, long.MaxValue }, i64.ToArray<long>());
        var b = torch.tensor(new[] { true, false, true }, [3, 1, 1]);
        Assert.Equal(ScalarType.Bool, b.dtype);
        T.Shape(b, 3, 1, 1);
        Assert.Equal(new[] { true, false, true }, b.ToArray<bool>());
        var i32 = torch.tensor(new[] { 7, -8 });
        Assert.Equal(ScalarType.Int32, i32.dtype);
        var u8 = torch.tensor(new byte[] { 0, 255 });
        Assert.Equal(ScalarType.Byte, u8.dtype);
        Assert.Equal(new byte[] { 0, 255 }, u8.ToArray<byte>());
        // 0-d and empty
        var s = torch.tensor(new[] { 4.5 }, []);
        Assert.Equal(0, s.dim());
        Assert.Empty(s.shape);
        Assert.Equal(4.5, s.item<double>());
        Assert.Equal(4.5f, s.item<float>());
        var e = torch.tensor(Array.Empty<float>(), [0, 5]);
        T.Shape(e, 0, 5);
        Assert.Empty(e.ToArray<float>());
        // the tensor copies the array
        var data = new[] { 1.0, 2.0 };
        var c = torch.tensor(data);
        data[0] = 99;
        Assert.Equal(1.0, c.ToArray<double>()[0]);
    }

    [Fact]
    public void Wrong_element_count_and_bad_shapes_are_argument_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => torch.tensor(new[] { 1.0, 2, 3 }, [2, 2]));
        Assert.Contains("holds 4 elements but 3 were given", e.Message);
        Assert.Throws<ArgumentException>(() => torch.tensor(new[] { 1.0 }, [1, -1]));
        Assert.Throws<ArgumentException>(() => torch.tensor(new[] { 1.0 }, [2]));
        Assert.Throws<ArgumentException>(() => torch.tensor(Array.Empty<double>(), []));
        Assert.Throws<ArgumentNullException>(() => torch.tensor((double[])null!));
        using var two = T.D([1, 2]);
        var ie = Assert.Throws<TorchException>(() => two.item<double>());
        Assert.Contains("one element", ie.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => two.size(1));
    }

    [Fact]
    public void Op_schema_is_libtorchs()
    {
        Assert.Equal("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", Interop.Op.Get("aten::add", "Tensor").Schema);
        Assert.Equal("aten::mm(Tensor self, Tensor mat2) -> Tensor", Interop.Op.Get("aten::mm").Schema);
        Assert.Equal("aten::add.Tensor", Interop.Op.Get("aten::add", "Tensor").ToString());
        Assert.Same(Interop.Op.Get("aten::mm"), Interop.Op.Get("aten::mm"));
    }

    [Fact]
    public void Op_call_generic_entry_point()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1, 2, 3, 4], 2, 2);
        // trace = 1 + 4
        Assert.Equal(5.0, Interop.Op.Get("aten::trace").Call(x).item<double>());
        // aten::size.int returns a number
        Assert.Equal(2.0, Interop.Op.Get("aten::size", "int").CallScalar(x, 1));
        // aten::chunk returns a tensor list
        var chunks = Interop.Op.Get("aten::chunk").CallMany(x, 2, 1);
        Assert.Equal(2, chunks.Length);
        T.Close([1, 3], chunks[0].flatten(), 0);
    }
}
