using AttnXai.Common.IO;
using AttnXai.Common.Random;
using System.Globalization;
using System.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Explain.Theory;

/// <summary>Settings of <see cref="DocumentStudy"/>.</summary>
public sealed record StudyOptions
{
    /// <summary>The explainers' settings, taken whole: the removal modes studied (<see cref="ExplainerSettings.Removals"/>)
    /// and LIME's samples, runs (R; 0 skips LIME), kernel width and seed, as the LIME explainers of the same run use them.</summary>
    public ExplainerSettings Explainers { get; init; } = new();
    /// <summary>Samples of the large-sample limit (through the fast path); 0 skips it.</summary>
    public long LimitSamples { get; init; } = 200_000;
    public int TopK { get; init; } = 5;
}

/// <summary>Theorem 4.1 (exact form) against autograd, per group of rows: max abs error and max per-row relative error
/// (|difference| over the row's largest |autograd| value, floored at 1e-12 of the document's largest).</summary>
public sealed record GradientAgreement(
    double ClsMaxAbsError, double ClsMaxRelError,
    double WordsMaxAbsError, double WordsMaxRelError,
    double PaddingMaxAbsError, double PaddingMaxRelError,
    double AuthorsClsMaxRelError, double AuthorsOtherMaxRelError);

/// <summary>LIME (mean of R runs) against Theorem 5.1 and against LIME's large-sample limit, for one removal mode.</summary>
public sealed record LimeAgreement(
    RemovalMode Removal, int Runs, int Samples, long LimitSamples,
    double[] LimeMean, double[] LimeStdDev, double[] Theory, double[]? Limit,
    AgreementReport MeanVsTheory, AgreementReport? MeanVsLimit, AgreementReport? LimitVsTheory);

/// <summary>Everything the theory says about one document, with the agreement numbers (one CSV row per removal mode).</summary>
public sealed record DocumentStudyResult(
    ExplainDocument Document, double Output, GradientTheory Gradients, double[] Autograd,
    GradientAgreement GradientAgreement, LimeTheory Theorem51, IReadOnlyList<LimeAgreement> Lime)
{
    /// <summary>The header of <see cref="CsvRows"/>.</summary>
    public static string CsvHeader =>
        "doc,label,tokens,words,truncated,unknown,output," +
        "grad_cls_max_abs,grad_cls_max_rel,grad_words_max_abs,grad_words_max_rel,grad_pad_max_abs,grad_pad_max_rel,authors_cls_max_rel,authors_other_max_rel," +
        "removal,lime_runs,lime_samples,limit_samples," +
        string.Join(',', new[] { "lime_vs_theory", "lime_vs_limit", "limit_vs_theory" }.SelectMany(p =>
            new[] { "max_abs", "max_rel", "l2", "rel_l2", "pearson", "spearman", "sign", "topk" }.Select(m => $"{p}_{m}")));

    /// <summary>One row per removal mode (one row with empty LIME columns when LIME was skipped). Undefined values are empty.</summary>
    public IEnumerable<string> CsvRows(int docIndex)
    {
        var d = Document;
        var g = GradientAgreement;
        string head = string.Join(',', docIndex.ToString(CultureInfo.InvariantCulture), Csv.Quote(d.Label ?? ""), d.TokenCount, d.WordCount,
            d.Truncated ? "true" : "false", d.UnknownCount, Csv.Num(Output),
            Csv.Num(g.ClsMaxAbsError), Csv.Num(g.ClsMaxRelError), Csv.Num(g.WordsMaxAbsError), Csv.Num(g.WordsMaxRelError),
            Csv.Num(g.PaddingMaxAbsError), Csv.Num(g.PaddingMaxRelError), Csv.Num(g.AuthorsClsMaxRelError), Csv.Num(g.AuthorsOtherMaxRelError));
        if (Lime.Count == 0) { yield return head + "," + new string(',', 3 + 24 - 1); yield break; }
        foreach (var l in Lime)
            yield return string.Join(',', head, l.Removal.Name(), l.Runs, l.Samples, l.LimitSamples,
                Report(l.MeanVsTheory), Report(l.MeanVsLimit), Report(l.LimitVsTheory));
    }

    private static string Report(AgreementReport? r) => r is null ? new string(',', 7) : string.Join(',',
        Csv.Num(r.MaxAbsError), Csv.Num(r.MaxRelativeError), Csv.Num(r.L2Distance), Csv.Num(r.RelativeL2),
        Csv.Num(r.Pearson), Csv.Num(r.Spearman), Csv.Num(r.SignAgreement), Csv.Num(r.TopKOverlap));
}

/// <summary>
/// The paper's comparisons for documents: Theorem 4.1 against autograd gradients (every row, [CLS] separately), and
/// LIME (mean of R runs, through the target's perturbation evaluator) against Theorem 5.1 and against LIME's
/// large-sample limit (through the fast path).
/// </summary>
public static class DocumentStudy
{
    public static DocumentStudyResult Run(ExplainTarget target, ExplainDocument document, StudyOptions? options = null) =>
        RunMany(target, [document], options)[0];

    /// <summary>Runs the study on many documents (autograd batched).</summary>
    /// <param name="lime">LIME's mean coefficients and their standard deviation over the runs, already computed with
    /// exactly these settings for document b and a removal mode (the LIME explainers of the same run), or null to
    /// compute them here.</param>
    public static IReadOnlyList<DocumentStudyResult> RunMany(ExplainTarget target, IReadOnlyList<ExplainDocument> documents, StudyOptions? options = null,
        Func<int, RemovalMode, (double[] Mean, double[] StdDev)?>? lime = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new StudyOptions();
        var passes = ModelPasses.Run(target.Model, documents, gradients: true, batchSize: Math.Min(64, target.BatchSize));
        var w = target.Weights;
        var results = new DocumentStudyResult[documents.Count];
        for (int b = 0; b < documents.Count; b++)
        {
            var doc = documents[b];
            var fp = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
            var th = Theorem41.Gradient(fp);
            var auto = passes[b].Gradient!;
            var ga = CompareGradients(th, auto, doc.RealLength);
            var t51 = Theorem51.Approximate(w, doc);
            var agreements = new List<LimeAgreement>();
            var x = options.Explainers;
            if (x.LimeRuns > 0)
                foreach (var mode in x.Removals)
                {
                    var lo = new LimeOptions { SampleCount = x.LimeSamples, KernelWidth = x.KernelWidth, Seed = x.Seed };
                    var (mean, std) = lime?.Invoke(b, mode) ?? Repeated(target.Perturbation(doc, mode), x.LimeRuns, lo);
                    double[]? limit = null;
                    if (options.LimitSamples > 0)
                        limit = Lime.ExplainLargeSample(target.FastPath.For(doc, mode), options.LimitSamples,
                            lo with { Seed = SplitMix64.Derive(x.Seed, 1_000_003) }).Coefficients;
                    agreements.Add(new LimeAgreement(mode, x.LimeRuns, x.LimeSamples, options.LimitSamples,
                        mean, std, t51.Words, limit,
                        Agreement.Compare(mean, t51.Words, options.TopK),
                        limit is null ? null : Agreement.Compare(mean, limit, options.TopK),
                        limit is null ? null : Agreement.Compare(limit, t51.Words, options.TopK)));
                }
            results[b] = new DocumentStudyResult(doc, fp.Output, th, auto, ga, t51, agreements);
        }
        return results;
    }

    private static (double[] Mean, double[] StdDev) Repeated(IPerturbationModel model, int runs, LimeOptions options)
    {
        var set = Lime.ExplainRepeated(model, runs, options);
        return (set.MeanCoefficients, set.CoefficientStdDev);
    }

    /// <summary>Theorem 4.1 vs autograd ([L, d_e] each), rows grouped as [CLS], words (1..real-1), padding.</summary>
    public static GradientAgreement CompareGradients(GradientTheory theory, double[] autograd, int realLength)
    {
        int L = theory.Length, De = theory.EmbedDim;
        if (autograd.Length != L * De) throw new ArgumentException($"autograd holds {autograd.Length} values, expected {L * De}", nameof(autograd));
        double floor = 1e-12 * Math.Max(autograd.Max(Math.Abs), 1e-300);
        (double Abs, double Rel) Row(double[] g, int t)
        {
            double err = 0, scale = 0;
            for (int k = 0; k < De; k++)
            {
                err = Math.Max(err, Math.Abs(g[t * De + k] - autograd[t * De + k]));
                scale = Math.Max(scale, Math.Abs(autograd[t * De + k]));
            }
            return (err, err / Math.Max(scale, floor));
        }
        var cls = Row(theory.Exact, 0);
        double wa = 0, wr = 0, pa = 0, pr = 0, ao = 0;
        for (int t = 1; t < L; t++)
        {
            var (a, r) = Row(theory.Exact, t);
            if (t < realLength) { wa = Math.Max(wa, a); wr = Math.Max(wr, r); }
            else { pa = Math.Max(pa, a); pr = Math.Max(pr, r); }
            ao = Math.Max(ao, Row(theory.Authors, t).Rel);
        }
        return new GradientAgreement(cls.Abs, cls.Rel, wa, wr, pa, pr, Row(theory.Authors, 0).Rel, ao);
    }
}
