using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

/// <summary>AttGrad against its closed forms: on the paper's model (1/K) sum_i alpha_t^(i) W_l^(i) v_t^(i), and on the
/// tests' own one-head model alpha_t W_o[1] . v_t, both computed here in float64 from the weights.</summary>
public class AttentionGradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_the_paper_model_it_is_the_attention_weighted_value_logit(bool paddingMask)
    {
        using var model = SmallModels.Create(12, paddingMask);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var docs = new[] { target.Prepare("w2 w3 w4 w2 w5 w9"), target.Prepare("w6 w7 zzz") };
        var x = ExplainerRegistry.Create(["AttGrad"]).Single().Explain(target, docs);
        var w = PaperWeights.From(model);
        var c = model.Config;
        for (int b = 0; b < docs.Length; b++)
        {
            var pass = PaperForwardPass.Run(w, docs[b].Ids, docs[b].RealLength);
            for (int t = 0; t < docs[b].TokenCount; t++)
            {
                double expected = 0;
                for (int i = 0; i < c.Heads; i++)
                {
                    double lv = 0;   // W_l^(i)[positive] . v_t^(i), v_t = W_v^(i) e_t
                    for (int o = 0; o < c.OutDim; o++)
                    {
                        double v = 0;
                        for (int k = 0; k < c.EmbedDim; k++) v += w.Wv[(i * c.OutDim + o) * c.EmbedDim + k] * pass.E[(t + 1) * c.EmbedDim + k];
                        lv += w.Wl[(i * c.Classes + 1) * c.OutDim + o] * v;
                    }
                    expected += pass.Attention[i * c.Length + t + 1] * lv / c.Heads;
                }
                Assert.Equal(expected, x[b].TokenScores[t], 1e-12);
            }
        }
        Assert.True(ExplainerRegistry.IsSigned("AttGrad"));
    }

    [Fact]
    public void On_a_model_that_reports_full_maps_and_refused_without_attention()
    {
        using var scope = NewDisposeScope();
        var model = new TinyAttention(13);
        var target = new ExplainTarget(model, SmallModels.Vocabulary);
        var doc = target.Prepare("w2 w3 w4 w2 w5");
        var x = new AttentionGradientExplainer().Explain(target, [doc])[0];
        int L = doc.Length;
        using var ng = no_grad();
        var e = ((ITextClassifier)model).Embed(tensor(doc.Ids, [1, L]));
        var a = model.LogitsAndAttention(e, null).Attention[0].ToArray<double>();      // [1, 1, L, L]: row 0 first
        var v = e.matmul(model.W_v.t()).ToArray<double>();                            // [1, L, d]
        var wo = model.W_o.ToArray<double>();                                         // [2, d]
        int d = wo.Length / 2;
        for (int t = 0; t < doc.TokenCount; t++)
        {
            double lv = 0;
            for (int k = 0; k < d; k++) lv += wo[d + k] * v[(t + 1) * d + k];
            Assert.Equal(a[t + 1] * lv, x.TokenScores[t], 1e-12);
        }
        var bag = new ExplainTarget(new BagOfEmbeddings(14), SmallModels.Vocabulary);
        var refused = Assert.Throws<ArgumentException>(() => new AttentionGradientExplainer().Explain(bag, [bag.Prepare("w2")]));
        Assert.StartsWith("AttGrad needs attention maps", refused.Message);
    }

    /// <summary>A model that reports a copy of its map (not the tensor its logits came from), or a detached one.</summary>
    private sealed class CopiedMaps(TinyAttention inner, bool detach) : IAttentionModel
    {
        public TorchSharp.torch.nn.Module Module => inner;
        public void Dispose() => inner.Dispose();
        public TextInputs Inputs => inner.Inputs;
        public int Classes => 2;
        public int Layers => 1;
        public int Heads => 1;
        public ScalarType DType => inner.DType;
        public Device Device => inner.Device;
        public Tensor WordEmbed(Tensor ids) => inner.WordEmbed(ids);
        public Tensor? PositionEncoding => null;
        public Tensor Logits(Tensor embedded, Tensor? mask) => inner.Logits(embedded, mask);
        public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask)
        {
            var (l, maps) = inner.LogitsAndAttention(embedded, mask);
            return (l, [detach ? maps[0].detach() : maps[0].clone()]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_map_outside_the_graph_is_a_clear_error_not_a_crash(bool detach)
    {
        using var scope = NewDisposeScope();
        var target = new ExplainTarget(new CopiedMaps(new TinyAttention(15), detach), SmallModels.Vocabulary);
        var e = Assert.Throws<ArgumentException>(() => new AttentionGradientExplainer().Explain(target, [target.Prepare("w2 w3")]));
        Assert.StartsWith("AttGrad: the last attention map of TinyAttention is not part of the graph of its logits", e.Message);
    }
}
