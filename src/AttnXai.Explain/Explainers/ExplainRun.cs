using AttnXai.Explain.Adapters;
using AttnXai.Explain.Theory;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Explainers;

/// <summary>Every chosen explainer and (optionally) the theory on a set of documents.</summary>
/// <param name="Explanations">Per document, the explanations in explainer order.</param>
/// <param name="Studies">Per document, the theory and agreement numbers; null when the theory was not asked for.</param>
public sealed record ExplainRunResult(
    IReadOnlyList<ExplainDocument> Documents,
    IReadOnlyList<IReadOnlyList<Explanation>> Explanations,
    IReadOnlyList<DocumentStudyResult>? Studies,
    IReadOnlyList<IExplainer> Explainers,
    IReadOnlyDictionary<string, string> Settings);

public static class ExplainRun
{
    /// <summary>Runs each explainer on all documents (batched where the method allows), then the study.</summary>
    public static ExplainRunResult Run(ExplainTarget target, IReadOnlyList<ExplainDocument> documents, IReadOnlyList<IExplainer> explainers,
        StudyOptions? study, IReadOnlyDictionary<string, string>? settings = null, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(explainers);
        if (documents.Count == 0) throw new ArgumentException("there is no document to explain", nameof(documents));
        var perDoc = documents.Select(_ => new List<Explanation>()).ToArray();
        foreach (var ex in explainers)
        {
            progress?.Invoke($"{ex.Name} on {documents.Count} document(s)");
            var xs = ex.Explain(target, documents);
            for (int i = 0; i < documents.Count; i++) perDoc[i].Add(xs[i]);
        }
        IReadOnlyList<DocumentStudyResult>? studies = null;
        if (study is not null)
        {
            progress?.Invoke("theory (Theorems 4.1, 5.1, LIME's large-sample limit)");
            // The LIME explainers of this run that used the study's settings already hold its mean runs: reused.
            var x = study.Explainers;
            var same = explainers.Select((e, i) => (e, i)).Where(p => p.e is LimeExplainer l && l.Runs == x.LimeRuns && l.Options == new LimeOptions
                { SampleCount = x.LimeSamples, KernelWidth = x.KernelWidth, Seed = x.Seed }).ToDictionary(p => ((LimeExplainer)p.e).Removal, p => p.i);
            studies = DocumentStudy.RunMany(target, documents, study, (b, mode) => same.TryGetValue(mode, out int k)
                ? (perDoc[b][k].WordScores, perDoc[b][k].Vectors["stddev"]) : null);
        }
        return new ExplainRunResult(documents, perDoc, studies, explainers, settings ?? new Dictionary<string, string>());
    }
}
