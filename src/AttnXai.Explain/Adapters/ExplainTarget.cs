using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.FastPath;
using AttnXai.Explain.Theory;
using AttnXai.Model;

namespace AttnXai.Explain.Adapters;

/// <summary>
/// The model being explained, with what explainers share across documents: its vocabulary (to prepare texts), the
/// batch size of forward passes, and (built on first use) the float64 weights and the fast perturbation path.
/// The model's weights must not change while a target is in use.
/// </summary>
public sealed class ExplainTarget
{
    private PaperWeights? _weights;
    private FastPathModel? _fast;

    public ExplainTarget(AttentionClassifier model, Vocabulary? vocabulary = null, int batchSize = 512, bool preferFast = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Vocabulary = vocabulary;
        Scorer = new AttentionClassifierScorer(model, batchSize);
        PreferFast = preferFast;
    }

    public AttentionClassifier Model { get; }
    public ModelConfig Config => Model.Config;
    public Vocabulary? Vocabulary { get; }
    public int BatchSize => Scorer.BatchSize;
    /// <summary>Perturbation-based explainers use the exact fast path (true) or the generic batched forward (false).</summary>
    public bool PreferFast { get; }
    public AttentionClassifierScorer Scorer { get; }

    /// <summary>The weights in float64 (copied on first use).</summary>
    public PaperWeights Weights => _weights ??= PaperWeights.From(Model);

    /// <summary>The fast path's position tables (built on first use).</summary>
    public FastPathModel FastPath => _fast ??= new FastPathModel(Weights);

    /// <summary>Cleans, truncates and encodes a text with the target's vocabulary (see <see cref="ExplainDocument.Prepare"/>).</summary>
    public ExplainDocument Prepare(string text, string? label = null)
    {
        if (Vocabulary is null) throw new InvalidOperationException("this target has no vocabulary: build documents with ExplainDocument.FromTokens");
        return ExplainDocument.Prepare(text, Vocabulary, Config, label);
    }

    /// <summary>f of the document under word-removal masks, fast path or generic as <see cref="PreferFast"/> says.</summary>
    public IPerturbationModel Perturbation(ExplainDocument document, RemovalMode mode) =>
        PerturbationModels.For(this, document, mode, PreferFast);
}

/// <summary>Chooses how perturbed documents are evaluated.</summary>
public static class PerturbationModels
{
    /// <summary>The paper's model: the exact fast path when <paramref name="preferFast"/>, else the generic batched forward.</summary>
    public static IPerturbationModel For(ExplainTarget target, ExplainDocument document, RemovalMode mode, bool preferFast = true)
    {
        ArgumentNullException.ThrowIfNull(target);
        return preferFast
            ? target.FastPath.For(document, mode)
            : new ScorerPerturbationModel(target.Scorer, document, mode);
    }

    /// <summary>
    /// Convenience for one document (copies the weights each call when fast; reuse an <see cref="ExplainTarget"/>
    /// for many documents).
    /// </summary>
    public static IPerturbationModel For(AttentionClassifier model, ExplainDocument document, RemovalMode mode, bool preferFast = true, int batchSize = 512) =>
        For(new ExplainTarget(model, null, batchSize, preferFast), document, mode, preferFast);

    /// <summary>Any other classifier: the generic path.</summary>
    public static IPerturbationModel For(IDocumentScorer scorer, ExplainDocument document, RemovalMode mode) =>
        new ScorerPerturbationModel(scorer, document, mode);
}
