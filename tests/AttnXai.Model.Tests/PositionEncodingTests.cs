using System.Text.Json.Nodes;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>ModelConfig.PositionEncoding: off makes the model a set function of its non-[CLS] tokens; persisted in config.json.</summary>
public class PositionEncodingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "attnxai-pe-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    /// <summary>Largest |logit change| when positions 1..L-1 of every document (ids and mask together) are permuted.</summary>
    private static double PermutationEffect(bool positionEncoding, bool useMask)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = ForwardTests.Tiny with { PositionEncoding = positionEncoding, PaddingMask = useMask };
        using var model = new AttentionClassifier(cfg, seed: 5, dtype: ScalarType.Float64);
        using (torch.no_grad()) model.EmbeddingWeight.mul_(2.0); // far-from-uniform attention
        const int B = 6;
        int L = cfg.Length;
        var (ids, mask) = ForwardTests.Documents(cfg, B, 11);
        // A fixed permutation of 1..L-1 that moves every position ([CLS] stays at 0): a rotation by 3.
        var pIds = new long[ids.Length];
        var pMask = new bool[mask.Length];
        for (int i = 0; i < B; i++)
        {
            pIds[i * L] = ids[i * L];
            pMask[i * L] = mask[i * L];
            for (int t = 1; t < L; t++)
            {
                int src = 1 + (t - 1 + 3) % (L - 1);
                pIds[i * L + t] = ids[i * L + src];
                pMask[i * L + t] = mask[i * L + src];
            }
        }
        var a = model.Forward(torch.tensor(ids, [B, L]), useMask ? torch.tensor(mask, [B, L]) : null).Logits.ToArray<double>();
        var b = model.Forward(torch.tensor(pIds, [B, L]), useMask ? torch.tensor(pMask, [B, L]) : null).Logits.ToArray<double>();
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutPositionEncodingPermutingTokensLeavesLogitsUnchanged(bool useMask)
    {
        Assert.True(PermutationEffect(positionEncoding: false, useMask) < 1e-12);
        // The same documents change the paper's model (so the permutation is a real test).
        Assert.True(PermutationEffect(positionEncoding: true, useMask) > 1e-4);
    }

    [Fact]
    public void BufferIsZeroWithoutAndSinusoidalWith()
    {
        using var off = new AttentionClassifier(ForwardTests.Tiny with { PositionEncoding = false }, 1);
        using var on = new AttentionClassifier(ForwardTests.Tiny, 1);
        Assert.True(ForwardTests.Tiny.PositionEncoding); // the default is the paper's model
        Assert.All(off.PositionEncoding.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(AttentionClassifier.SinusoidalEncoding(ForwardTests.Tiny.Length, ForwardTests.Tiny.EmbedDim).ToArray<float>(),
            on.PositionEncoding.ToArray<float>());
        // Same seed: same trained weights either way (the flag only changes the buffer).
        Assert.Equal(on.W_q.ToArray<float>(), off.W_q.ToArray<float>());
    }

    [Fact]
    public void FlagIsSavedAndLoadedBackAndOldCheckpointsLoadAsTrue()
    {
        var dir = Path.Combine(_root, "off");
        var cfgOff = Synthetic.Config with { PositionEncoding = false };
        using (var model = new AttentionClassifier(cfgOff, 4))
            ModelCheckpoint.Save(dir, model, Synthetic.Vocabulary(), "basic_english", 4);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.False(json["model"]!["position_encoding"]!.GetValue<bool>());
        using (var loaded = ModelCheckpoint.Load(dir))
        {
            Assert.False(loaded.Paper.Config.PositionEncoding);
            Assert.Equal(cfgOff, loaded.Architecture);
            Assert.All(loaded.Paper.PositionEncoding.ToArray<float>(), v => Assert.Equal(0f, v));
        }

        // A checkpoint written before the field existed (the paper's model) loads with position encoding on.
        var old = Path.Combine(_root, "old");
        using (var model = new AttentionClassifier(Synthetic.Config, 4))
            ModelCheckpoint.Save(old, model, Synthetic.Vocabulary(), "basic_english", 4);
        var path = Path.Combine(old, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(o["model"]!.AsObject().Remove("position_encoding"));
        File.WriteAllText(path, o.ToJsonString());
        using (var loaded = ModelCheckpoint.Load(old)) Assert.True(loaded.Paper.Config.PositionEncoding);

        // A bad value names the field.
        o["model"]!["position_encoding"] = "no";
        File.WriteAllText(path, o.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(old));
        Assert.Contains("position_encoding", e.Message);
    }
}
