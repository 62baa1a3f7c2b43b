using AttnXai.Common.Random;
using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;

namespace AttnXai.Shortcuts.Probe;

/// <summary>What one explainer sees of the inserted tokens over a set of documents (word scores ranked by |score|,
/// ties in document order).</summary>
/// <param name="Top1">Share of documents whose top-1 word is an inserted token.</param>
/// <param name="Top5">Share of documents with an inserted token among the 5 top words.</param>
/// <param name="AbsShare">Mean over documents of sum |score| on inserted tokens / sum |score| on all words (documents
/// whose scores are all zero are left out: <see cref="ZeroDocuments"/>).</param>
public sealed record ExplainerRow(string Model, string Method, int Documents, double Top1, double Top5, double AbsShare, int ZeroDocuments, double Seconds);

/// <summary>
/// Runs explainers on documents that carry the inserted tokens and measures how much of each explanation falls on
/// them. "random" is the catalogue's random baseline (N(0, 1) per word, seeded).
/// </summary>
public static class ExplainerProbe
{
    public const string Random = RandomExplainer.MethodName;
    /// <summary>Attention, gradients, occlusion and LIME in both removal modes (deletion moves later words, UNK
    /// replacement does not), and the random reference.</summary>
    public static readonly IReadOnlyList<string> DefaultMethods =
        ["alpha-avg", "alpha-max", "G-avg", "G-l2", "GxI", "occlusion-delete", "occlusion-unk", "lime-delete", "lime-unk", Random];

    /// <summary>Documents for the explainers: the model's tokens of each text (at most L - 1), with the inserted tokens
    /// placed exactly as <see cref="TokenInsertion.Insert"/> places them in the encoded data.</summary>
    public static IReadOnlyList<ExplainDocument> Documents(IReadOnlyList<string> texts, ITokenizer tokenizer, Vocabulary extended,
        InsertionSpec spec, ModelConfig config, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var names = spec.TokenNames;
        foreach (var t in names)
            if (!extended.Contains(t)) throw new ArgumentException($"the vocabulary has no entry for the inserted token '{t}'");
        var docs = new List<ExplainDocument>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            var words = tokenizer.Tokenize(texts[i], config.Length - 1);
            var tokens = TokenInsertion.InsertInto(words, names, spec, config.Length - 1, out _);
            docs.Add(ExplainDocument.FromTokens(texts[i], tokens, w => extended.GetId(w), config, labels?[i]));
        }
        return docs;
    }

    /// <summary>The method names as given, checked against the catalogue (the random baseline included), duplicates dropped.</summary>
    public static IReadOnlyList<string> CheckMethods(IEnumerable<string> methods, ExplainerSettings settings)
    {
        var list = methods.Select(m => m.Trim()).Where(m => m.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (list.Count == 0) throw new ArgumentException("--methods: no method given");
        try { return [.. ExplainerRegistry.Create(list, settings, allIncludesBaselines: true).Select(e => e.Name)]; }
        catch (ArgumentException e) { throw new ArgumentException($"--methods: {e.Message}", e); }
    }

    public static IReadOnlyList<ExplainerRow> Run(string model, ExplainTarget target, IReadOnlyList<ExplainDocument> documents, InsertionSpec spec,
        IReadOnlyList<string> methods, ExplainerSettings settings, ulong seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(documents);
        var inserted = spec.TokenNames.ToHashSet(StringComparer.Ordinal);
        var rows = new List<ExplainerRow>();
        foreach (var explainer in ExplainerRegistry.Create(methods, settings with { Seed = seed }, allIncludesBaselines: true))
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var scores = explainer.Explain(target, documents).Select(e => e.WordScores).ToList();
            rows.Add(Measure(model, explainer.Name, documents, scores, inserted, sw.Elapsed.TotalSeconds));
            progress?.Invoke($"{model}: {explainer.Name} on {documents.Count} documents in {sw.Elapsed.TotalSeconds:F1} s");
        }
        return rows;
    }

    /// <summary>The row of one method from its word scores (one array per document, in the document's word order).</summary>
    public static ExplainerRow Measure(string model, string method, IReadOnlyList<ExplainDocument> documents, IReadOnlyList<double[]> wordScores,
        IReadOnlySet<string> insertedTokens, double seconds = 0)
    {
        int top1 = 0, top5 = 0, zero = 0;
        double shareSum = 0;
        for (int i = 0; i < documents.Count; i++)
        {
            var d = documents[i];
            var s = wordScores[i];
            if (s.Length != d.WordCount) throw new ArgumentException($"document {i}: {s.Length} scores for {d.WordCount} words");
            var order = Enumerable.Range(0, s.Length).OrderByDescending(j => Math.Abs(s[j])).ThenBy(j => j).ToArray();
            if (order.Length > 0 && insertedTokens.Contains(d.Words[order[0]])) top1++;
            if (order.Take(5).Any(j => insertedTokens.Contains(d.Words[j]))) top5++;
            double total = 0, onInserted = 0;
            for (int j = 0; j < s.Length; j++)
            {
                total += Math.Abs(s[j]);
                if (insertedTokens.Contains(d.Words[j])) onInserted += Math.Abs(s[j]);
            }
            if (total > 0) shareSum += onInserted / total;
            else zero++;
        }
        int n = documents.Count;
        return new ExplainerRow(model, method, n, n == 0 ? double.NaN : (double)top1 / n, n == 0 ? double.NaN : (double)top5 / n,
            n - zero == 0 ? double.NaN : shareSum / (n - zero), zero, seconds);
    }
}
