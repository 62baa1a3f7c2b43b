using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine.Tests;

/// <summary>Memory, devices, the allocator and the small tensor helpers.</summary>
public class EngineTests
{
    [Fact]
    public void A_hundred_thousand_scoped_operations_leave_no_live_tensor()
    {
        TorchEngine.Initialize();
        using var w = tensor(new[] { 0.5, -0.25, 1, 2 }, [2, 2]);
        long start = TorchEngine.LiveTensors;
        double check = 0;
        for (int k = 0; k < 20_000; k++)
        {
            using var scope = NewDisposeScope();
            // 5 operations a round, 100,000 in all
            var x = tensor(new[] { k * 1e-4, 1.0 }, [1, 2]);
            var y = x.matmul(w).tanh();
            var (v, i) = (y * 2.0 + 1.0).max(1);
            check += v.ToDouble() + i.ToInt64();
            Assert.True(scope.DisposablesCount >= 6);
        }
        Assert.True(double.IsFinite(check));
        // Back to the start without collecting garbage: every tensor was disposed by its scope, none by a finalizer.
        Assert.Equal(start, TorchEngine.LiveTensors);
    }

    [Fact]
    public void The_live_count_sees_a_leak()
    {
        long start = TorchEngine.LiveTensors;
        var leaked = ones([1]);
        Assert.Equal(start + 1, TorchEngine.LiveTensors);
        leaked.Dispose();
        Assert.Equal(start, TorchEngine.LiveTensors);
    }

    [Fact]
    public void The_allocator_tuning_is_on_unless_opted_out()
    {
        Allocator.Apply();
        if (Environment.GetEnvironmentVariable("ATTNXAI_MALLOC") == "default") Assert.StartsWith("off", Allocator.State);
        else Assert.StartsWith("on", Allocator.State);
    }

    [Theory]
    [InlineData("gpu", "unknown device 'gpu'")]
    [InlineData("cuda:x", "bad device index in 'cuda:x'")]
    [InlineData("cuda:-1", "bad device index")]
    [InlineData("cpu:0", "the CPU takes no index")]
    [InlineData("cuda:0:1", "unknown device")]
    public void Malformed_device_names_are_refused_by_name(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Parse(spec));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Cpu_parses_and_cuda_is_refused_clearly_where_absent()
    {
        Assert.Equal(DeviceType.CPU, Devices.Parse(null).type);
        Assert.Equal(DeviceType.CPU, Devices.Parse(" CPU ").type);
        TorchEngine.Initialize();
        if (cuda.is_available()) return;
        foreach (var spec in new[] { "cuda", "cuda:0", "cuda:3" })
        {
            var e = Assert.Throws<ArgumentException>(() => Devices.Parse(spec));
            Assert.Contains($"device '{spec}': CUDA is not available here", e.Message);
        }
        Assert.StartsWith("CUDA is not available: ", new CudaFactAttribute().Skip);
    }

    [CudaFact]
    public void Tensors_go_to_cuda_and_back_with_their_values()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.5, -2, 3e10 });
        var g = x.to(Devices.Parse("cuda"));
        Assert.True(g.device.IsCuda());
        Assert.Equal(x.ToArray<double>(), g.ToArray<double>());
    }

    [CudaFact]
    public void Matmul_on_cuda_equals_cpu()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var a = randn([64, 32], ScalarType.Float64);
        var b = randn([32, 16], ScalarType.Float64);
        var cpu = a.matmul(b).ToArray<double>();
        var gpu = a.cuda().matmul(b.cuda()).ToArray<double>();
        for (int i = 0; i < cpu.Length; i++) Assert.Equal(cpu[i], gpu[i], 1e-9);
    }

    [Fact]
    public void ToArray_converts_types_and_reads_strided_views()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal([1.0, 4.0, 2.0, 5.0, 3.0, 6.0], x.t().ToArray<double>());
        Assert.Equal([1L, 2, 3, 4, 5, 6], x.ToArray<long>());
        Assert.Equal([2f, 5f], x.select(1, 1).ToArray<float>());
        Assert.True(ones([2]).AllFinite());
        Assert.False(tensor(new[] { 1.0, double.PositiveInfinity }).AllFinite());
        Assert.True(tensor(new[] { 1L, 2L }).AllFinite());
    }

    [Fact]
    public void Embedding_lookup_picks_rows_and_passes_gradients_to_them()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new[] { 1.0, 2, 3, 4, 5, 6 }, [3, 2]).requires_grad_(true);
        var ids = tensor(new long[] { 2, 0, 2, 1 }, [2, 2]);
        var e = Functional.embedding(ids, w);
        Assert.Equal([2L, 2, 2], e.shape);
        Assert.Equal([5.0, 6, 1, 2, 5, 6, 3, 4], e.ToArray<double>());
        e.sum().backward();
        Assert.Equal([1.0, 1, 1, 1, 2, 2], w.grad!.ToArray<double>());   // row 2 was used twice
    }
}
