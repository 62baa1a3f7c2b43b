using AttnXai.Explain.Perturbation;
namespace AttnXai.Explain.Tests;

public class LimeSamplerSizeTests
{
    [Fact]
    public void Too_many_samples_are_an_argument_error_not_an_overflow()
    {
        // 2e9 samples of 300 words used to overflow the int product (OverflowException, a crash in the CLI).
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LimeSampler.Sample(300, 2_000_000_000, 0));
        Assert.Contains("2000000000 samples of 300 features need 600000000000 flags", e.Message);
        Assert.Equal(3 * 4, LimeSampler.Sample(4, 3, 0).Length);
    }
}
