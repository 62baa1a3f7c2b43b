using System.Diagnostics;
using AttnXai.Common.IO;
using AttnXai.Common.Random;
using AttnXai.Data.Imdb;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Faithfulness;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Depth;

/// <summary>
/// A model of the study, loaded once: its checkpoint, the explain target, and a float64 CPU copy for the theorems and
/// the autograd gradients they are compared with (the paper's weights in float64 too, or the Transformer copy).
/// </summary>
public sealed class StudyModel : IDisposable
{
    private StudyModel(DepthModel spec, LoadedModel loaded, ITextClassifier model64, int? explainedClass)
    {
        Spec = spec;
        Loaded = loaded;
        Target = ExplainTarget.For(loaded);
        if (explainedClass is { } c) Target = Target.ForClass(c);
        Model64 = model64;
        Paper = loaded.Model is AttentionClassifier a ? PaperWeights.From(a) : null;
    }

    public DepthModel Spec { get; }
    public LoadedModel Loaded { get; }
    /// <summary>What the explainers explain: the model's own class, or the class asked for (a view of the model).</summary>
    public ExplainTarget Target { get; }
    /// <summary>The model as the measures see it: its explained class is <see cref="Target"/>'s.</summary>
    public ITextClassifier Explained => Target.Model;
    /// <summary>Whether the explained class is the model's own (the theorems are written for it).</summary>
    public bool OwnClass => Target.Model.ExplainedClass == Loaded.Model.ExplainedClass;
    /// <summary>The same weights in float64 on the CPU, in evaluation mode.</summary>
    public ITextClassifier Model64 { get; }
    /// <summary>The paper model's float64 weights (null for other models).</summary>
    public PaperWeights? Paper { get; }

    /// <summary>Loads the model of <paramref name="spec"/>; <paramref name="explainedClass"/> is the class explained
    /// (null: the model's own; <see cref="DepthStudy.TargetClass"/> resolves a --target).</summary>
    public static StudyModel Load(DepthModel spec, string directory, Device? device, int? explainedClass = null)
    {
        var loaded = ModelCheckpoint.Load(directory, device);
        try
        {
            // The float64 copy serves the theorems, which are about the paper's model and the Transformer: a pretrained
            // model keeps its own weights there (no copy of 90 MB for nothing).
            if (spec.Pretrained) return new StudyModel(spec, loaded, loaded.Model, explainedClass);
            var copy = loaded.Architecture.Create(null, null, ScalarType.Float64);
            using (var scope = NewDisposeScope())
            using (no_grad())
                copy.Module.load_state_dict(loaded.Model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().to(ScalarType.Float64)));
            copy.Module.eval();
            try { return new StudyModel(spec, loaded, copy, explainedClass); }
            catch { copy.Dispose(); throw; }
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (!ReferenceEquals(Model64, Loaded.Model)) Model64.Dispose();
        Loaded.Dispose();
    }
}

/// <summary>The rows one document contributes to each per-document table (cells already formatted), and the seconds
/// each method and measure took (kept apart: times are not results).</summary>
public sealed record DocumentRows(
    string[] Document, IReadOnlyList<string[]> Agreement, IReadOnlyList<string[]> Violations, IReadOnlyList<string[]> Erasure,
    string[]? Theory, IReadOnlyDictionary<string, double> Seconds);

/// <summary>
/// Everything the study measures on one document of one model: a function of (model, document index) alone, so that
/// documents can be computed in any grouping (resumable chunks here; shards on several machines later) with the same
/// bytes. The document's seeds (LIME, the random baseline's hash is the document's own) derive from its index in the
/// study's document list, never from its position in a chunk. Every explainer runs on this one document (batches of
/// one: no dependence on which documents share a batch).
/// </summary>
public static class DocumentMeasures
{
    public static readonly string[] DocumentHeader = ["model", "doc", "path", "label", "predicted", "p_predicted", "tokens", "words", "note"];
    public static readonly string[] AgreementHeader = ["model", "doc", "method_a", "method_b", "words", "k", "spearman", "topk"];
    public static readonly string[] ViolationHeader = ["model", "doc", "method", "signed", "removal", "top_word", "w_oriented", "dC", "outcome"];
    public static readonly string[] ErasureHeader = ["model", "doc", "method", "signed", "fraction", "k", "p_full", "p_without_top", "p_only_top", "comprehensiveness", "sufficiency"];
    public static readonly string[] TheoryHeader = ["model", "doc", "tokens", "words", "thm41_rel_l2_input", "thm41_rel_l2_layer", "thm51_rel_l2", "thm51_spearman"];

    /// <summary>The LIME variant Theorem 5.1 is compared with (it models in-place UNK removal).</summary>
    public const string TheoryLime = "lime-unk";

    /// <summary>The explainers of the settings, their seeds derived from the document index.</summary>
    public static IReadOnlyList<IExplainer> Explainers(DepthSettings s, int index) => ExplainerRegistry.Create(s.Methods, s.Explainers with
    {
        Aggregation = WordAggregation.Last,
        Removals = RemovalNames.All,
        Seed = SplitMix64.Derive(s.Seed, index),
    }, allIncludesBaselines: false);

    /// <summary>The rows of document <paramref name="index"/> (the review at that index of the study's list).</summary>
    public static DocumentRows Measure(StudyModel m, DepthSettings s, int index, ImdbReview review)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(review);
        string name = m.Spec.Name;
        var seconds = new Dictionary<string, double>();
        string[] Skipped(string note, int tokens = 0, int words = 0) =>
            [name, Cell(index), review.RelativePath, ClassName(review.Label), "", "", Cell(tokens), Cell(words), note];
        ExplainDocument doc;
        try { doc = m.Target.Prepare(review.Text, review.RelativePath); }
        catch (ArgumentException e) { return new DocumentRows(Skipped($"skipped: {e.Message}"), [], [], [], null, seconds); }
        if (doc.UnknownCount == doc.TokenCount)
            return new DocumentRows(Skipped("skipped: every word is unknown to the model's vocabulary", doc.TokenCount, doc.WordCount), [], [], [], null, seconds);
        var test = new TestDocument(doc, review.Label);

        // Every method's explanation of this document alone.
        var methods = new List<(string Method, double[] Words, double[] Tokens)>();
        foreach (var ex in Explainers(s, index))
        {
            if (!ex.Info.Supports(m.Loaded.Model)) continue;
            if (ex.Info.ZeroReason(m.Loaded.Model) is not null) continue;   // zero by construction: noise, not ranked (see DepthReport)
            var sw = Stopwatch.StartNew();
            var x = ex.Explain(m.Target, [doc])[0];
            seconds[ex.Name] = sw.Elapsed.TotalSeconds;
            methods.Add((ex.Name, x.WordScores, x.TokenScores));
        }

        var clock = Stopwatch.StartNew();
        var curves = Faithfulness.Erasure.FromScores(m.Explained, [test], [.. methods.Select(x => (x.Method, new[] { x.Tokens }))],
            new ErasureSettings(ErasureSettings.EraserFractions, s.ErasureRemoval));
        seconds["erasure"] = clock.Elapsed.TotalSeconds;
        var erasure = curves.SelectMany(c => c.Points.Select(p => new[]
        {
            name, Cell(index), c.Method, c.Signed ? "yes" : "no", Cell(p.Fraction), Cell(p.K), Csv.Num(c.PFull), Csv.Num(p.PWithout), Csv.Num(p.POnly),
            Csv.Num(p.Comprehensiveness), Csv.Num(p.Sufficiency),
        })).ToList();
        var first = curves[0];

        clock.Restart();
        var violations = ViolationTest.FromScores(new RemovalModel(m.Explained), [test], [.. methods.Select(x => (x.Method, new[] { x.Words }))], FeatureRemovals.All)
            .Instances.Select(v => new[]
            {
                name, Cell(index), v.Method, v.Signed ? "yes" : "no", FeatureRemovals.Name(v.Removal), v.TopWord, Csv.Num(v.OrientedScore), Csv.Num(v.Change),
                Violation.Name(v.Outcome),
            }).ToList();
        seconds["violations"] = clock.Elapsed.TotalSeconds;

        // Agreement of every pair, on the magnitudes of the word scores (signed and unsigned methods alike).
        int d = doc.WordCount;
        var agreement = new List<string[]>();
        for (int a = 0; a < methods.Count; a++)
            for (int b = a + 1; b < methods.Count; b++)
            {
                var (k, rho, topk) = Agree(methods[a].Words, methods[b].Words, s.TopFraction);
                agreement.Add([name, Cell(index), methods[a].Method, methods[b].Method, Cell(d), Cell(k), Csv.Num(rho), Csv.Num(topk)]);
            }

        clock.Restart();
        var theory = Theory(m, doc, index, methods.FirstOrDefault(x => x.Method == TheoryLime).Words);
        seconds["theory"] = clock.Elapsed.TotalSeconds;

        string[] docRow = [name, Cell(index), review.RelativePath, ClassName(review.Label), ClassName(first.Predicted), Csv.Num(first.PFull),
            Cell(doc.TokenCount), Cell(d), doc.Truncated ? "truncated" : ""];
        return new DocumentRows(docRow, agreement, violations, erasure, theory, seconds);
    }

    /// <summary>
    /// The theorems on the last layer (see <see cref="LastLayerView"/>): Theorem 4.1's closed form against autograd's
    /// gradient with respect to the input embeddings and with respect to the layer's e (relative L2 over the word rows
    /// 1..T), Theorem 5.1 against LIME with UNK in place (relative L2 and Spearman over the distinct words; NaN without
    /// lime-unk among the methods). Null for models that are neither the paper's nor the Transformer, and when another
    /// class than the model's own is explained (the closed forms are written for its own).
    /// </summary>
    internal static string[]? Theory(StudyModel m, ExplainDocument doc, int index, double[]? lime)
    {
        if (!m.OwnClass) return null;
        LastLayerView view;
        double[] reference;
        if (m.Paper is { } w)
        {
            view = LastLayerView.OfPaper(w, doc.Ids, doc.RealLength);
            var refIds = Enumerable.Repeat(w.UnkId, w.L).ToArray();
            refIds[0] = w.ClsId;
            reference = LastLayerView.PaperEmbeddings(w, refIds);
        }
        else if (m.Model64 is TransformerClassifier t)
        {
            view = LastLayerView.OfTransformer(t, doc.Ids, doc.RealLength);
            reference = LastLayerView.TransformerReference(t, doc.RealLength);
        }
        else return null;
        int T = doc.TokenCount, D = view.Dim;
        var theory = view.Gradient().AsSpan(D, T * D);
        var input = ModelPasses.Run(m.Model64, [doc], gradients: true, batchSize: 1)[0].Gradient!.AsSpan(D, T * D);
        var layer = view.LayerGradient is { } lg ? lg.AsSpan(D, T * D) : input;   // the paper's e is its input
        double relInput = Agreement.RelativeL2(theory, input), relLayer = Agreement.RelativeL2(theory, layer);
        double rel51 = double.NaN, rho51 = double.NaN;
        if (lime is not null)
        {
            var beta = view.LimeApproximation(reference, doc.WordOfToken, doc.WordCount);
            rel51 = Agreement.RelativeL2(lime, beta);
            rho51 = doc.WordCount < 2 ? double.NaN : Agreement.Spearman(lime, beta);
        }
        return [m.Spec.Name, Cell(index), Cell(T), Cell(doc.WordCount), Csv.Num(relInput), Csv.Num(relLayer), Csv.Num(rel51), Csv.Num(rho51)];
    }

    /// <summary>
    /// The agreement of two explanations of one document's d words, on their magnitudes |w|: k = max(1, ceil(q d)),
    /// Spearman's correlation of |a| and |b| (average ranks for ties; NaN for d &lt; 2 or a constant vector) and the
    /// top-k overlap |top_k(|a|) ∩ top_k(|b|)| / k (ties by lower index).
    /// </summary>
    public static (int K, double Spearman, double TopK) Agree(double[] a, double[] b, double topFraction)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int d = a.Length, k = Faithfulness.Erasure.TopCount(d, topFraction);
        var (ma, mb) = (Magnitudes(a), Magnitudes(b));
        return (k, d < 2 ? double.NaN : Agreement.Spearman(ma, mb), Agreement.TopKOverlap(ma, mb, k));
    }

    private static double[] Magnitudes(double[] v) => v.Select(Math.Abs).ToArray();

    internal static string Cell(object v) => Csv.Cell(v);

    internal static string ClassName(int c) => c == 1 ? "pos" : "neg";
}
