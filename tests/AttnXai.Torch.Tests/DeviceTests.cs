using AttnXai.Torch;

namespace AttnXai.Torch.Tests;

public class DeviceTests
{
    [Fact]
    public void Tensors_live_on_the_cpu()
    {
        using var x = torch.zeros([2]);
        Assert.Equal(Device.CPU, x.device);
        Assert.Equal("cpu", x.device.ToString());
        Assert.False(x.device.IsCuda);
        Assert.Equal("Tensor[2], Float32, cpu", x.ToString());
        using var y = x.to(new Device("cpu"));
        Assert.Equal(Device.CPU, y.device);
    }

    [Fact]
    public void Cuda_reports_its_availability_and_this_machine_has_none()
    {
        // This machine has Debian's CPU-only libtorch; where a GPU build runs, the facts must at least agree.
        bool available = torch.cuda.is_available();
        Assert.Equal(available, torch.cuda.device_count() > 0);
        var attr = new CudaFactAttribute();
        if (available) Assert.Null(attr.Skip);
        else Assert.StartsWith("CUDA is not available: ", attr.Skip);
        if (!torch.BuildConfig.Contains("CUDA", StringComparison.Ordinal)) Assert.False(available);
    }

    [Fact]
    public void Asking_for_cuda_without_it_is_a_clear_torch_exception()
    {
        if (torch.cuda.is_available()) return; // only meaningful without CUDA
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([2]);
        long before = torch.LiveTensorCount;
        var cases = new Action[]
        {
            () => torch.zeros([2], device: Device.CUDA()),
            () => torch.randn([2], device: "cuda"),
            () => torch.tensor(new[] { 1.0 }, device: Device.CUDA(0)),
            () => x.cuda(),
            () => x.to(new Device("cuda:1")),
            () => x.to(Device.CUDA(), ScalarType.Float64),
            () => new torch.nn.Linear(2, 2, device: Device.CUDA()),
            () => Device.CUDA().EnsureAvailable(),
        };
        foreach (var c in cases)
        {
            var e = Assert.Throws<TorchException>(c);
            Assert.Contains("torch.cuda.is_available() is false", e.Message);
            Assert.Contains("cuda", e.Message);
        }
        Assert.Equal(before, torch.LiveTensorCount);
        using var lin = new torch.nn.Linear(2, 2);
        Assert.Throws<TorchException>(() => lin.to(Device.CUDA()));
        Assert.Equal(Device.CPU, lin.weight.device); // left where it was
        Assert.False(lin.weight.IsDisposed);
        Device.CPU.EnsureAvailable();
    }

    // ---- run only where CUDA is available (reported as skipped, with the reason, elsewhere) -------------------

    [CudaFact]
    public void Tensor_to_cuda_and_back_keeps_values()
    {
        using var scope = torch.NewDisposeScope();
        var x = T.D([1.5, -2, 3e10]);
        var g = x.cuda();
        Assert.True(g.device.IsCuda);
        Assert.Equal(x.ToArray<double>(), g.ToArray<double>()); // ToArray copies from the device
        var back = g.cpu();
        Assert.Equal(Device.CPU, back.device);
        Assert.Equal(x.ToArray<double>(), back.ToArray<double>());
    }

    [CudaFact]
    public void Matmul_on_cuda_equals_cpu()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var a = torch.randn([17, 33], ScalarType.Float64);
        var b = torch.randn([33, 9], ScalarType.Float64);
        var cpu = a.matmul(b).ToArray<double>();
        var gpu = a.cuda().matmul(b.cuda()).ToArray<double>();
        for (int k = 0; k < cpu.Length; k++) T.Close(cpu[k], gpu[k], 1e-12);
    }

    [CudaFact]
    public void Module_to_cuda_and_back_keeps_values_and_trains()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = new torch.nn.Linear(3, 2, dtype: ScalarType.Float64);
        var w = lin.weight.ToArray<double>();
        var x = T.D([1, 2, 3], 1, 3);
        var y = lin.forward(x).ToArray<double>();
        lin.to(Device.CUDA());
        Assert.All(lin.parameters(), p => Assert.True(p.device.IsCuda && p.requires_grad));
        var yg = lin.forward(x.cuda()).ToArray<double>();
        for (int k = 0; k < y.Length; k++) T.Close(y[k], yg[k], 1e-12);
        lin.forward(x.cuda()).sum().backward();
        Assert.True(lin.weight.grad!.device.IsCuda);
        lin.to(Device.CPU);
        Assert.Equal(w, lin.weight.ToArray<double>());
        Assert.Equal(Device.CPU, lin.weight.device);
    }
}
