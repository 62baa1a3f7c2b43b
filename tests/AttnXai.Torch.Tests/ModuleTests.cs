using AttnXai.Torch;
using static AttnXai.Torch.torch.nn;

namespace AttnXai.Torch.Tests;

public class ModuleTests
{
    /// <summary>Two levels of nesting, a buffer and a parameter of its own.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        public readonly Linear fc1, fc2;
        public Block(long d) : base("Block")
        {
            fc1 = register_module("fc1", new Linear(d, 2 * d, dtype: ScalarType.Float64));
            fc2 = register_module("fc2", new Linear(2 * d, d, hasBias: false, dtype: ScalarType.Float64));
        }
        public override Tensor forward(Tensor x) => fc2.forward(fc1.forward(x).relu());
    }

    private sealed class Net : Module<Tensor, Tensor>
    {
        public readonly Embedding emb;
        public readonly Block block;
        public Tensor gain;
        public Tensor positions;
        public Net() : base("Net")
        {
            emb = register_module("emb", new Embedding(10, 3, dtype: ScalarType.Float64));
            gain = register_parameter("gain", torch.ones([3], ScalarType.Float64));
            block = register_module("block", new Block(3));
            positions = register_buffer("positions", torch.arange(4));
        }
        public override Tensor forward(Tensor ids) => block.forward(emb.forward(ids) * gain).sum(-1);
        protected override void OnTensorReplaced(string name, Tensor tensor)
        {
            if (name == "gain") gain = tensor; else if (name == "positions") positions = tensor;
        }
    }

    [Fact]
    public void Named_parameters_use_dotted_names_in_registration_order()
    {
        using var net = new Net();
        Assert.Equal(new[] { "gain", "emb.weight", "block.fc1.weight", "block.fc1.bias", "block.fc2.weight" },
            net.named_parameters().Select(p => p.name));
        Assert.Equal(new[] { "gain" }, net.named_parameters(recurse: false).Select(p => p.name));
        Assert.Equal(new[] { "positions" }, net.named_buffers().Select(b => b.name));
        Assert.Equal(new[] { "emb", "block" }, net.named_children().Select(c => c.name));
        Assert.All(net.parameters(), p => Assert.True(p.requires_grad));
        Assert.Same(net.block.fc1.weight, net.named_parameters().Single(p => p.name == "block.fc1.weight").parameter);
        T.Shape(net.block.fc1.weight, 6, 3); // [out, in]
        T.Shape(net.block.fc1.bias!, 6);
        T.Shape(net.emb.weight, 10, 3);
        Assert.Equal(new[] { "block.fc1.bias", "block.fc1.weight", "block.fc2.weight", "emb.weight", "gain", "positions" }, net.state_dict().Keys.Order());
    }

    private sealed class BadNames : Module
    {
        public BadNames(string first, string second) : base("BadNames")
        {
            register_parameter(first, torch.ones([1]));
            register_buffer(second, torch.ones([1]));
        }
    }

    [Fact]
    public void Bad_or_duplicate_member_names_are_rejected()
    {
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => new BadNames("w", "w")).Message);
        Assert.Contains("bad member name", Assert.Throws<ArgumentException>(() => new BadNames("a.b", "c")).Message);
        Assert.Throws<ArgumentException>(() => new BadNames("", "c"));
    }

    [Fact]
    public void State_dict_round_trip_reproduces_outputs()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var a = new Net();
        torch.manual_seed(2);
        using var b = new Net();
        var ids = torch.tensor(new long[] { 1, 9, 3, 3 }, [2, 2]);
        Assert.NotEqual(a.forward(ids).ToArray<double>(), b.forward(ids).ToArray<double>());
        b.load_state_dict(a.state_dict());
        Assert.Equal(a.forward(ids).ToArray<double>(), b.forward(ids).ToArray<double>());
        // copies, not shared storage
        using (torch.no_grad()) a.gain.mul_(3);
        Assert.NotEqual(a.forward(ids).ToArray<double>(), b.forward(ids).ToArray<double>());
        Assert.All(b.parameters(), p => Assert.True(p.requires_grad && p.is_leaf));
    }

    [Fact]
    public void State_dict_round_trip_through_safetensors()
    {
        using var scope = torch.NewDisposeScope();
        using var a = new Net();
        using var b = new Net();
        var path = Path.Combine(Path.GetTempPath(), $"attnxai-net-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, a.state_dict());
            b.load_state_dict(Safetensors.Load(path));
        }
        finally { File.Delete(path); }
        foreach (var (name, t) in a.state_dict())
            Assert.Equal(t.ToArray<double>(), b.state_dict()[name].ToArray<double>());
    }

    [Fact]
    public void Load_state_dict_names_missing_and_unexpected_keys_and_shape_or_dtype_mismatches()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net();
        var sd = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        sd.Remove("block.fc1.bias");
        sd["block.fc3.weight"] = torch.ones([1]);
        var e = Assert.Throws<ArgumentException>(() => net.load_state_dict(sd));
        Assert.Contains("missing [block.fc1.bias]", e.Message);
        Assert.Contains("unexpected [block.fc3.weight]", e.Message);
        // non-strict: loads what matches, ignores the rest
        var before = net.block.fc1.bias!.ToArray<double>();
        var part = new Dictionary<string, Tensor> { ["gain"] = torch.full([3], 2.0, ScalarType.Float64), ["extra"] = torch.ones([1]) };
        net.load_state_dict(part, strict: false);
        T.Close([2, 2, 2], net.gain, 0);
        Assert.Equal(before, net.block.fc1.bias!.ToArray<double>());

        var wrongShape = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        wrongShape["emb.weight"] = torch.zeros([10, 4], ScalarType.Float64);
        var se = Assert.Throws<ArgumentException>(() => net.load_state_dict(wrongShape));
        Assert.Contains("'emb.weight': shape [10, 4] given, [10, 3] expected", se.Message);

        var wrongType = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        wrongType["gain"] = torch.zeros([3]);
        var te = Assert.Throws<ArgumentException>(() => net.load_state_dict(wrongType));
        Assert.Contains("'gain': element type Float32 given, Float64 expected", te.Message);
    }

    [Fact]
    public void Train_and_eval_propagate_to_every_submodule()
    {
        using var net = new Net();
        IEnumerable<Module> All() => [net, net.emb, net.block, net.block.fc1, net.block.fc2];
        Assert.All(All(), m => Assert.True(m.training));
        Assert.Same(net, net.eval());
        Assert.All(All(), m => Assert.False(m.training));
        net.train();
        Assert.All(All(), m => Assert.True(m.training));
        net.block.eval();
        Assert.True(net.training);
        Assert.False(net.block.fc2.training);
    }

    [Fact]
    public void To_cpu_keeps_values_and_the_parameters_an_optimizer_holds()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net();
        var ids = torch.tensor(new long[] { 0, 5 });
        var expected = net.forward(ids).ToArray<double>();
        var values = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<double>());
        using var opt = new torch.optim.AdamW(net.parameters());
        net.to(Device.CPU);
        Assert.Equal(expected, net.forward(ids).ToArray<double>());
        foreach (var (name, t) in net.state_dict())
        {
            Assert.Equal(values[name], t.ToArray<double>());
            Assert.Equal(Device.CPU, t.device);
        }
        Assert.All(net.parameters(), p => Assert.True(p.requires_grad && p.is_leaf));
        // the optimizer still updates the module's parameters
        net.forward(ids).sum().backward();
        opt.step();
        Assert.NotEqual(values["gain"], net.gain.ToArray<double>());
    }

    [Fact]
    public void To_float32_converts_floating_tensors_only()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net();
        var gain = net.gain.ToArray<double>();
        var w = net.block.fc1.weight.ToArray<double>();
        net.to(ScalarType.Float32);
        Assert.All(net.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(net.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(ScalarType.Int64, net.positions.dtype);
        Assert.Equal(ScalarType.Float32, net.block.fc1.weight.dtype); // subclass fields follow the replacement
        Assert.Equal(gain.Select(v => (float)v), net.gain.ToArray<float>());
        Assert.Equal(w.Select(v => (float)v), net.block.fc1.weight.ToArray<float>());
        T.Shape(net.forward(torch.tensor(new long[] { 1 })), 1);
    }

    [Fact]
    public void Zero_grad_clears_every_parameter()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net();
        net.forward(torch.tensor(new long[] { 2 })).sum().backward();
        Assert.All(net.parameters(), p => Assert.NotNull(p.grad));
        net.zero_grad();
        Assert.All(net.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Linear_and_embedding_compute_what_their_weights_say()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = new Linear(2, 1, dtype: ScalarType.Float64);
        using var emb = new Embedding(3, 2, dtype: ScalarType.Float64);
        lin.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = T.D([2, -1], 1, 2), ["bias"] = T.D([0.5]) });
        emb.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = T.D([1, 2, 3, 4, 5, 6], 3, 2) });
        // rows 2 and 0: [5 6] -> 2*5 - 6 + 0.5 = 4.5; [1 2] -> 2 - 2 + 0.5 = 0.5
        T.Close([4.5, 0.5], lin.call(emb.call(torch.tensor(new long[] { 2, 0 }))), 0);
    }
}
