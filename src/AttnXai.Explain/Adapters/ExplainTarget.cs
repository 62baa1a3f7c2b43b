using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.FastPath;
using AttnXai.Explain.Theory;
using AttnXai.Model;

namespace AttnXai.Explain.Adapters;

/// <summary>
/// The model being explained (any <see cref="ITextClassifier"/>), with what explainers share across documents: its
/// vocabulary (to prepare texts), the batch size of forward passes, and, for the paper's model, the float64 weights
/// and the exact fast perturbation path (built on first use). The model's weights must not change while a target is
/// in use.
/// </summary>
public sealed class ExplainTarget
{
    private PaperWeights? _weights;
    private FastPathModel? _fast;

    public ExplainTarget(ITextClassifier model, Vocabulary? vocabulary = null, int batchSize = 512, bool preferFast = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Vocabulary = vocabulary;
        Scorer = new ClassifierScorer(model, batchSize);
        PreferFast = preferFast;
    }

    public ITextClassifier Model { get; }

    /// <summary>How documents are encoded for the model.</summary>
    public TextInputs Inputs => Model.Inputs;

    /// <summary>The paper's attention classifier when that is the model (its closed forms and fast path), else null.</summary>
    public AttentionClassifier? Paper => Model as AttentionClassifier;

    public Vocabulary? Vocabulary { get; }
    public int BatchSize => Scorer.BatchSize;
    /// <summary>Perturbation-based explainers use the exact fast path when the model has one and this is true, else the
    /// generic batched forward.</summary>
    public bool PreferFast { get; }
    public ClassifierScorer Scorer { get; }

    /// <summary>The paper model's weights in float64 (copied on first use).</summary>
    public PaperWeights Weights => _weights ??= PaperWeights.From(RequirePaper("the float64 weights of the paper's closed forms"));

    /// <summary>The paper model's fast-path position tables (built on first use).</summary>
    public FastPathModel FastPath => _fast ??= new FastPathModel(Weights);

    /// <summary>True when perturbed documents go through the exact fast path.</summary>
    public bool UsesFastPath => PreferFast && Paper is not null;

    /// <summary>The paper model, or an ArgumentException saying that <paramref name="what"/> needs it.</summary>
    public AttentionClassifier RequirePaper(string what) =>
        Paper ?? throw new ArgumentException($"{what} needs the paper's attention classifier; the model ({Model.Describe()}) offers {Model.Abilities()}");

    /// <summary>Throws ArgumentException when the model lacks what <paramref name="explainer"/> needs, saying what it
    /// needs and what the model offers.</summary>
    public void Require(IExplainer explainer)
    {
        var info = explainer.Info;
        if (!info.Supports(Model))
            throw new ArgumentException($"{explainer.Name} needs {info.RequirementText}; the model ({Model.Describe()}) offers {Model.Abilities()}");
    }

    /// <summary>Cleans, truncates and encodes a text with the target's vocabulary (see <see cref="ExplainDocument.Prepare"/>).</summary>
    public ExplainDocument Prepare(string text, string? label = null)
    {
        if (Vocabulary is null) throw new InvalidOperationException("this target has no vocabulary: build documents with ExplainDocument.FromTokens");
        return ExplainDocument.Prepare(text, Vocabulary, Inputs, label);
    }

    /// <summary>f of the document under word-removal masks: the fast path when <see cref="UsesFastPath"/>, else the
    /// generic batched forward.</summary>
    public IPerturbationModel Perturbation(ExplainDocument document, RemovalMode mode) =>
        UsesFastPath ? FastPath.For(document, mode) : new ScorerPerturbationModel(Scorer, document, mode);
}

/// <summary>Chooses how perturbed documents are evaluated.</summary>
public static class PerturbationModels
{
    /// <summary>
    /// f of one document under word-removal masks: the paper model's exact fast path when <paramref name="preferFast"/>,
    /// else the generic batched forward (copies the weights each call when fast; reuse an <see cref="ExplainTarget"/>
    /// for many documents).
    /// </summary>
    public static IPerturbationModel For(ITextClassifier model, ExplainDocument document, RemovalMode mode, bool preferFast = true, int batchSize = 512) =>
        new ExplainTarget(model, null, batchSize, preferFast).Perturbation(document, mode);

    /// <summary>Through a target: its fast path (the paper model's) when <paramref name="preferFast"/>, else its generic
    /// batched forward, whatever the target's own preference.</summary>
    public static IPerturbationModel For(ExplainTarget target, ExplainDocument document, RemovalMode mode, bool preferFast)
    {
        ArgumentNullException.ThrowIfNull(target);
        return preferFast ? target.FastPath.For(document, mode) : new ScorerPerturbationModel(target.Scorer, document, mode);
    }

    /// <summary>Any scorer of encoded documents: the generic path.</summary>
    public static IPerturbationModel For(IDocumentScorer scorer, ExplainDocument document, RemovalMode mode) =>
        new ScorerPerturbationModel(scorer, document, mode);
}
