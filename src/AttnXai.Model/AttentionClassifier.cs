using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace AttnXai.Model;

/// <summary>
/// What one forward pass gives. Every tensor belongs to the dispose scope that was innermost at the call.
/// </summary>
/// <param name="Logits">[B, C]: the average of the heads' logits (the model's output).</param>
/// <param name="HeadLogits">[B, K, C]: each head's logits W_l v~.</param>
/// <param name="Attention">[B, K, L]: the [CLS] row of each head's attention, alpha_t.</param>
/// <param name="Query">[B, K, d_att]: each head's [CLS] query q_0 = W_q e_0.</param>
/// <param name="Embedded">[B, L, d_e]: the input embeddings e_t = W_e[x_t] + PE(t).</param>
/// <param name="FullAttention">[B, K, L, L]: every row of each head's attention (only from ForwardFullAttention).</param>
public sealed record ForwardResult(Tensor Logits, Tensor HeadLogits, Tensor Attention, Tensor Query, Tensor Embedded, Tensor? FullAttention = null)
{
    /// <summary>[B]: the positive-class logit Logits[:, 1], the quantity f the explainers explain.</summary>
    public Tensor PositiveLogit => Logits.select(1, 1);
}

/// <summary>
/// The paper's single-layer, multi-head attention classifier (docs/model-and-protocols.md section 1): e_t = W_e[x_t] + PE(t); per head
/// i, q_0 = W_q e_0, z_t = q_0 . (W_k e_t) / sqrt(d_att), alpha = softmax(z) over all L positions (padding included
/// unless a mask is passed), head logits W_l W_v sum_t alpha_t e_t; the output is the mean of the K heads' logits.
/// <para>
/// Parameters (state-dictionary names): <c>embedding.weight</c> [D, d_e] ~ N(0, 1); <c>W_q</c>, <c>W_k</c>
/// [K, d_att, d_e], <c>W_v</c> [K, d_out, d_e], <c>W_l</c> [K, C, d_out] ~ U(-r, r); buffer
/// <c>position_encoding</c> [L, d_e] (fixed sinusoidal encoding, not trained; zeros when
/// <see cref="ModelConfig.PositionEncoding"/> is false).
/// </para>
/// </summary>
public sealed class AttentionClassifier : nn.Module, IAttentionModel
{
    private readonly WordEmbedding embedding;

    /// <summary>Creates the model with weights drawn after <c>torch.manual_seed(seed)</c>: same seed, same weights.
    /// Draw order: embedding, W_q, W_k, W_v, W_l.</summary>
    public AttentionClassifier(ModelConfig config, long seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : this(config, (long?)seed, device, dtype) { }

    /// <summary>A model with all weights zero, for weights about to be loaded (checkpoints, copies): unlike the seeded
    /// constructor it neither reseeds nor draws from the global generator, so loading a model leaves a caller's random
    /// stream untouched.</summary>
    public static AttentionClassifier ForLoading(ModelConfig config, ScalarType dtype = ScalarType.Float32) => new(config, null, null, dtype);

    private AttentionClassifier(ModelConfig config, long? seed, Device? device, ScalarType dtype)
        : base("AttentionClassifier")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"the model needs a floating-point type (Float32 or Float64), got {dtype}", nameof(dtype));
        TorchEngine.Initialize();
        Config = config;
        if (seed is { } s) torch.manual_seed(s);
        bool draw = seed is not null;
        long k = config.Heads, d = config.EmbedDim, a = config.AttDim, o = config.OutDim, c = config.Classes;
        double r = config.InitRange;
        // Every weight is created on the CPU and then moved, so that a seed gives the same weights on every device.
        embedding = new WordEmbedding(config.VocabSize, config.EmbedDim, dtype, draw);                          // N(0, 1)
        register_module("embedding", embedding);
        using (var scope = torch.NewDisposeScope())
        {
            Parameter Weight(long[] shape)
            {
                using var init = draw ? torch.empty(shape, dtype).uniform_(-r, r) : torch.zeros(shape, dtype);
                return new Parameter(init.detach().clone(), requires_grad: true).DetachFromDisposeScope() as Parameter
                       ?? throw new InvalidOperationException("a parameter is a Parameter");
            }
            using (torch.no_grad())
            {
                W_q = Weight([k, a, d]);
                W_k = Weight([k, a, d]);
                W_v = Weight([k, o, d]);
                W_l = Weight([k, c, o]);
            }
            register_parameter(nameof(W_q), (Parameter)W_q);
            register_parameter(nameof(W_k), (Parameter)W_k);
            register_parameter(nameof(W_v), (Parameter)W_v);
            register_parameter(nameof(W_l), (Parameter)W_l);
            // Without position encoding the buffer is all zeros: every consumer (forward, fast path, theory) reads it.
            position_encoding = (config.PositionEncoding
                ? SinusoidalEncoding(config.Length, config.EmbedDim, dtype)
                : torch.zeros([config.Length, config.EmbedDim], dtype)).DetachFromDisposeScope();
            register_buffer(nameof(position_encoding), position_encoding);
        }
        if (device is not null && device.type != DeviceType.CPU) this.to(device);
    }

    public ModelConfig Config { get; }

    /// <summary>The floating-point type of the weights.</summary>
    public ScalarType DType => W_q.dtype;

    /// <summary>W_e [D, d_e] (the parameter <c>embedding.weight</c>).</summary>
    public Tensor EmbeddingWeight => embedding.weight;

    // The public properties named as the registered tensors: TorchSharp's Module.to(...) replaces them by name.

    /// <summary>[K, d_att, d_e].</summary>
    public Tensor W_q { get; private set; }

    /// <summary>[K, d_att, d_e].</summary>
    public Tensor W_k { get; private set; }

    /// <summary>[K, d_out, d_e].</summary>
    public Tensor W_v { get; private set; }

    /// <summary>[K, C, d_out].</summary>
    public Tensor W_l { get; private set; }

    /// <summary>PE [L, d_e] (the buffer <c>position_encoding</c>; zeros without position encoding).</summary>
    public Tensor PositionEncoding => position_encoding;

#pragma warning disable IDE1006 // the field is named as its state-dictionary entry, which Module.to(...) relies on
    private Tensor position_encoding;
#pragma warning restore IDE1006

    /// <summary>The device of the weights.</summary>
    public Device Device => W_q.device;

    /// <summary>PE(t)[2m] = sin(t / 10000^(2m/d)), PE(t)[2m+1] = cos(t / 10000^(2m/d)), computed in double.</summary>
    public static Tensor SinusoidalEncoding(int length, int dim, ScalarType dtype = ScalarType.Float32)
    {
        var pe = new double[(long)length * dim];
        for (int t = 0; t < length; t++)
            for (int j = 0; j < dim; j++)
            {
                int twoM = j - (j & 1);
                double angle = t / Math.Pow(10000.0, (double)twoM / dim);
                pe[(long)t * dim + j] = (j & 1) == 0 ? Math.Sin(angle) : Math.Cos(angle);
            }
        using var d = torch.tensor(pe, [length, dim]);
        return d.to(dtype);
    }

    // ---- forward --------------------------------------------------------------------------------------------

    /// <summary>e = W_e[ids] + PE: [B, L, d_e] for int64 ids [B, L] with values in [0, D).</summary>
    public Tensor Embed(Tensor ids)
    {
        CheckIds(ids);
        using var scope = torch.NewDisposeScope();
        var e = Functional.embedding(ids, EmbeddingWeight).add(position_encoding);
        return e.MoveToOuterDisposeScope();
    }

    /// <summary>The forward pass computing only the [CLS] row of attention (see the class summary).</summary>
    public ForwardResult Forward(Tensor ids, Tensor? mask = null) => ForwardEmbedded(Embed(ids), mask);

    /// <summary>
    /// The forward pass from embeddings e [B, L, d_e] (e.g. a leaf with requires_grad, to take gradients with
    /// respect to e). The result's <see cref="ForwardResult.Embedded"/> is <paramref name="e"/> itself.
    /// Scores z = e (W_k^T q_0) / sqrt(d_att) and head output W_l W_v (sum_t alpha_t e_t): keys and values of the
    /// other positions are never formed.
    /// </summary>
    public ForwardResult ForwardEmbedded(Tensor e, Tensor? mask = null)
    {
        long b = CheckEmbedded(e);
        var m = CheckMask(mask, b);
        using var scope = torch.NewDisposeScope();
        var e0 = e.select(1, 0);                                                  // [B, d]
        var q = torch.einsum("kad,bd->bka", W_q, e0);                             // [B, K, a]
        var r = torch.einsum("bka,kad->bkd", q, W_k);                             // [B, K, d] = W_k^T q_0
        var z = r.bmm(e.transpose(1, 2)).div(Math.Sqrt(Config.AttDim));          // [B, K, L]
        if (m is not null) z = z.masked_fill(m.logical_not().unsqueeze(1), double.NegativeInfinity);
        var alpha = z.softmax(-1);                                                // [B, K, L]
        var ebar = alpha.bmm(e);                                                  // [B, K, d] = sum_t alpha_t e_t
        var v = torch.einsum("bkd,kod->bko", ebar, W_v);                          // [B, K, o] = v~
        var heads = torch.einsum("bko,kco->bkc", v, W_l);                         // [B, K, C]
        var logits = heads.mean([1]);                                               // [B, C]
        return Keep(logits, heads, alpha, q, e);
    }

    /// <summary>
    /// The straightforward forward pass, as the authors' code computes it: Q, K, V for all L positions, the full
    /// L x L attention of each head, then row 0. Same results as <see cref="Forward"/> (up to rounding), far slower.
    /// </summary>
    public ForwardResult ForwardFullAttention(Tensor ids, Tensor? mask = null) => ForwardFullAttentionEmbedded(Embed(ids), mask);

    /// <summary><see cref="ForwardFullAttention"/> from embeddings e [B, L, d_e] (the result's Embedded is e itself).</summary>
    public ForwardResult ForwardFullAttentionEmbedded(Tensor e, Tensor? mask = null)
    {
        long b = CheckEmbedded(e);
        var m = CheckMask(mask, b);
        using var scope = torch.NewDisposeScope();
        long K = Config.Heads, L = Config.Length;
        // (B K) batched products of contiguous [L, *] matrices: libtorch 1.13's 4-d matmul on permuted views is
        // an order of magnitude slower.
        var q = AllPositions(e, W_q).contiguous().view(b * K, L, Config.AttDim);  // [B K, L, a]
        var k = AllPositions(e, W_k).contiguous().view(b * K, L, Config.AttDim);  // [B K, L, a]
        var v = AllPositions(e, W_v).contiguous().view(b * K, L, Config.OutDim);  // [B K, L, o]
        var z = q.bmm(k.transpose(1, 2)).div(Math.Sqrt(Config.AttDim)).view(b, K, L, L);
        if (m is not null) z = z.masked_fill(m.logical_not().unsqueeze(1).unsqueeze(1), double.NegativeInfinity);
        var a = z.softmax(-1);                                                    // [B, K, L, L]
        var outAll = a.view(b * K, L, L).bmm(v);                                  // [B K, L, o]
        var out0 = outAll.view(b, K, L, Config.OutDim).select(2, 0);              // [B, K, o]
        var heads = torch.einsum("bko,kco->bkc", out0, W_l);                      // [B, K, C]
        var logits = heads.mean([1]);
        var q0 = q.view(b, K, L, Config.AttDim).select(2, 0);
        return Keep(logits, heads, a.select(2, 0), q0, e) with { FullAttention = a.MoveToOuterDisposeScope() };
    }

    /// <summary>W e_t for every head and position, [B, K, L, rows], as one (B L) x d by d x (K rows) product.</summary>
    private Tensor AllPositions(Tensor e, Tensor w)
    {
        long b = e.size(0), l = e.size(1), d = e.size(2), k = w.size(0), rows = w.size(1);
        using var scope = torch.NewDisposeScope();
        var y = e.reshape(b * l, d).matmul(w.reshape(k * rows, d).t());          // [B L, K rows]
        return y.view(b, l, k, rows).permute(0, 2, 1, 3).MoveToOuterDisposeScope();
    }

    private static ForwardResult Keep(Tensor logits, Tensor heads, Tensor alpha, Tensor q, Tensor e) =>
        new(logits.MoveToOuterDisposeScope(), heads.MoveToOuterDisposeScope(), alpha.MoveToOuterDisposeScope(),
            q.MoveToOuterDisposeScope(), e);

    /// <summary>Keys k_t = W_k e_t of every head and position: [B, K, L, d_att].</summary>
    public Tensor Keys(Tensor e)
    {
        CheckEmbedded(e);
        return AllPositions(e, W_k);
    }

    /// <summary>Values v_t = W_v e_t of every head and position: [B, K, L, d_out].</summary>
    public Tensor Values(Tensor e)
    {
        CheckEmbedded(e);
        return AllPositions(e, W_v);
    }

    // ---- the model contract (ITextClassifier, IAttentionModel) -------------------------------------------------

    public nn.Module Module => this;

    public TextInputs Inputs => _inputs ??= new TextInputs(Config.Length, Config.VocabSize, Config.ClsId, Config.UnkId, Config.PaddingMask);
    private TextInputs? _inputs;

    public int Classes => Config.Classes;

    /// <summary>The positive class (1): f is the raw positive logit.</summary>
    public int ExplainedClass => 1;

    public int Layers => 1;

    public int Heads => Config.Heads;

    /// <summary>W_e[ids] [B, L, d_e] for int64 ids [B, L].</summary>
    public Tensor WordEmbed(Tensor ids)
    {
        CheckIds(ids);
        return Functional.embedding(ids, EmbeddingWeight);
    }

    /// <summary>The logits of <see cref="ForwardEmbedded"/>.</summary>
    public Tensor Logits(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        return ForwardEmbedded(embedded, mask).Logits.MoveToOuterDisposeScope();
    }

    /// <summary>The logits and the one layer's full L x L attention (<see cref="ForwardFullAttentionEmbedded"/>).</summary>
    public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var r = ForwardFullAttentionEmbedded(embedded, mask);
        return (r.Logits.MoveToOuterDisposeScope(), [r.FullAttention!.MoveToOuterDisposeScope()]);
    }

    /// <summary>The logits and the [CLS] row of attention, computed alone (<see cref="ForwardEmbedded"/>).</summary>
    public (Tensor Logits, Tensor ClsAttention) LogitsAndClsAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var r = ForwardEmbedded(embedded, mask);
        return (r.Logits.MoveToOuterDisposeScope(), r.Attention.MoveToOuterDisposeScope());
    }

    // ---- checks ---------------------------------------------------------------------------------------------

    private void CheckIds(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var s = ids.shape;
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"ids must be int64, got {ids.dtype}", nameof(ids));
        if (s.Length != 2 || s[1] != Config.Length)
            throw new ArgumentException($"ids must have shape [B, {Config.Length}], got [{string.Join(", ", s)}]", nameof(ids));
        if (s[0] == 0) return;
        using var scope = torch.NewDisposeScope();
        long lo = ids.min().ToInt64(), hi = ids.max().ToInt64();
        if (lo < 0 || hi >= Config.VocabSize)
            throw new ArgumentException($"ids must lie in [0, {Config.VocabSize}) (the vocabulary size), found {(lo < 0 ? lo : hi)}", nameof(ids));
    }

    private long CheckEmbedded(Tensor e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var s = e.shape;
        if (s.Length != 3 || s[1] != Config.Length || s[2] != Config.EmbedDim)
            throw new ArgumentException($"embeddings must have shape [B, {Config.Length}, {Config.EmbedDim}], got [{string.Join(", ", s)}]", nameof(e));
        if (e.dtype != DType)
            throw new ArgumentException($"embeddings must be {DType} like the weights, got {e.dtype}", nameof(e));
        return s[0];
    }

    /// <summary>The mask to apply: the given one (checked), or null. A model trained with a padding mask needs it.</summary>
    private Tensor? CheckMask(Tensor? mask, long batch)
    {
        if (mask is null)
        {
            if (Config.PaddingMask)
                throw new ArgumentException("this model uses a padding mask (PaddingMask = true): pass the mask (bool [B, L], true at real tokens)", nameof(mask));
            return null;
        }
        var s = mask.shape;
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"the mask must be bool (true at real tokens), got {mask.dtype}", nameof(mask));
        if (s.Length != 2 || s[0] != batch || s[1] != Config.Length)
            throw new ArgumentException($"the mask must have shape [{batch}, {Config.Length}], got [{string.Join(", ", s)}]", nameof(mask));
        return mask;
    }
}
