using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

/// <summary>The same manual_seed gives bit-identical draws and training runs.</summary>
public class SeedTests
{
    private static int[] Bits(Tensor t) => t.ToArray<float>().Select(BitConverter.SingleToInt32Bits).ToArray();
    private static long[] Bits64(Tensor t) => t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static (int[] randn, long[] rand64, long[] randint, long[] randperm, int[] uniform, int[] normal) Draw(long seed)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        return (Bits(torch.randn([257])), Bits64(torch.rand([100], ScalarType.Float64)), torch.randint(0, 1000, [100]).ToArray<long>(),
            torch.randperm(100).ToArray<long>(), Bits(torch.empty([50]).uniform_(-1, 1)), Bits(torch.empty([50]).normal_(2, 3)));
    }

    [Fact]
    public void Same_seed_gives_bit_identical_draws()
    {
        var a = Draw(20240601);
        var b = Draw(20240601);
        Assert.Equal(a.randn, b.randn);
        Assert.Equal(a.rand64, b.rand64);
        Assert.Equal(a.randint, b.randint);
        Assert.Equal(a.randperm, b.randperm);
        Assert.Equal(a.uniform, b.uniform);
        Assert.Equal(a.normal, b.normal);
        var c = Draw(7);
        Assert.NotEqual(a.randn, c.randn);
        Assert.NotEqual(a.randint, c.randint);
        Assert.NotEqual(a.randperm, c.randperm);
    }

    [Fact]
    public void Successive_draws_differ_and_reseeding_replays_them()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var first = Bits(torch.rand([10]));
        var second = Bits(torch.rand([10]));
        Assert.NotEqual(first, second);
        torch.manual_seed(1);
        Assert.Equal(first, Bits(torch.rand([10])));
        Assert.Equal(second, Bits(torch.rand([10])));
    }

    private static (int[] weight, int[] bias, float loss) Train(long seed)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        using var model = new torch.nn.Linear(4, 3);
        var x = torch.randn([16, 4]);
        var y = torch.randint(0, 3, [16]);
        using var opt = new torch.optim.AdamW(model.parameters(), lr: 0.05);
        float loss = 0;
        for (int step = 0; step < 5; step++)
        {
            using var s = torch.NewDisposeScope();
            opt.zero_grad();
            var h = torch.nn.functional.dropout(model.forward(x), 0.2, training: true);
            var l = torch.nn.functional.cross_entropy(h, y);
            l.backward();
            opt.step();
            loss = l.item<float>();
        }
        return (Bits(model.weight), Bits(model.bias!), loss);
    }

    [Fact]
    public void Training_a_tiny_linear_model_is_bit_reproducible()
    {
        var a = Train(99);
        var b = Train(99);
        Assert.Equal(a.weight, b.weight);
        Assert.Equal(a.bias, b.bias);
        Assert.Equal(BitConverter.SingleToInt32Bits(a.loss), BitConverter.SingleToInt32Bits(b.loss));
        var c = Train(100);
        Assert.NotEqual(a.weight, c.weight);
    }

    [Fact]
    public void Linear_initialisation_is_within_pytorchs_bound()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var lin = new torch.nn.Linear(16, 8);
        double bound = 1.0 / Math.Sqrt(16); // U(-1/sqrt(in), 1/sqrt(in)) = U(-0.25, 0.25)
        Assert.All(lin.weight.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.All(lin.bias!.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.True(lin.weight.ToArray<float>().Max() > 0.2 && lin.weight.ToArray<float>().Min() < -0.2);
    }
}
