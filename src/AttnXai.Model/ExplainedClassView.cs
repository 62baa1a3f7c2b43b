using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// A model seen with another explained class: every pass is the inner model's, only
/// <see cref="ITextClassifier.ExplainedClass"/> differs (what <c>--target</c> asks for). Attention maps stay available
/// when the inner model has them (<see cref="For"/> picks the view). What belongs to a model's own class (the paper's
/// closed forms and fast path, which are written for its positive class) is not offered through a view.
/// </summary>
public class ExplainedClassView : ITextClassifier
{
    protected ExplainedClassView(ITextClassifier inner, int explainedClass)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (explainedClass < 0 || explainedClass >= inner.Classes)
            throw new ArgumentOutOfRangeException(nameof(explainedClass), explainedClass, $"the model has classes 0 to {inner.Classes - 1}");
        Inner = inner;
        ExplainedClass = explainedClass;
    }

    /// <summary>The model itself when <paramref name="explainedClass"/> is already its explained class, else a view.</summary>
    public static ITextClassifier For(ITextClassifier model, int explainedClass) =>
        model.ExplainedClass == explainedClass ? model
        : model is IAttentionModel a ? new AttentionView(a, explainedClass) : new ExplainedClassView(model, explainedClass);

    /// <summary>The viewed model.</summary>
    public ITextClassifier Inner { get; }

    public int ExplainedClass { get; }
    public nn.Module Module => Inner.Module;
    public TextInputs Inputs => Inner.Inputs;
    public int Classes => Inner.Classes;
    public ScalarType DType => Inner.DType;
    public long LargestTemporaryBytes => Inner.LargestTemporaryBytes;
    public bool InputIsLayerNormalized => Inner.InputIsLayerNormalized;
    public bool InputIsScaleInvariant => Inner.InputIsScaleInvariant;
    public Device Device => Inner.Device;
    public Tensor WordEmbed(Tensor ids) => Inner.WordEmbed(ids);
    public Tensor? PositionEncoding => Inner.PositionEncoding;
    public Tensor Embed(Tensor ids) => Inner.Embed(ids);
    public Tensor Logits(Tensor embedded, Tensor? mask) => Inner.Logits(embedded, mask);

    /// <summary>The view does not own the model: disposing it leaves the model alone.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    private sealed class AttentionView(IAttentionModel inner, int explainedClass) : ExplainedClassView(inner, explainedClass), IAttentionModel
    {
        public int Layers => inner.Layers;
        public int Heads => inner.Heads;
        public (Tensor Logits, IReadOnlyList<Tensor> Attention) LogitsAndAttention(Tensor embedded, Tensor? mask) => inner.LogitsAndAttention(embedded, mask);
        public (Tensor Logits, Tensor ClsAttention) LogitsAndClsAttention(Tensor embedded, Tensor? mask) => inner.LogitsAndClsAttention(embedded, mask);
    }
}
