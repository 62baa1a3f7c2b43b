using System.Diagnostics;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;

namespace AttnXai.Faithfulness;

/// <summary>A document of the test and its true class (1 positive, 0 negative; null when unknown).</summary>
public sealed record TestDocument(ExplainDocument Document, int? TrueLabel = null)
{
    public string Id => Document.Label ?? "?";
}

/// <summary>One instance: one method's top word of one document, removed one way.</summary>
/// <param name="Positions">The word's positions in the document as the model sees it ([CLS] at 0).</param>
/// <param name="Score">The method's raw score w of the word (it explains the positive-class logit).</param>
/// <param name="OrientedScore">w turned towards the predicted class (see <see cref="Violation.Orient"/>).</param>
/// <param name="PBefore">p(y^|x), y^ the predicted class of the full document.</param>
/// <param name="PAfter">p(y^|x without the word).</param>
/// <param name="Change">dC = PBefore - PAfter.</param>
public sealed record InstanceResult(
    string Document, int? TrueLabel, int Predicted, string Method, bool Signed, FeatureRemoval Removal,
    string TopWord, int[] Positions, double Score, double OrientedScore, double PBefore, double PAfter, double Change, Outcome Outcome);

/// <summary>Counts of one method under one removal ("mean": the removals pooled).</summary>
/// <param name="Ratio">Violations / N (undecided instances count in N but not as violations).</param>
/// <param name="WilsonLow">95 % Wilson interval of the ratio.</param>
public sealed record SummaryRow(string Method, bool Signed, string Removal, int N, int Violations, int Undecided, double Ratio, double WilsonLow, double WilsonHigh);

/// <summary>Every method's explanations of the test documents: per method one vector per document, of word scores (the
/// violation test's features) and of token scores (the erasure curves'), and the seconds each method took.</summary>
public sealed record MethodScores(
    IReadOnlyList<(string Method, double[][] Words)> Words,
    IReadOnlyList<(string Method, double[][] Tokens)> Tokens,
    IReadOnlyDictionary<string, double> Seconds);

public sealed record ViolationTestResult(
    IReadOnlyList<TestDocument> Documents,
    IReadOnlyList<string> Methods,
    IReadOnlyList<FeatureRemoval> Removals,
    IReadOnlyList<InstanceResult> Instances,
    IReadOnlyList<SummaryRow> Summary,
    IReadOnlyDictionary<string, double> Seconds);

/// <summary>
/// The faithfulness violation test of Liu et al. (ICML 2022) on the paper's classifier: for each document and method,
/// the distinct word with the largest |w| is removed (all its occurrences) in each chosen way; dC = p(y^|x) - p(y^|x
/// without it); a violation is w * dC &lt; 0 with w oriented towards y^.
/// </summary>
public static class ViolationTest
{
    public const string MeanRemoval = "mean";

    /// <summary>
    /// Runs the test chunk by chunk: every explainer on the chunk's documents (<see cref="Explain"/>, one call each: the
    /// explainers' batches), then the chunk's removals (<see cref="Score"/>, one batched pass). A document's results
    /// depend only on its chunk, so a shard that starts at a chunk boundary
    /// (<see cref="AttnXai.Common.Sharding.ShardSpec.Slice"/>) computes exactly what an unsharded run computes for it.
    /// The instances come in document order (then method, then removal). <paramref name="eachChunk"/>, if given,
    /// receives each chunk's documents and explanations after its removals (the study computes the chunk's erasure
    /// curves there, which then depend only on the chunk too).
    /// </summary>
    public static ViolationTestResult Run(ExplainTarget target, IReadOnlyList<TestDocument> documents, IReadOnlyList<IExplainer> explainers,
        IReadOnlyList<FeatureRemoval> removals, Action<string>? progress = null, int chunkSize = 100,
        Action<IReadOnlyList<TestDocument>, MethodScores>? eachChunk = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(explainers);
        CheckDocuments(documents);
        if (explainers.Count == 0) throw new ArgumentException("no explainer chosen", nameof(explainers));
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "the chunk size must be at least 1");
        var seconds = explainers.ToDictionary(e => e.Name, _ => 0.0);
        seconds["removals"] = 0;
        var instances = new List<InstanceResult>();
        int n = documents.Count;
        for (int start = 0; start < n; start += chunkSize)
        {
            var chunk = documents.Skip(start).Take(chunkSize).ToArray();
            string where = $"chunk {start / chunkSize + 1}/{(n + chunkSize - 1) / chunkSize}";
            var scores = Explain(target, chunk, explainers, progress is null ? null : msg => progress($"{where}: {msg}"), chunk.Length);
            foreach (var (method, s) in scores.Seconds) seconds[method] += s;
            var part = Score(target, chunk, scores, removals);
            seconds["removals"] += part.Seconds["removals"];
            instances.AddRange(part.Instances);
            progress?.Invoke($"removals: {start + chunk.Length}/{n} documents, {instances.Count} instances scored ({seconds["removals"]:F1} s)");
            eachChunk?.Invoke(chunk, scores);
        }
        var methods = explainers.Select(e => e.Name).ToArray();
        return new ViolationTestResult(documents, methods, removals, instances, Summarise(instances, methods, removals), seconds);
    }

    /// <summary>The removals of the test on explanations computed by <see cref="Explain"/> (their times are kept).</summary>
    public static ViolationTestResult Score(ExplainTarget target, IReadOnlyList<TestDocument> documents, MethodScores scores,
        IReadOnlyList<FeatureRemoval> removals, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(scores);
        var sw = Stopwatch.StartNew();
        var result = FromScores(new RemovalModel(target.Model), documents, scores.Words, removals);
        var seconds = new Dictionary<string, double>(scores.Seconds) { ["removals"] = sw.Elapsed.TotalSeconds };
        progress?.Invoke($"removals: {result.Instances.Count} instances scored ({sw.Elapsed.TotalSeconds:F1} s)");
        return result with { Seconds = seconds };
    }

    /// <summary>Every explainer's word and token scores of the documents, in calls of <paramref name="chunkSize"/>
    /// documents (an explainer's batches lie within a call), with each method's seconds.</summary>
    public static MethodScores Explain(ExplainTarget target, IReadOnlyList<TestDocument> documents, IReadOnlyList<IExplainer> explainers,
        Action<string>? progress = null, int chunkSize = 100)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(explainers);
        CheckDocuments(documents);
        if (explainers.Count == 0) throw new ArgumentException("no explainer chosen", nameof(explainers));
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "the chunk size must be at least 1");
        var docs = documents.Select(d => d.Document).ToArray();
        var seconds = new Dictionary<string, double>();
        var words = new List<(string Method, double[][] Words)>();
        var tokens = new List<(string Method, double[][] Tokens)>();
        foreach (var ex in explainers)
        {
            var sw = Stopwatch.StartNew();
            var w = new double[docs.Length][];
            var t = new double[docs.Length][];
            for (int start = 0; start < docs.Length; start += chunkSize)
            {
                var chunk = docs.Skip(start).Take(chunkSize).ToArray();
                var xs = ex.Explain(target, chunk);
                for (int i = 0; i < chunk.Length; i++) (w[start + i], t[start + i]) = (xs[i].WordScores, xs[i].TokenScores);
                progress?.Invoke($"{ex.Name}: {start + chunk.Length}/{docs.Length} documents ({sw.Elapsed.TotalSeconds:F1} s)");
            }
            seconds[ex.Name] = sw.Elapsed.TotalSeconds;
            words.Add((ex.Name, w));
            tokens.Add((ex.Name, t));
        }
        return new MethodScores(words, tokens, seconds);
    }

    /// <summary>
    /// The test from given word scores (per method, per document, one score per distinct word), the instances in
    /// document order (then method, then removal). Throws when a score is NaN or infinite, naming the method and the
    /// document.
    /// </summary>
    public static ViolationTestResult FromScores(RemovalModel model, IReadOnlyList<TestDocument> documents,
        IReadOnlyList<(string Method, double[][] Words)> scores, IReadOnlyList<FeatureRemoval> removals)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(removals);
        CheckDocuments(documents);
        if (removals.Count == 0) throw new ArgumentException("no removal chosen (use delete, zero, attention)", nameof(removals));
        if (removals.Distinct().Count() != removals.Count) throw new ArgumentException("a removal is listed twice", nameof(removals));
        int n = documents.Count;

        // The top word of each (method, document), checked.
        var top = new int[scores.Count][];
        for (int m = 0; m < scores.Count; m++)
        {
            var (method, words) = scores[m];
            if (words.Length != n) throw new ArgumentException($"{method}: {words.Length} score vectors for {n} documents", nameof(scores));
            top[m] = new int[n];
            for (int i = 0; i < n; i++)
            {
                var doc = documents[i].Document;
                if (words[i] is null || words[i].Length != doc.WordCount)
                    throw new ArgumentException($"{method} on document '{documents[i].Id}': {words[i]?.Length ?? 0} scores for {doc.WordCount} distinct words", nameof(scores));
                top[m][i] = Violation.TopFeature(words[i], $"{method} on document '{documents[i].Id}'");
            }
        }

        // Score each distinct (document, word, removal) once: methods often agree on the top word.
        var requests = new List<RemovalRequest>();
        var index = new Dictionary<(int Doc, int Word, FeatureRemoval R), int>();
        for (int i = 0; i < n; i++) requests.Add(RemovalRequest.Original(documents[i].Document));
        for (int m = 0; m < scores.Count; m++)
            for (int i = 0; i < n; i++)
                foreach (var r in removals)
                    if (index.TryAdd((i, top[m][i], r), requests.Count)) requests.Add(new RemovalRequest(documents[i].Document, top[m][i], r));
        var logits = model.Logits(requests);

        var instances = new List<InstanceResult>(scores.Count * n * removals.Count);
        for (int i = 0; i < n; i++)
        {
            var doc = documents[i].Document;
            var before = Violation.Softmax(logits[i].Negative, logits[i].Positive);
            int yHat = before.Predicted;
            double pBefore = yHat == 1 ? before.PPositive : before.PNegative;
            for (int m = 0; m < scores.Count; m++)
            {
                var (method, words) = scores[m];
                bool signed = Violation.IsSigned(method);
                int j = top[m][i];
                double w = words[i][j], wo = Violation.Orient(w, yHat, signed, model.Model.ExplainedClass);
                var positions = RemovalModel.Positions(doc, j);
                foreach (var r in removals)
                {
                    var l = logits[index[(i, j, r)]];
                    var after = Violation.Softmax(l.Negative, l.Positive);
                    double pAfter = yHat == 1 ? after.PPositive : after.PNegative;
                    double dC = Violation.Change(pBefore, pAfter);
                    instances.Add(new InstanceResult(documents[i].Id, documents[i].TrueLabel, yHat, method, signed, r, doc.Words[j], positions,
                        w, wo, pBefore, pAfter, dC, Violation.Classify(wo, dC)));
                }
            }
        }
        var methods = scores.Select(s => s.Method).ToArray();
        return new ViolationTestResult(documents, methods, removals, instances, Summarise(instances, methods, removals), new Dictionary<string, double>());
    }

    /// <summary>One row per method and removal, then a "mean" row per method pooling its removals (the pooled ratio is the
    /// mean of the removals' ratios, as each removal has the same N).</summary>
    public static IReadOnlyList<SummaryRow> Summarise(IReadOnlyList<InstanceResult> instances, IReadOnlyList<string> methods, IReadOnlyList<FeatureRemoval> removals)
    {
        var rows = new List<SummaryRow>();
        foreach (var method in methods)
        {
            var mine = instances.Where(x => x.Method == method).ToArray();
            bool signed = Violation.IsSigned(method);
            foreach (var r in removals) rows.Add(Row(method, signed, FeatureRemovals.Name(r), mine.Where(x => x.Removal == r).ToArray()));
            if (removals.Count > 1) rows.Add(Row(method, signed, MeanRemoval, mine));
        }
        return rows;
    }

    private static SummaryRow Row(string method, bool signed, string removal, IReadOnlyList<InstanceResult> xs)
    {
        int n = xs.Count, v = xs.Count(x => x.Outcome == Outcome.Violation), u = xs.Count(x => x.Outcome == Outcome.Undecided);
        var (lo, hi) = Wilson.Interval(v, n);
        return new SummaryRow(method, signed, removal, n, v, u, n == 0 ? double.NaN : (double)v / n, lo, hi);
    }

    private static void CheckDocuments(IReadOnlyList<TestDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0) throw new ArgumentException("there is no document to test", nameof(documents));
        foreach (var d in documents)
        {
            if (d?.Document is null) throw new ArgumentException("a test document is null", nameof(documents));
            if (d.Document.UnknownCount == d.Document.TokenCount)
                throw new ArgumentException($"document '{d.Id}': every word is unknown to the model's vocabulary, so removing one tests nothing", nameof(documents));
            if (d.TrueLabel is not (null or 0 or 1)) throw new ArgumentException($"document '{d.Id}': label {d.TrueLabel} is not 0 or 1", nameof(documents));
        }
    }
}
