using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model.Tests;

/// <summary>The one batched pass: rows, masks, blanked words and batch boundaries, against the model's forward pass on
/// tensors built here.</summary>
public class BatchedPassTests
{
    private static double[] Direct(AttentionClassifier model, long[] ids, bool[]? mask, int n, Func<Tensor, Tensor>? editEmbedding = null)
    {
        int L = model.Config.Length;
        using var scope = NewDisposeScope();
        using var ng = no_grad();
        var e = model.Embed(tensor(ids, [n, L]));
        if (editEmbedding is not null) e = editEmbedding(e);
        return model.ForwardEmbedded(e, mask is null ? null : tensor(mask, [n, L])).Logits.ToArray<double>();
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 2)]
    [InlineData(true, 100)]
    public void Logits_equal_the_forward_pass_whatever_the_batch_size(bool paddingMask, int batchSize)
    {
        var cfg = ForwardTests.Tiny with { PaddingMask = paddingMask };
        using var model = new AttentionClassifier(cfg, 3, dtype: ScalarType.Float64);
        const int n = 7;
        var (ids, mask) = ForwardTests.Documents(cfg, n, 5);
        int L = cfg.Length;
        var lengths = Enumerable.Range(0, n).Select(i => mask.AsSpan(i * L, L).Count(true)).ToArray();
        var got = BatchedPass.Logits(model, n, batchSize, BatchedPass.FromIds(ids, lengths, L));
        var want = Direct(model, ids, paddingMask ? mask : null, n);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-12);
        var f = BatchedPass.Explained(model, n, batchSize, BatchedPass.FromIds(ids, lengths, L));
        for (int i = 0; i < n; i++) Assert.Equal(want[2 * i + 1], f[i], 1e-12);
    }

    [Fact]
    public void Hidden_and_blank_positions_and_the_mask_given_to_the_model()
    {
        var cfg = ForwardTests.Tiny;   // no padding mask: padding attends unless hidden
        using var model = new AttentionClassifier(cfg, 4, dtype: ScalarType.Float64);
        int L = cfg.Length;
        var (ids, _) = ForwardTests.Documents(cfg, 3, 8);
        var masks = new List<bool[]?>();
        var got = new double[3 * 2];
        BatchedPass.Run(model, 3, 2, (int i, ref BatchRow row) =>
        {
            ids.AsSpan(i * L, L).CopyTo(row.Ids);
            row.RealLength = 4;
            if (i == 1) row.Hidden[2] = true;     // left out of attention
            if (i == 2) row.Blank[3] = true;      // word embedding zeroed, position kept
        }, b =>
        {
            masks.Add(b.Mask?.ToArray<bool>());
            b.Logits().ToArray<double>().CopyTo(got, b.Start * 2);
        });
        // The first batch (rows 0 and 1) has a hidden position, so a mask: all true but row 1, position 2.
        Assert.Equal(2 * L, masks[0]!.Length);
        Assert.Equal(Enumerable.Range(0, 2 * L).Select(k => k != L + 2).ToArray(), masks[0]);
        // The second (row 2) hides nothing and the model has no padding mask: no mask at all.
        Assert.Null(masks[1]);

        var hidden = new bool[L];
        hidden.AsSpan().Fill(true);
        hidden[2] = false;
        var row1 = Direct(model, ids.AsSpan(L, L).ToArray(), hidden, 1);
        Assert.Equal(row1[0], got[2], 1e-12);
        Assert.Equal(row1[1], got[3], 1e-12);
        var row2 = Direct(model, ids.AsSpan(2 * L, L).ToArray(), null, 1, e =>
        {
            var keep = ones([1, L, 1], ScalarType.Float64);
            keep[0, 3, 0] = tensor(0.0, ScalarType.Float64);
            return Functional.embedding(tensor(ids.AsSpan(2 * L, L).ToArray(), [1, L]), model.EmbeddingWeight).mul(keep).add(model.PositionEncoding);
        });
        Assert.Equal(row2[1], got[5], 1e-12);
        Assert.NotEqual(Direct(model, ids.AsSpan(2 * L, L).ToArray(), null, 1)[1], got[5]);   // blanking changed the output
    }

    [Fact]
    public void Bad_rows_and_settings_are_refused()
    {
        using var model = new AttentionClassifier(ForwardTests.Tiny, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchedPass.Run(model, 1, 0, (int i, ref BatchRow r) => { }, _ => { }));
        var e = Assert.Throws<ArgumentException>(() => BatchedPass.Run(model, 2, 4, (int i, ref BatchRow r) => r.RealLength = 0, _ => { }));
        Assert.Equal("row 0: real length 0 is outside [1, 9]", e.Message);
        int batches = 0;
        BatchedPass.Run(model, 0, 4, (int i, ref BatchRow r) => { }, _ => batches++);
        Assert.Equal(0, batches);
    }

    [Fact]
    public void A_long_pass_leaves_no_live_tensor()
    {
        using var model = new AttentionClassifier(ForwardTests.Tiny, 2);
        int L = ForwardTests.Tiny.Length;
        var (ids, mask) = ForwardTests.Documents(ForwardTests.Tiny, 50, 3);
        long before = TorchEngine.LiveTensors;
        for (int k = 0; k < 20; k++) BatchedPass.Logits(model, 50, 7, BatchedPass.FromIds(ids, null, L));
        Assert.Equal(before, TorchEngine.LiveTensors);
    }
    /// <summary>A Transformer's batches are capped so that one batch's attention scores (H x L x L values per
    /// document) stay within 128 MiB: 85 documents at H 6, L 256 in float32; the paper's [CLS]-only model is not
    /// capped; the logits are the same as at a batch the cap does not touch.</summary>
    [Fact]
    public void Batches_of_a_Transformer_are_capped_by_its_attention_maps_size()
    {
        var cfg = new TransformerConfig(VocabSize: 20, ModelDim: 8, Heads: 6, HeadDim: 4, Layers: 2, FeedForwardDim: 16, Dropout: 0, Length: 256);
        using var transformer = new TransformerClassifier(cfg, 5);
        Assert.Equal(6L * 256 * 256 * 4, transformer.LargestTemporaryBytes);
        Assert.Equal(85, BatchedPass.Capped(transformer, 512));   // floor(128 MiB / 1.5 MiB)
        Assert.Equal(16, BatchedPass.Capped(transformer, 16));
        using var paper = new AttentionClassifier(ForwardTests.Tiny, 3);
        Assert.Equal(0, ((ITextClassifier)paper).LargestTemporaryBytes);
        Assert.Equal(512, BatchedPass.Capped(paper, 512));

        const int n = 200;
        var rng = new Random(2);
        var ids = new long[n * 256];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % 256 == 0 ? 0 : rng.Next(2, 20);
        var lengths = Enumerable.Repeat(256, n).ToArray();
        var sizes = new List<int>();
        var capped = new double[n * 2];
        BatchedPass.Run(transformer, n, 512, BatchedPass.FromIds(ids, lengths, 256), b =>
        {
            sizes.Add(b.Count);
            b.Logits().ToArray<float>().Select(v => (double)v).ToArray().CopyTo(capped, b.Start * 2);
        });
        Assert.Equal([85, 85, 30], sizes);
        var small = BatchedPass.Logits(transformer, n, 10, BatchedPass.FromIds(ids, lengths, 256));
        for (int i = 0; i < small.Length; i++) Assert.Equal(small[i], capped[i], 1e-5);
    }
}
