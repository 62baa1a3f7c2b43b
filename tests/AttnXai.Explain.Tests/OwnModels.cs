using AttnXai.Engine;
using AttnXai.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

/// <summary>
/// Models the tests write themselves against the model contract, to show that explainers work on models that are not
/// the paper's. Both read the small vocabulary of <see cref="SmallModels"/> (L = 12, UNK padding) in float64.
/// </summary>
internal static class OwnModels
{
    public static TextInputs Inputs(bool paddingMask = false) => new(12, SmallModels.V, ClsId: 0, UnkId: 1, PaddingMask: paddingMask);

    public static Parameter Weight(long[] shape, double scale) =>
        (Parameter)new Parameter(randn(shape, ScalarType.Float64).mul(scale), requires_grad: true).DetachFromDisposeScope();
}

/// <summary>Mean of the word embeddings of the attended positions, then a linear layer with a bias: no attention maps.</summary>
internal sealed class BagOfEmbeddings : nn.Module, ITextClassifier
{
    public BagOfEmbeddings(long seed, bool paddingMask = false, int dim = 6) : base("BagOfEmbeddings")
    {
        manual_seed(seed);
        Inputs = OwnModels.Inputs(paddingMask);
        W_e = OwnModels.Weight([SmallModels.V, dim], 1.0);
        W = OwnModels.Weight([2, dim], 0.8);
        b = OwnModels.Weight([2], 0.1);
        RegisterComponents();
    }

    public Parameter W_e { get; private set; }
    public Parameter W { get; private set; }
    public Parameter b { get; private set; }

    public nn.Module Module => this;
    public TextInputs Inputs { get; }
    public int Classes => 2;
    public ScalarType DType => W_e.dtype;
    public Device Device => W_e.device;
    public Tensor WordEmbed(Tensor ids) => Functional.embedding(ids, W_e);
    public Tensor? PositionEncoding => null;

    public Tensor Logits(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var w = mask is null ? ones(embedded.shape[0], embedded.shape[1], dtype: embedded.dtype) : mask.to(embedded.dtype);
        var pooled = embedded.mul(w.unsqueeze(2)).sum(1).div(w.sum(1, keepdim: true));
        return pooled.matmul(W.t()).add(b).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One self-attention head over word embeddings (no position encoding), read out at the [CLS] position:
/// A = softmax(Q K^T / sqrt(d)) with Q = e W_q^T, K = e W_k^T, V = e W_v^T; logits = (A V)_0 W_o^T + b. It reports its
/// full L x L attention, so the [CLS] row comes from the contract's default.
/// </summary>
internal sealed class TinyAttention : nn.Module, IAttentionModel
{
    public TinyAttention(long seed, bool paddingMask = false, int dim = 6) : base("TinyAttention")
    {
        manual_seed(seed);
        Inputs = OwnModels.Inputs(paddingMask);
        W_e = OwnModels.Weight([SmallModels.V, dim], 1.0);
        W_q = OwnModels.Weight([dim, dim], 0.7);
        W_k = OwnModels.Weight([dim, dim], 0.7);
        W_v = OwnModels.Weight([dim, dim], 0.7);
        W_o = OwnModels.Weight([2, dim], 0.8);
        b = OwnModels.Weight([2], 0.1);
        RegisterComponents();
    }

    public Parameter W_e { get; private set; }
    public Parameter W_q { get; private set; }
    public Parameter W_k { get; private set; }
    public Parameter W_v { get; private set; }
    public Parameter W_o { get; private set; }
    public Parameter b { get; private set; }

    public nn.Module Module => this;
    public TextInputs Inputs { get; }
    public int Classes => 2;
    public int Layers => 1;
    public int Heads => 1;
    public ScalarType DType => W_e.dtype;
    public Device Device => W_e.device;
    public Tensor WordEmbed(Tensor ids) => Functional.embedding(ids, W_e);
    public Tensor? PositionEncoding => null;

    public Tensor Logits(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        return LogitsAndAttention(embedded, mask).Logits.MoveToOuterDisposeScope();
    }

    public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var q = embedded.matmul(W_q.t());
        var k = embedded.matmul(W_k.t());
        var v = embedded.matmul(W_v.t());
        var z = q.matmul(k.transpose(1, 2)).div(Math.Sqrt(W_q.shape[0])).unsqueeze(1);   // [B, 1, L, L]: one head
        if (mask is not null) z = z.masked_fill(mask.logical_not().unsqueeze(1).unsqueeze(1), double.NegativeInfinity);
        var a = z.softmax(-1);                                            // the map returned is the one used below
        var out0 = a.squeeze(1).matmul(v).select(1, 0);                   // [B, d]
        var logits = out0.matmul(W_o.t()).add(b);
        return (logits.MoveToOuterDisposeScope(), [a.MoveToOuterDisposeScope()]);
    }
}
