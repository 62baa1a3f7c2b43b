using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.FastPath;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

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

    /// <summary>A model with its own tokenizer (a BERT-family model's WordPieces): texts become documents through it.
    /// <paramref name="replacement"/>: what a removed token becomes in place (null: [MASK] when the model has one,
    /// else UNK).</summary>
    public ExplainTarget(ITextClassifier model, ITextTokenizer tokenizer, int batchSize = 512, ReplacementToken? replacement = null)
        : this(model, (Vocabulary?)null, batchSize, preferFast: false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        TextTokenizer = tokenizer;
        var special = model.Inputs.Special;
        Replacement = replacement ?? (special.Mask is null ? ReplacementToken.Unk : ReplacementToken.Mask);
        if (Replacement == ReplacementToken.Mask && special.Mask is null)
            throw new ArgumentException($"the model ({model.Describe()}) has no [MASK] token: replace removed words by UNK");
    }

    /// <summary>The model's loaded text pipeline: its own tokenizer when it has one (a pretrained model), else its
    /// word vocabulary.</summary>
    public static ExplainTarget For(LoadedModel loaded, int batchSize = 512, bool preferFast = true, ReplacementToken? replacement = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        return loaded.TextTokenizer is { } tokenizer
            ? new ExplainTarget(loaded.Model, tokenizer, batchSize, replacement)
            : new ExplainTarget(loaded.Model, loaded.Vocabulary, batchSize, preferFast);
    }

    /// <summary>The same target explaining another class's logit (<see cref="ExplainedClassView"/>): this target itself
    /// for the model's own explained class. The paper's closed forms and fast path are written for its positive class,
    /// so another class goes through the generic batched forward.</summary>
    public ExplainTarget ForClass(int explainedClass)
    {
        if (explainedClass == Model.ExplainedClass) return this;
        var view = ExplainedClassView.For(Model, explainedClass);
        return TextTokenizer is { } tokenizer
            ? new ExplainTarget(view, tokenizer, BatchSize, Replacement)
            : new ExplainTarget(view, Vocabulary, BatchSize, preferFast: false);
    }

    /// <summary>The model's own tokenizer (null for word-vocabulary models, which use <see cref="Vocabulary"/>).</summary>
    public ITextTokenizer? TextTokenizer { get; }

    /// <summary>What a removed token becomes in place (RemovalMode.ReplaceWithUnk): UNK for word-vocabulary models.</summary>
    public ReplacementToken Replacement { get; } = ReplacementToken.Unk;

    /// <summary>The id of <see cref="Replacement"/>.</summary>
    public long ReplacementId => Replacement == ReplacementToken.Mask ? Inputs.Special.Mask!.Value : Inputs.Special.Unk;

    /// <summary>The word aggregation explainers use when none is set: the sum over a word's tokens for a subword
    /// tokenizer, the authors' last occurrence for word-vocabulary models.</summary>
    public WordAggregation DefaultAggregation => TextTokenizer is null ? WordAggregation.Last : WordAggregation.Sum;

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

    /// <summary>A text as a document: through the model's own tokenizer (<see cref="ExplainDocument.FromTokenized"/>),
    /// or cleaned, truncated and encoded with the target's vocabulary (<see cref="ExplainDocument.Prepare"/>).</summary>
    public ExplainDocument Prepare(string text, string? label = null)
    {
        if (TextTokenizer is { } tokenizer)
        {
            ArgumentNullException.ThrowIfNull(text);
            return ExplainDocument.FromTokenized(text, tokenizer.Tokenize(text, Inputs.MaxTokens), Inputs, label, ReplacementId);
        }
        if (Vocabulary is null) throw new InvalidOperationException("this target has no vocabulary: build documents with ExplainDocument.FromTokens");
        return ExplainDocument.Prepare(text, Vocabulary, Inputs, label);
    }

    /// <summary>f of the document under word-removal masks: the fast path when <see cref="UsesFastPath"/>, else the
    /// generic batched forward.</summary>
    public IPerturbationModel Perturbation(ExplainDocument document, RemovalMode mode) =>
        UsesFastPath ? FastPath.For(document, mode) : new ScorerPerturbationModel(Scorer, document, mode);
}

/// <summary>What a removed token becomes when words are replaced in place.</summary>
public enum ReplacementToken
{
    /// <summary>The model's [MASK] (BERT's default: what its pretraining hid words with).</summary>
    Mask,

    /// <summary>The model's UNK ([UNK] for BERT; the paper's Theorem 5.1 assumes it).</summary>
    Unk,
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
