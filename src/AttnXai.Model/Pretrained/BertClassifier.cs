using AttnXai.Data.Text;
using AttnXai.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// A BERT-family encoder classifier (BERT, DistilBERT; e.g. all-MiniLM-L6-v2, a 6-layer BERT), as Hugging Face's
/// <c>BertForSequenceClassification</c> / <c>DistilBertForSequenceClassification</c> compute it, in evaluation:
/// <code>
/// e_t     = W_word[x_t] + W_pos[t] + W_type[0]                  (DistilBERT: no token-type term)
/// x^(0)   = LN_emb(e)
/// layer l:  A^(i) = softmax_s(q^(i)_t . k^(i)_s / sqrt(d_h))    over the unmasked keys, q = W_q x + b_q, k = W_k x + b_k
///           h    = LN_1(x + W_o concat_i(sum_s A^(i)_ts v^(i)_s) + b_o),   v = W_v x + b_v
///           x'   = LN_2(h + W_2 GELU(W_1 h + b_1) + b_2)       (post-norm, eps from the checkpoint)
/// head:     BERT's pooler:        logits = W_c tanh(W_p z_0 + b_p) + b_c          (z = x^(N), z_0 at [CLS])
///           DistilBERT's:         logits = W_c ReLU(W_p z_0 + b_p) + b_c
///           a new head on a bare encoder (Head): W_c z_0 + b_c ([CLS]), or W_c mean_t(z_t) + b_c over the real positions
/// </code>
/// Documents are [CLS], WordPieces, [SEP], then [PAD] up to <see cref="TextInputs.Length"/>; padding keys get zero
/// attention in every layer (the padding mask is required), so no real position depends on padding, and a batch may be
/// cut to its longest document (<see cref="TextInputs.VariableLength"/>). The contract's split at the embedding:
/// <see cref="WordEmbed"/> is W_word[x], <see cref="PositionEncoding"/> is W_pos[0..L) + W_type[0], and
/// <see cref="Logits"/> starts at LN_emb. Every path from e meets LN_emb first, so the sum of the gradient's coordinates
/// at each position is zero by construction (<see cref="InputIsLayerNormalized"/>).
/// <para>
/// Parameters carry the checkpoint's names (<c>bert.embeddings.word_embeddings.weight</c>,
/// <c>bert.encoder.layer.0.attention.self.query.weight</c>, ..., <c>classifier.weight</c>; DistilBERT's
/// <c>distilbert.transformer.layer.0.attention.q_lin.weight</c>, ...), so that a state dictionary of Hugging Face's
/// loads as it is. Dropout (training only) follows Hugging Face: on the embeddings, the attention probabilities, each
/// sub-layer's output and before the classifier.
/// </para>
/// </summary>
public sealed class BertClassifier : nn.Module, IAttentionModel
{
    // The sub-modules, held outside fields of module type (see BertLayer): the checkpoint's names are registered below.
    private readonly Parts _m;

    private sealed record Parts(Table Word, Table Position, Table? Type, Norm EmbNorm, ModuleList<BertLayer> Layers, Affine? Pooler, Affine Classifier);

    private Table _word => _m.Word;
    private Table _position => _m.Position;
    private Table? _type => _m.Type;
    private Norm _embNorm => _m.EmbNorm;
    private ModuleList<BertLayer> _layers => _m.Layers;
    private Affine? _pooler => _m.Pooler;
    private Affine _classifier => _m.Classifier;

    /// <summary>A model of the given architecture. The encoder's weights are zeros (LayerNorm gains one), to be loaded
    /// from a checkpoint; a head the checkpoint lacks is drawn after <c>torch.manual_seed(seed)</c> (N(0, 0.02) weights,
    /// zero biases, as Hugging Face initialises one) when <paramref name="seed"/> is given.</summary>
    public BertClassifier(BertArchitecture architecture, long? seed = null, ScalarType dtype = ScalarType.Float32) : base("BertClassifier")
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"the model needs a floating-point type (Float32 or Float64), got {dtype}", nameof(dtype));
        TorchEngine.Initialize();
        Architecture = architecture;
        var c = architecture.Config;
        bool distil = c.IsDistil;
        long d = c.Hidden;
        var word = new Table(c.VocabSize, d, dtype);
        var position = new Table(c.MaxPositions, d, dtype);
        var type = distil ? null : new Table(Math.Max(1, c.TypeVocabSize), d, dtype);
        var embNorm = new Norm(d, dtype);
        var layers = nn.ModuleList(Enumerable.Range(0, c.Layers).Select(_ => new BertLayer(c, dtype)).ToArray());
        var pooler = architecture.Head is BertHead.Pooler ? new Affine(d, d, dtype) : null;
        var classifier = new Affine(d, architecture.Classes, dtype);
        _m = new Parts(word, position, type, embNorm, layers, pooler, classifier);
        var embeddings = distil
            ? new Part(("word_embeddings", _word), ("position_embeddings", _position), ("LayerNorm", _embNorm))
            : new Part(("word_embeddings", _word), ("position_embeddings", _position), ("token_type_embeddings", _type!), ("LayerNorm", _embNorm));
        var heads = new List<(string, nn.Module)>();
        if (pooler is not null && !distil) heads.Add(("pooler", new Part(("dense", pooler))));
        Part encoder = distil
            ? new Part(("embeddings", embeddings), ("transformer", new Part(("layer", _layers))))
            : new Part([("embeddings", embeddings), ("encoder", new Part(("layer", _layers))), .. heads]);
        register_module(distil ? "distilbert" : "bert", encoder);
        if (distil && _pooler is not null) register_module("pre_classifier", _pooler);
        register_module("classifier", _classifier);
        if (seed is { } s) InitialiseHead(s);
    }

    /// <summary>The sizes, the head and the length.</summary>
    public BertArchitecture Architecture { get; }

    /// <summary>The encoder's state-dictionary prefix: "bert." or "distilbert.".</summary>
    public string EncoderPrefix => Architecture.Config.IsDistil ? "distilbert." : "bert.";

    /// <summary>Draws the head (pooler / pre-classifier and classifier) after <c>torch.manual_seed(seed)</c>:
    /// weights N(0, 0.02), biases zero.</summary>
    public void InitialiseHead(long seed)
    {
        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var a in new[] { _pooler, _classifier })
        {
            if (a is null) continue;
            a.weight.copy_(torch.randn(a.weight.shape, ScalarType.Float64).mul(0.02).to(a.weight.dtype).to(a.weight.device));
            a.bias.zero_();
        }
    }

    /// <summary>Layer <paramref name="index"/> (from 0).</summary>
    public BertLayer LayerAt(int index) => _layers[index];

    /// <summary>LN_emb's gain (<c>weight</c>) and bias.</summary>
    public (Tensor weight, Tensor bias) EmbeddingNorm => (_embNorm.weight, _embNorm.bias);

    /// <summary>The embedding table W_word [V, d].</summary>
    public Tensor WordEmbeddings => _word.weight;

    /// <summary>Parameters of the encoder (embeddings and layers): what <c>--freeze encoder</c> freezes.</summary>
    public IEnumerable<Parameter> EncoderParameters(int layers = int.MaxValue)
    {
        foreach (var p in new[] { _word.weight, _position.weight }) yield return p;
        if (_type is not null) yield return _type.weight;
        yield return _embNorm.weight;
        yield return _embNorm.bias;
        foreach (var layer in _layers.Take(layers))
            foreach (var p in layer.parameters()) yield return p;
    }

    /// <summary>Every layer's key bias b_k. Their gradient is zero by construction: b_k adds q_t . b_k to every logit
    /// of query t's row, which the softmax over keys cancels, so training cannot move them (what autograd gives is
    /// rounding noise, whose summation order even depends on memory alignment).</summary>
    public IEnumerable<Parameter> KeyBiases() => _layers.Select(l => l.KeyBias);

    // ---- the model contract ----------------------------------------------------------------------------------

    public nn.Module Module => this;

    public TextInputs Inputs => _inputs ??= Architecture.Inputs;
    private TextInputs? _inputs;

    public int Classes => Architecture.Classes;

    public int Layers => Architecture.Config.Layers;

    public int Heads => Architecture.Config.Heads;

    public ScalarType DType => _classifier.weight.dtype;

    public Device Device => _classifier.weight.device;

    /// <summary>One document's attention scores in a layer, H x L x L values.</summary>
    public long LargestTemporaryBytes => (long)Heads * Inputs.Length * Inputs.Length * (DType == ScalarType.Float64 ? 8 : 4);

    /// <summary>True: LN_emb normalises e before anything else reads it.</summary>
    public bool InputIsLayerNormalized => true;

    /// <summary>True: LN_emb(l e_t) = LN_emb(e_t) for l &gt; 0 (up to its epsilon, 1e-12 for BERT), and nothing else reads
    /// e, so e_t . df/de_t = 0: gradient x input is zero by construction.</summary>
    public bool InputIsScaleInvariant => true;

    /// <summary>W_word[ids]: [B, L', d] for int64 ids [B, L'] with L' at most the model's length.</summary>
    public Tensor WordEmbed(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var s = ids.shape;
        if (ids.dtype != ScalarType.Int64) throw new ArgumentException($"ids must be int64, got {ids.dtype}", nameof(ids));
        if (s.Length != 2 || s[1] < 1 || s[1] > Inputs.Length)
            throw new ArgumentException($"ids must have shape [B, L'] with 1 <= L' <= {Inputs.Length}, got [{string.Join(", ", s)}]", nameof(ids));
        if (s[0] > 0)
        {
            using var scope = torch.NewDisposeScope();
            long lo = ids.min().ToInt64(), hi = ids.max().ToInt64();
            if (lo < 0 || hi >= Inputs.VocabSize)
                throw new ArgumentException($"ids must lie in [0, {Inputs.VocabSize}) (the vocabulary size), found {(lo < 0 ? lo : hi)}", nameof(ids));
        }
        return Functional.embedding(ids, _word.weight);
    }

    /// <summary>W_pos[0..L) + W_type[0]: [L, d] (a new tensor of the current dispose scope, in the graph of the
    /// parameters, so that fine-tuning reaches them).</summary>
    public Tensor? PositionEncoding
    {
        get
        {
            var pe = _position.weight.narrow(0, 0, Inputs.Length);
            return _type is null ? pe.alias() : pe.add(_type.weight[0]);
        }
    }

    public Tensor Logits(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        return Forward(embedded, mask, attention: false).Logits.MoveToOuterDisposeScope();
    }

    public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var (logits, maps) = Forward(embedded, mask, attention: true);
        return (logits.MoveToOuterDisposeScope(), [.. maps!.Select(a => a.MoveToOuterDisposeScope())]);
    }

    /// <summary>The last hidden state z = x^(N) [B, L', d] (every position), e.g. to compare with another engine or to
    /// cache a frozen encoder's output.</summary>
    public Tensor Encode(Tensor embedded, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var (x, padding) = Start(embedded, mask);
        for (int l = 0; l < Layers; l++)
        {
            using var layerScope = torch.NewDisposeScope();
            x = _layers[l].Forward(x, x, padding, Architecture.Config, training, maps: false)!.Value.Output.MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>x^(k) [B, L', d], the input of layer <paramref name="k"/> (0: LN_emb(e); <see cref="Layers"/>: the last
    /// hidden state), computed as in evaluation (no dropout) whatever the module's mode: a frozen part of a fine-tuned
    /// model is a fixed function, so that what it computes can be cached (<see cref="LogitsFrom"/> continues).</summary>
    public Tensor Prefix(Tensor embedded, Tensor? mask, int k)
    {
        if (k < 0 || k > Layers) throw new ArgumentOutOfRangeException(nameof(k), k, $"a layer index in [0, {Layers}]");
        using var scope = torch.NewDisposeScope();
        var (x, padding) = Start(embedded, mask, dropout: false);
        for (int l = 0; l < k; l++)
        {
            using var layerScope = torch.NewDisposeScope();
            x = _layers[l].Forward(x, x, padding, Architecture.Config, training: false, maps: false)!.Value.Output.MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The logits from x^(k) [B, L', d] (what <see cref="Prefix"/> gives): layers k..N-1 and the head, with
    /// dropout in training mode.</summary>
    public Tensor LogitsFrom(int k, Tensor x, Tensor? mask)
    {
        if (k < 0 || k > Layers) throw new ArgumentOutOfRangeException(nameof(k), k, $"a layer index in [0, {Layers}]");
        using var scope = torch.NewDisposeScope();
        var s = x.shape;
        var m = ModelInputs.CheckMask(mask, s[0], (int)s[1], required: false);
        var padding = m?.logical_not().view(s[0], 1, 1, s[1]);
        for (int l = k; l < Layers; l++)
        {
            using var layerScope = torch.NewDisposeScope();
            x = _layers[l].Forward(x, x, padding, Architecture.Config, training, maps: false)!.Value.Output.MoveToOuterDisposeScope();
        }
        return Head(x, mask).MoveToOuterDisposeScope();
    }

    /// <summary>The logits of a last hidden state z [B, L', d] (the head alone; <paramref name="mask"/> for the mean).</summary>
    public Tensor Head(Tensor z, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        return Classify(Pool(z, mask)).MoveToOuterDisposeScope();
    }

    /// <summary>What the head reads of z [B, L', d]: z_0 ([CLS]) for the pooler and [CLS] heads, the mean over the real
    /// positions (<paramref name="mask"/>, null: all) for the mean head: [B, d]. A frozen encoder's pooled vectors are
    /// what head training caches.</summary>
    public Tensor Pool(Tensor z, Tensor? mask)
    {
        if (Architecture.Head != BertHead.Mean) return z.select(1, 0);
        if (mask is null) return z.mean([1]);
        using var scope = torch.NewDisposeScope();
        var m = mask.unsqueeze(-1).to(z.dtype);
        return z.mul(m).sum(1).div(m.sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>The logits of pooled vectors [B, d]: the pooler (tanh; DistilBERT's pre-classifier, ReLU) when the head
    /// has one, dropout in training, then the classifier.</summary>
    public Tensor Classify(Tensor pooled)
    {
        using var scope = torch.NewDisposeScope();
        if (_pooler is not null)
        {
            var p = F.linear(pooled, _pooler.weight, _pooler.bias);
            pooled = Architecture.Config.IsDistil ? F.relu(p) : p.tanh();
        }
        pooled = Drop(pooled, Architecture.Config.ClassifierDropout);
        return F.linear(pooled, _classifier.weight, _classifier.bias).MoveToOuterDisposeScope();
    }

    /// <summary>The head's parameters (pooler or pre-classifier when the head has one, and the classifier).</summary>
    public IEnumerable<Parameter> HeadParameters()
    {
        if (_pooler is not null) { yield return _pooler.weight; yield return _pooler.bias; }
        yield return _classifier.weight;
        yield return _classifier.bias;
    }

    private (Tensor Logits, List<Tensor>? Maps) Forward(Tensor e, Tensor? mask, bool attention)
    {
        var (x, padding) = Start(e, mask);
        var maps = attention ? new List<Tensor>(Layers) : null;
        bool clsOnly = !attention && Architecture.Head != BertHead.Mean;
        for (int l = 0; l < Layers; l++)
        {
            using var layerScope = torch.NewDisposeScope();
            // The head reads the last layer at [CLS] only (unless it averages): that layer then computes no other row.
            var xq = clsOnly && l == Layers - 1 ? x.narrow(1, 0, 1) : x;
            var (y, a) = _layers[l].Forward(xq, x, padding, Architecture.Config, training, maps: maps is not null)!.Value;
            x = y.MoveToOuterDisposeScope();
            if (maps is not null) maps.Add(a!.MoveToOuterDisposeScope());
        }
        var logits = Head(x, mask);
        return (logits, maps);
    }

    /// <summary>x^(0) = Drop(LN_emb(e)) and the keys to leave out ([B, 1, 1, L'], true at padding), after the checks.</summary>
    private (Tensor X, Tensor? Padding) Start(Tensor e, Tensor? mask, bool dropout = true)
    {
        ArgumentNullException.ThrowIfNull(e);
        var s = e.shape;
        if (s.Length != 3 || s[1] < 1 || s[1] > Inputs.Length || s[2] != Architecture.Config.Hidden)
            throw new ArgumentException($"embeddings must have shape [B, L', {Architecture.Config.Hidden}] with L' <= {Inputs.Length}, got [{string.Join(", ", s)}]", nameof(e));
        if (e.dtype != DType) throw new ArgumentException($"embeddings must be {DType} like the weights, got {e.dtype}", nameof(e));
        var m = ModelInputs.CheckMask(mask, s[0], (int)s[1], required: false);
        var padding = m?.logical_not().view(s[0], 1, 1, s[1]);
        var x = F.layer_norm(e, [s[2]], _embNorm.weight, _embNorm.bias, Architecture.Config.LayerNormEps);
        return (dropout ? Drop(x, Architecture.Config.HiddenDropout) : x, padding);
    }

    private Tensor Drop(Tensor x, double p) => training && p > 0 ? F.dropout(x, p, training: true) : x;

    // ---- the modules that carry the checkpoint's names ---------------------------------------------------------

    /// <summary>A named group of sub-modules ("embeddings", "encoder", "attention", ...).</summary>
    internal sealed class Part : nn.Module
    {
        public Part(params (string Name, nn.Module Module)[] children) : base("Part")
        {
            foreach (var (name, module) in children) register_module(name, module);
        }
    }

    /// <summary>y = W x + b: <c>weight</c> [out, in], <c>bias</c> [out] (a Hugging Face Linear's names and layout).</summary>
    internal sealed class Affine : nn.Module
    {
        public Affine(long inputs, long outputs, ScalarType dtype) : base("Affine")
        {
            weight = Zeros([outputs, inputs], dtype);
            bias = Zeros([outputs], dtype);
            register_parameter(nameof(weight), weight);
            register_parameter(nameof(bias), bias);
        }

        public Parameter weight { get; private set; }
        public Parameter bias { get; private set; }
        public Tensor Apply(Tensor x) => F.linear(x, weight, bias);
    }

    /// <summary>A LayerNorm's gain <c>weight</c> (ones) and <c>bias</c> (zeros).</summary>
    internal sealed class Norm : nn.Module
    {
        public Norm(long dim, ScalarType dtype) : base("Norm")
        {
            using var scope = torch.NewDisposeScope();
            weight = (Parameter)new Parameter(torch.ones([dim], dtype), requires_grad: true).DetachFromDisposeScope();
            bias = Zeros([dim], dtype);
            register_parameter(nameof(weight), weight);
            register_parameter(nameof(bias), bias);
        }

        public Parameter weight { get; private set; }
        public Parameter bias { get; private set; }
        public Tensor Apply(Tensor x, double eps) => F.layer_norm(x, [x.size(-1)], weight, bias, eps);
    }

    /// <summary>An embedding table <c>weight</c> [rows, d].</summary>
    internal sealed class Table : nn.Module
    {
        public Table(long rows, long dim, ScalarType dtype) : base("Table")
        {
            weight = Zeros([rows, dim], dtype);
            register_parameter(nameof(weight), weight);
        }

        public Parameter weight { get; private set; }
    }

    internal static Parameter Zeros(long[] shape, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        return (Parameter)new Parameter(torch.zeros(shape, dtype), requires_grad: true).DetachFromDisposeScope();
    }
}

/// <summary>
/// One post-norm encoder layer of <see cref="BertClassifier"/> (its summary has the equations), with the checkpoint's
/// module names: BERT's <c>attention.self.{query,key,value}</c>, <c>attention.output.{dense,LayerNorm}</c>,
/// <c>intermediate.dense</c>, <c>output.{dense,LayerNorm}</c>; DistilBERT's <c>attention.{q_lin,k_lin,v_lin,out_lin}</c>,
/// <c>sa_layer_norm</c>, <c>ffn.{lin1,lin2}</c>, <c>output_layer_norm</c>.
/// </summary>
public sealed class BertLayer : nn.Module
{
    // The sub-modules, held outside fields of module type: TorchSharp registers such fields under their own names
    // when a container registers its children, and the checkpoint's names are the ones registered below.
    private readonly Parts _p;

    /// <summary>b_k, the key projection's bias (see <see cref="BertClassifier.KeyBiases"/>).</summary>
    public Parameter KeyBias => _p.K.bias;

    private sealed record Parts(BertClassifier.Affine Q, BertClassifier.Affine K, BertClassifier.Affine V, BertClassifier.Affine O,
        BertClassifier.Affine Up, BertClassifier.Affine Down, BertClassifier.Norm Norm1, BertClassifier.Norm Norm2);

    internal BertLayer(BertSizes c, ScalarType dtype) : base("BertLayer")
    {
        long d = c.Hidden;
        _p = new(new(d, d, dtype), new(d, d, dtype), new(d, d, dtype), new(d, d, dtype), new(d, c.Intermediate, dtype), new(c.Intermediate, d, dtype),
            new(d, dtype), new(d, dtype));
        var (_q, _k, _v, _o, _up, _down, _norm1, _norm2) = _p;
        if (c.IsDistil)
        {
            register_module("attention", new BertClassifier.Part(("q_lin", _q), ("k_lin", _k), ("v_lin", _v), ("out_lin", _o)));
            register_module("sa_layer_norm", _norm1);
            register_module("ffn", new BertClassifier.Part(("lin1", _up), ("lin2", _down)));
            register_module("output_layer_norm", _norm2);
        }
        else
        {
            register_module("attention", new BertClassifier.Part(
                ("self", new BertClassifier.Part(("query", _q), ("key", _k), ("value", _v))),
                ("output", new BertClassifier.Part(("dense", _o), ("LayerNorm", _norm1)))));
            register_module("intermediate", new BertClassifier.Part(("dense", _up)));
            register_module("output", new BertClassifier.Part(("dense", _down), ("LayerNorm", _norm2)));
        }
    }

    /// <summary>
    /// x' at the query rows <paramref name="xq"/> [B, L_q, d] (all of <paramref name="x"/> or its [CLS] row) and the
    /// attention A [B, H, L_q, L] of the queries over every position of <paramref name="x"/> [B, L, d]. <paramref name="padding"/>:
    /// [B, 1, 1, L], true at keys left out, or null.
    /// </summary>
    public (Tensor Output, Tensor Attention) Forward(Tensor xq, Tensor x, Tensor? padding, BertSizes c, bool training)
    {
        var (y, a) = Forward(xq, x, padding, c, training, maps: true)!.Value;
        return (y, a!);
    }

    /// <summary>As the other overload; without <paramref name="maps"/> (and out of training) the attention runs as one
    /// fused libtorch kernel (scaled_dot_product_attention, the same softmax(q k^T / sqrt(d_h)) v) and no map is made:
    /// the output's Attention is then null.</summary>
    public (Tensor Output, Tensor? Attention)? Forward(Tensor xq, Tensor x, Tensor? padding, BertSizes c, bool training, bool maps)
    {
        long b = x.size(0), h = c.Heads, d = c.Hidden, dh = d / h;
        var (_q, _k, _v, _o, _up, _down, _norm1, _norm2) = _p;
        Tensor Split(Tensor y) => y.view(b, -1, h, dh).transpose(1, 2);                          // [B, H, n, d_h]
        Tensor o;
        Tensor? a = null;
        if (!maps && !training)
        {
            var qf = Split(_q.Apply(xq));
            var kf = Split(_k.Apply(x));
            var vf = Split(_v.Apply(x));
            o = F.scaled_dot_product_attention(qf, kf, vf, padding?.logical_not(), 0.0, false).transpose(1, 2).reshape(b, -1, d);
        }
        else
        {
            var q = Split(_q.Apply(xq)).div(Math.Sqrt(dh));
            var k = Split(_k.Apply(x));
            var v = Split(_v.Apply(x));
            var z = q.matmul(k.transpose(2, 3));                                                  // [B, H, L_q, L]
            if (padding is not null) z = z.masked_fill(padding, double.NegativeInfinity);
            a = z.softmax(-1);
            var ad = training && c.AttentionDropout > 0 ? F.dropout(a, c.AttentionDropout, training: true) : a;
            o = ad.matmul(v).transpose(1, 2).reshape(b, -1, d);                                   // concat_i o^(i)
        }
        var hdn = _norm1.Apply(xq.add(Drop(_o.Apply(o), c.HiddenDropout, training)), c.LayerNormEps);
        var f = _down.Apply(Activation(_up.Apply(hdn), c.Activation));
        var y = _norm2.Apply(hdn.add(Drop(f, c.HiddenDropout, training)), c.LayerNormEps);
        return (y, a);
    }

    private static Tensor Drop(Tensor x, double p, bool training) => training && p > 0 ? F.dropout(x, p, training: true) : x;

    /// <summary>The feed-forward activation: "gelu" (exact, erf), "gelu_new" / "gelu_pytorch_tanh" (tanh form), "relu".</summary>
    internal static Tensor Activation(Tensor u, string name) => name switch
    {
        "gelu" => F.gelu(u),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" =>
            u.mul(0.5).mul(u.add(u.pow(3).mul(0.044715)).mul(Math.Sqrt(2.0 / Math.PI)).tanh().add(1.0)),
        "relu" => F.relu(u),
        _ => throw new ArgumentException($"unsupported activation '{name}' ({string.Join(", ", BertConfig.SupportedActivations)})"),
    };
}
