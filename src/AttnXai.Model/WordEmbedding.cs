using AttnXai.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// The word embedding W_e [D, d] as a module with one parameter, <c>weight</c> (PyTorch's nn.Embedding without its
/// options): drawn N(0, 1) from the global generator, as nn.Embedding initialises, or all zeros for weights about to be
/// loaded, in which case nothing is drawn (TorchSharp's Embedding_from_pretrained draws a table first).
/// </summary>
public sealed class WordEmbedding : nn.Module<Tensor, Tensor>
{
    /// <summary>[D, d]. Named as its state-dictionary entry: Module.to(...) replaces it by that name.</summary>
    public Parameter weight { get; private set; }

    public WordEmbedding(long count, long dim, ScalarType dtype, bool draw) : base("WordEmbedding")
    {
        using var scope = NewDisposeScope();
        using var init = draw ? torch.randn([count, dim], dtype) : torch.zeros([count, dim], dtype);
        weight = (Parameter)new Parameter(init.detach().clone(), requires_grad: true).DetachFromDisposeScope();
        register_parameter(nameof(weight), weight);
    }

    /// <summary>W_e[ids]: [...ids.shape, d].</summary>
    public override Tensor forward(Tensor ids) => Functional.embedding(ids, weight);
}
