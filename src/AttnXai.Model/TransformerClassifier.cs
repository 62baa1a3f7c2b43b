using AttnXai.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AttnXai.Model;

/// <summary>
/// What one forward pass of the Transformer gives. Every tensor belongs to the dispose scope that was innermost at
/// the call.
/// </summary>
/// <param name="Logits">[B, C]: the classifier's logits, read at the [CLS] position.</param>
/// <param name="Embedded">[B, L, d]: the input embeddings e_t = W_e[x_t] + PE(t) (before embedding dropout).</param>
/// <param name="Attention">When asked for: layer l's attention maps A^(l) [B, H, L, L] for l = 1..N, the very
/// softmax outputs the forward pass used (so autograd reaches them: d f / d A^(l) exists).</param>
public sealed record TransformerResult(Tensor Logits, Tensor Embedded, IReadOnlyList<Tensor>? Attention = null)
{
    /// <summary>[B]: the positive-class logit Logits[:, 1], the quantity f the explainers explain.</summary>
    public Tensor PositiveLogit => Logits.select(1, 1);
}

/// <summary>
/// A Transformer encoder classifier on the paper's embeddings (the appendix's deeper model; its architecture is not
/// published, so this is the textbook encoder):
/// <code>
/// x^(0)   = Drop(e),  e_t = W_e[x_t] + PE(t)                  (word embedding N(0, 1), fixed sinusoidal PE)
/// pre-norm  (default):  h = x + Drop(MHA(LN_1(x))),   x' = h + Drop(FF(LN_2(h))),   z = LN_f(x^(N))
/// post-norm (option):   h = LN_1(x + Drop(MHA(x))),   x' = LN_2(h + Drop(FF(h))),   z = x^(N)
/// logits  = W_c z_0 + b_c                                     (the [CLS] position, C logits)
/// </code>
/// with, per layer, multi-head self-attention (<see cref="TransformerLayer"/>)
/// <c>MHA(x)_t = W_o concat_i(sum_s A^(i)_ts v^(i)_s) + b_o</c>, <c>A^(i) = softmax_s(q^(i)_t . k^(i)_s / sqrt(d_h))</c>,
/// <c>q = W_q x, k = W_k x, v = W_v x</c>, the feed-forward block <c>FF(x)_t = W_2 GELU(W_1 x_t + b_1) + b_2</c> and
/// <c>LN(x) = gamma (x - mean) / sqrt(var + 1e-5) + beta</c> over the d coordinates of each position.
/// <para>
/// Choices. <b>Pre-norm</b> by default: Xiong et al. (2020) show that at initialisation the post-norm Transformer's
/// gradients near the output are large, so it needs a learning-rate warm-up to train, while the pre-norm one trains
/// at a constant rate; the project's trainer runs AdamW at a constant rate, without warm-up, on a few CPU epochs. The
/// original Transformer's post-norm is an option (<see cref="NormPlacement.Post"/>) for comparison. <b>GELU</b>
/// (exact, with erf) rather than the original ReLU: it is what BERT and ViT use, the models Chefer et al.'s
/// explainers were built on, and it is smooth, so the gradient explainers (d f / d e) and finite differences see no
/// kinks. <b>Dropout</b> (default 0.1, Vaswani et al.'s value: 20,000 training reviews are few for 13 M parameters) only on
/// the embeddings and on each sub-layer's output before its residual addition, never on the attention weights: the
/// maps A^(l) the explainers read are the ones that mixed the values, in training as in evaluation. W_q, W_k, W_v have
/// no bias, like the paper's model (a key bias cancels in the softmax, a value bias is absorbed by b_o).
/// </para>
/// <para>
/// Cost: the output reads the last layer at the [CLS] position only, so without the maps that layer computes the
/// [CLS] query against the keys and values of all positions and the feed-forward block at [CLS] alone (one row of its
/// L x L attention, like the paper model's <see cref="AttentionClassifier.Forward"/>); asked for the maps, it computes
/// all L rows. The logits are the same either way (up to rounding).
/// </para>
/// <para>
/// Without a padding mask, padding positions take part in every softmax, as in the paper's model; with one, padding
/// keys get zero attention in every layer, so no real position (and not the output) depends on the padding.
/// </para>
/// <para>
/// Parameters (state-dictionary names): <c>embedding.weight</c> [D, d] ~ N(0, 1); per layer l,
/// <c>layers.l.W_q</c>, <c>.W_k</c>, <c>.W_v</c> [H, d_h, d], <c>.W_o</c> [d, H d_h], <c>.W_1</c> [d_ff, d],
/// <c>.W_2</c> [d, d_ff] ~ Xavier-uniform (Glorot and Bengio, 2010, the heads of W_q, W_k, W_v taken together as one
/// [H d_h, d] matrix), biases <c>.b_o</c>, <c>.b_1</c>, <c>.b_2</c> zero, layer norms <c>.gamma_1</c>, <c>.beta_1</c>,
/// <c>.gamma_2</c>, <c>.beta_2</c> [d] (one and zero); pre-norm only, <c>gamma_f</c>, <c>beta_f</c> [d]; the head
/// <c>W_c</c> [C, d] (Xavier-uniform) and <c>b_c</c> [C] (zero); buffer <c>position_encoding</c> [L, d].
/// </para>
/// </summary>
public sealed class TransformerClassifier : nn.Module, IAttentionModel
{
    private readonly WordEmbedding embedding;
    private readonly ModuleList<TransformerLayer> layers;

    /// <summary>Creates the model with weights drawn after <c>torch.manual_seed(seed)</c>: same seed, same weights.
    /// Draw order: embedding, then per layer W_q, W_k, W_v, W_o, W_1, W_2, then W_c.</summary>
    public TransformerClassifier(TransformerConfig config, long seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : this(config, (long?)seed, device, dtype) { }

    /// <summary>A model with zero weights (layer-norm gains one), for weights about to be loaded: it neither reseeds
    /// nor draws from the global generator, so loading a model leaves a caller's random stream untouched.</summary>
    public static TransformerClassifier ForLoading(TransformerConfig config, ScalarType dtype = ScalarType.Float32) => new(config, null, null, dtype);

    private TransformerClassifier(TransformerConfig config, long? seed, Device? device, ScalarType dtype)
        : base("TransformerClassifier")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"the model needs a floating-point type (Float32 or Float64), got {dtype}", nameof(dtype));
        TorchEngine.Initialize();
        Config = config;
        if (seed is { } s) torch.manual_seed(s);
        bool draw = seed is not null;
        // Every weight is created on the CPU and then moved, so that a seed gives the same weights on every device.
        embedding = new WordEmbedding(config.VocabSize, config.ModelDim, dtype, draw);                          // N(0, 1)
        register_module("embedding", embedding);
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new TransformerLayer(config, dtype, draw)).ToArray());
        register_module("layers", layers);
        using (var scope = torch.NewDisposeScope())
        {
            if (config.Norm == NormPlacement.Pre)
            {
                gamma_f = TransformerLayer.Constant([config.ModelDim], dtype, 1.0);
                beta_f = TransformerLayer.Constant([config.ModelDim], dtype, 0.0);
                register_parameter(nameof(gamma_f), gamma_f);
                register_parameter(nameof(beta_f), beta_f);
            }
            W_c = TransformerLayer.Uniform([config.Classes, config.ModelDim], dtype, draw ? TransformerLayer.Xavier(config.ModelDim, config.Classes) : null);
            b_c = TransformerLayer.Constant([config.Classes], dtype, 0.0);
            register_parameter(nameof(W_c), W_c);
            register_parameter(nameof(b_c), b_c);
            position_encoding = AttentionClassifier.SinusoidalEncoding(config.Length, config.ModelDim, dtype).DetachFromDisposeScope();
            register_buffer(nameof(position_encoding), position_encoding);
        }
        if (device is not null && device.type != DeviceType.CPU) this.to(device);
    }

    public TransformerConfig Config { get; }

    /// <summary>One document's attention scores in a layer, H x L x L values.</summary>
    public long LargestTemporaryBytes => (long)Config.Heads * Config.Length * Config.Length * (DType == ScalarType.Float64 ? 8 : 4);

    /// <summary>The floating-point type of the weights.</summary>
    public ScalarType DType => W_c.dtype;

    /// <summary>The device of the weights.</summary>
    public Device Device => W_c.device;

    /// <summary>W_e [D, d] (the parameter <c>embedding.weight</c>).</summary>
    public Tensor EmbeddingWeight => embedding.weight;

    /// <summary>The N layers, first to last.</summary>
    public IReadOnlyList<TransformerLayer> Layers => [.. layers];

    // The public properties named as the registered tensors: TorchSharp's Module.to(...) replaces them by name.

    /// <summary>[d]: the final layer norm's gain (pre-norm only; null in post-norm).</summary>
    public Parameter? gamma_f { get; private set; }

    /// <summary>[d]: the final layer norm's bias (pre-norm only; null in post-norm).</summary>
    public Parameter? beta_f { get; private set; }

    /// <summary>[C, d]: the classification head.</summary>
    public Parameter W_c { get; private set; }

    /// <summary>[C].</summary>
    public Parameter b_c { get; private set; }

    /// <summary>PE [L, d] (the buffer <c>position_encoding</c>), <see cref="AttentionClassifier.SinusoidalEncoding"/>.</summary>
    public Tensor PositionEncoding => position_encoding;

#pragma warning disable IDE1006 // the field is named as its state-dictionary entry, which Module.to(...) relies on
    private Tensor position_encoding;
#pragma warning restore IDE1006

    // ---- forward --------------------------------------------------------------------------------------------

    /// <summary>e = W_e[ids] + PE: [B, L, d] for int64 ids [B, L] with values in [0, D).</summary>
    public Tensor Embed(Tensor ids)
    {
        ModelInputs.CheckIds(ids, Config.Length, Config.VocabSize);
        using var scope = torch.NewDisposeScope();
        var e = Functional.embedding(ids, EmbeddingWeight).add(position_encoding);
        return e.MoveToOuterDisposeScope();
    }

    /// <summary>The forward pass from token ids [B, L] (see the class summary); the attention maps of every layer
    /// when <paramref name="attention"/> is true. <paramref name="mask"/>: bool [B, L], true at real tokens.</summary>
    public TransformerResult Forward(Tensor ids, Tensor? mask = null, bool attention = false) => ForwardEmbedded(Embed(ids), mask, attention);

    /// <summary>
    /// The forward pass from embeddings e [B, L, d] (e.g. a leaf with requires_grad, to take d f / d e). The result's
    /// <see cref="TransformerResult.Embedded"/> is <paramref name="e"/> itself.
    /// </summary>
    public TransformerResult ForwardEmbedded(Tensor e, Tensor? mask = null, bool attention = false)
    {
        long b = ModelInputs.CheckEmbedded(e, Config.Length, Config.ModelDim, DType);
        var m = ModelInputs.CheckMask(mask, b, Config.Length, Config.PaddingMask);
        using var scope = torch.NewDisposeScope();
        var padding = m?.logical_not().view(b, 1, 1, Config.Length);            // [B, 1, 1, L]: true at masked keys
        var x = TransformerLayer.Dropout(e, Config.Dropout, training);             // x^(0)
        var maps = attention ? new List<Tensor>(Config.Layers) : null;
        for (int l = 0; l < Config.Layers; l++)
        {
            // Each layer's temporaries are released when it ends (autograd keeps what backward needs on its own): a
            // batch then holds one layer's attention scores at a time, not every layer's.
            using var layerScope = torch.NewDisposeScope();
            // The output reads the last layer at [CLS] only: without the maps, that layer computes no other position.
            (x, var a) = layers[l].Forward(x, padding, clsOnly: !attention && l == Config.Layers - 1);
            x = x.MoveToOuterDisposeScope();
            if (maps is not null) maps.Add(a.MoveToOuterDisposeScope());            // x^(l), A^(l)
        }
        var z = Config.Norm == NormPlacement.Pre ? TransformerLayer.LayerNorm(x, gamma_f!, beta_f!) : x;
        var logits = F.linear(z.select(1, 0), W_c, b_c);                           // [B, C] = W_c z_0 + b_c
        return new TransformerResult(logits.MoveToOuterDisposeScope(), e, maps?.Select(t => t.MoveToOuterDisposeScope()).ToList());
    }

    // ---- the model contract (ITextClassifier, IAttentionModel) -------------------------------------------------

    public nn.Module Module => this;

    public TextInputs Inputs => _inputs ??= new TextInputs(Config.Length, Config.VocabSize, Config.ClsId, Config.UnkId, Config.PaddingMask);
    private TextInputs? _inputs;

    public int Classes => Config.Classes;

    int IAttentionModel.Layers => Config.Layers;

    public int Heads => Config.Heads;

    /// <summary>Pre-norm: true. Each sub-layer reads the residual stream through a LayerNorm, and the sub-layers' outputs
    /// are added to the stream, so a constant c added to every coordinate of e_t stays c added to x_t in every layer
    /// (no sub-layer sees it) and the final LayerNorm removes it (the readout, at [CLS], then sees nothing of it): f is
    /// unchanged, and the coordinates of df/de_t sum to zero (in evaluation mode: training's dropout scales
    /// coordinates apart). Post-norm: false; the attention and feed-forward blocks read x + c directly (tested:
    /// the gradient's coordinates do not sum to zero there).</summary>
    public bool InputIsLayerNormalized => Config.Norm == NormPlacement.Pre;

    /// <summary>W_e[ids] [B, L, d] for int64 ids [B, L].</summary>
    public Tensor WordEmbed(Tensor ids)
    {
        ModelInputs.CheckIds(ids, Config.Length, Config.VocabSize);
        return Functional.embedding(ids, EmbeddingWeight);
    }

    /// <summary>The logits of <see cref="ForwardEmbedded"/> (the maps not computed).</summary>
    public Tensor Logits(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        return ForwardEmbedded(embedded, mask).Logits.MoveToOuterDisposeScope();
    }

    /// <summary>The logits and every layer's attention maps [B, H, L, L], in the graph.</summary>
    public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var r = ForwardEmbedded(embedded, mask, attention: true);
        return (r.Logits.MoveToOuterDisposeScope(), [.. r.Attention!.Select(a => a.MoveToOuterDisposeScope())]);
    }
}

/// <summary>
/// One encoder layer of <see cref="TransformerClassifier"/> (its summary has the equations): multi-head
/// self-attention with explicit per-head projections, the GELU feed-forward block, residual connections and two layer
/// norms, placed before (pre-norm) or after (post-norm) each sub-layer.
/// </summary>
public sealed class TransformerLayer : nn.Module
{
    private readonly TransformerConfig config;

    internal TransformerLayer(TransformerConfig config, ScalarType dtype, bool draw) : base("TransformerLayer")
    {
        this.config = config;
        long d = config.ModelDim, h = config.Heads, dh = config.HeadDim, ff = config.FeedForwardDim;
        using var scope = torch.NewDisposeScope();
        double? Bound(long fanIn, long fanOut) => draw ? Xavier(fanIn, fanOut) : null;
        W_q = Uniform([h, dh, d], dtype, Bound(d, h * dh));
        W_k = Uniform([h, dh, d], dtype, Bound(d, h * dh));
        W_v = Uniform([h, dh, d], dtype, Bound(d, h * dh));
        W_o = Uniform([d, h * dh], dtype, Bound(h * dh, d));
        b_o = Constant([d], dtype, 0.0);
        W_1 = Uniform([ff, d], dtype, Bound(d, ff));
        b_1 = Constant([ff], dtype, 0.0);
        W_2 = Uniform([d, ff], dtype, Bound(ff, d));
        b_2 = Constant([d], dtype, 0.0);
        gamma_1 = Constant([d], dtype, 1.0);
        beta_1 = Constant([d], dtype, 0.0);
        gamma_2 = Constant([d], dtype, 1.0);
        beta_2 = Constant([d], dtype, 0.0);
        foreach (var (name, p) in new[]
                 {
                     (nameof(W_q), W_q), (nameof(W_k), W_k), (nameof(W_v), W_v), (nameof(W_o), W_o), (nameof(b_o), b_o),
                     (nameof(W_1), W_1), (nameof(b_1), b_1), (nameof(W_2), W_2), (nameof(b_2), b_2),
                     (nameof(gamma_1), gamma_1), (nameof(beta_1), beta_1), (nameof(gamma_2), gamma_2), (nameof(beta_2), beta_2),
                 })
            register_parameter(name, p);
    }

    // The public properties named as the registered tensors: TorchSharp's Module.to(...) replaces them by name.

    /// <summary>[H, d_h, d]: the heads' query maps.</summary>
    public Parameter W_q { get; private set; }

    /// <summary>[H, d_h, d]: the heads' key maps.</summary>
    public Parameter W_k { get; private set; }

    /// <summary>[H, d_h, d]: the heads' value maps.</summary>
    public Parameter W_v { get; private set; }

    /// <summary>[d, H d_h]: the output map of the concatenated heads.</summary>
    public Parameter W_o { get; private set; }

    /// <summary>[d].</summary>
    public Parameter b_o { get; private set; }

    /// <summary>[d_ff, d].</summary>
    public Parameter W_1 { get; private set; }

    /// <summary>[d_ff].</summary>
    public Parameter b_1 { get; private set; }

    /// <summary>[d, d_ff].</summary>
    public Parameter W_2 { get; private set; }

    /// <summary>[d].</summary>
    public Parameter b_2 { get; private set; }

    /// <summary>[d]: gain of the layer norm at the attention sub-layer.</summary>
    public Parameter gamma_1 { get; private set; }

    /// <summary>[d]: bias of the layer norm at the attention sub-layer.</summary>
    public Parameter beta_1 { get; private set; }

    /// <summary>[d]: gain of the layer norm at the feed-forward sub-layer.</summary>
    public Parameter gamma_2 { get; private set; }

    /// <summary>[d]: bias of the layer norm at the feed-forward sub-layer.</summary>
    public Parameter beta_2 { get; private set; }

    /// <summary>x^(l) from x^(l-1) [B, L, d], and this layer's attention maps A [B, H, L, L]. With
    /// <paramref name="clsOnly"/> only the [CLS] position's output is computed, [B, 1, d], and the [CLS] row of the maps,
    /// [B, H, 1, L] (the keys and values of all positions take part as always). <paramref name="padding"/>: [B, 1, 1, L],
    /// true at keys left out of the softmax, or null.</summary>
    public (Tensor Output, Tensor Attention) Forward(Tensor x, Tensor? padding, bool clsOnly = false)
    {
        double p = config.Dropout;
        Tensor Rows(Tensor t) => clsOnly ? t.narrow(1, 0, 1) : t;                    // the positions computed
        if (config.Norm == NormPlacement.Pre)
        {
            var u = LayerNorm(x, gamma_1, beta_1);
            var (m, a) = SelfAttention(Rows(u), u, padding);
            var h = Rows(x).add(Dropout(m, p, training));                            // h = x + Drop(MHA(LN_1(x)))
            var y = h.add(Dropout(FeedForward(LayerNorm(h, gamma_2, beta_2)), p, training));
            return (y, a);                                                           // x' = h + Drop(FF(LN_2(h)))
        }
        else
        {
            var (m, a) = SelfAttention(Rows(x), x, padding);
            var h = LayerNorm(Rows(x).add(Dropout(m, p, training)), gamma_1, beta_1); // h = LN_1(x + Drop(MHA(x)))
            var y = LayerNorm(h.add(Dropout(FeedForward(h), p, training)), gamma_2, beta_2);
            return (y, a);                                                           // x' = LN_2(h + Drop(FF(h)))
        }
    }

    /// <summary>MHA(x) and the attention A: per head i, q_t = W_q^(i) x_t, k_s = W_k^(i) x_s, v_s = W_v^(i) x_s,
    /// A_ts = softmax_s(q_t . k_s / sqrt(d_h)) over the unmasked keys, o_t = sum_s A_ts v_s; then
    /// W_o concat_i(o^(i)_t) + b_o. Queries at the positions of <paramref name="xq"/> [B, L_q, d] (all of <paramref name="x"/>
    /// or its [CLS] row), keys and values at all positions of <paramref name="x"/> [B, L, d]: output [B, L_q, d], A
    /// [B, H, L_q, L].</summary>
    public (Tensor Output, Tensor Attention) SelfAttention(Tensor xq, Tensor x, Tensor? padding)
    {
        long b = x.size(0), h = config.Heads, dh = config.HeadDim, d = config.ModelDim;
        // All heads' projections of all positions as one [B n, d] x [d, H d_h] product, split into [B, H, n, d_h].
        Tensor Heads(Tensor w, Tensor y) => y.reshape(-1, d).matmul(w.reshape(h * dh, d).t()).view(b, -1, h, dh).transpose(1, 2);
        var q = Heads(W_q, xq).div(Math.Sqrt(dh));                                   // q_t / sqrt(d_h): fewer values than the scores
        var k = Heads(W_k, x);
        var v = Heads(W_v, x);
        var z = q.matmul(k.transpose(2, 3));                                         // [B, H, L_q, L]
        if (padding is not null) z = z.masked_fill(padding, double.NegativeInfinity);
        var a = z.softmax(-1);                                                       // A: rows sum to 1
        var o = a.matmul(v).transpose(1, 2).reshape(b, -1, h * dh);                  // [B, L_q, H d_h] = concat_i o^(i)
        return (F.linear(o, W_o, b_o), a);
    }

    /// <summary>FF(x)_t = W_2 GELU(W_1 x_t + b_1) + b_2, GELU(u) = u Phi(u) (the exact, erf form).</summary>
    public Tensor FeedForward(Tensor x) => F.linear(F.gelu(F.linear(x, W_1, b_1)), W_2, b_2);

    /// <summary>LN(x) = gamma (x - mean) / sqrt(var + 1e-5) + beta over the last dimension (biased variance).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor gamma, Tensor beta) => F.layer_norm(x, [x.size(-1)], gamma, beta, 1e-5);

    /// <summary>Drop(x): inverted dropout with probability p in training mode; x itself otherwise.</summary>
    internal static Tensor Dropout(Tensor x, double p, bool training) => training && p > 0 ? F.dropout(x, p, training: true) : x;

    /// <summary>Xavier-uniform bound sqrt(6 / (fan_in + fan_out)).</summary>
    internal static double Xavier(long fanIn, long fanOut) => Math.Sqrt(6.0 / (fanIn + fanOut));

    /// <summary>A trainable parameter created on the CPU: U(-bound, bound) when <paramref name="uniformBound"/> is given
    /// (drawn from the global generator), zeros when it is null (nothing drawn).</summary>
    internal static Parameter Uniform(long[] shape, ScalarType dtype, double? uniformBound)
    {
        using var scope = torch.NewDisposeScope();
        using var init = uniformBound is { } r ? torch.empty(shape, dtype).uniform_(-r, r) : torch.zeros(shape, dtype);
        return (Parameter)new Parameter(init.detach().clone(), requires_grad: true).DetachFromDisposeScope();
    }

    /// <summary>A trainable parameter filled with <paramref name="value"/> (nothing drawn).</summary>
    internal static Parameter Constant(long[] shape, ScalarType dtype, double value)
    {
        using var scope = torch.NewDisposeScope();
        using var init = torch.full(shape, value, dtype);
        return (Parameter)new Parameter(init.detach().clone(), requires_grad: true).DetachFromDisposeScope();
    }
}
