using System.Diagnostics;
using AttnXai.Common.IO;
using AttnXai.Common.Sharding;
using AttnXai.Data.Imdb;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Plot;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;
using AttnXai.Explain.Metrics;

namespace AttnXai.Reproduce;

/// <summary>A study's outputs: the per-document CSV, the summary table, the figures, and what the report says.</summary>
public sealed record StudyOutput(string Name, string DocumentsCsv, string SummaryCsv, IReadOnlyList<string> SvgFiles,
    IReadOnlyList<string> Findings, int Documents, double Seconds);

/// <summary>
/// The two studies over the test reviews. Each writes its per-document rows in chunks (parts/NAME_NNNNN.csv, each
/// written atomically, skipped when present: resumption), then the finished table NAME_documents.csv, a summary
/// NAME_summary.csv (median, quartiles, worst documents) and histograms. Computing the rows and summarising them are
/// separate steps: a shard (`reproduce --shard I/N`) computes its chunks only (GradientChunks, LimeChunks), and the
/// merge gathers every shard's chunks into one run folder, where the study finds them all computed and only reads,
/// summarises and draws them, as an unsharded run does.
/// </summary>
public static class Studies
{
    /// <summary>Most points drawn in one scatter plot.</summary>
    public const int ScatterPoints = 2500;

    // ---- shared chunk machinery -----------------------------------------------------------------------------

    /// <summary>
    /// Compute seconds of every chunk of a study, including chunks computed by earlier, interrupted runs: each chunk
    /// records its own time in parts/NAME_NNNNN.seconds (written after the chunk), so a resumed stage still reports
    /// what the whole study cost. Chunks without a record (from older versions) are counted in <c>Unknown</c>.
    /// </summary>
    public sealed record ChunkTimes(double Seconds, int Chunks, int Unknown);

    public static ChunkTimes ComputeTimes(string outDir, string name)
    {
        var parts = Path.Combine(outDir, "parts");
        double total = 0;
        int chunks = 0, unknown = 0;
        if (!Directory.Exists(parts)) return new ChunkTimes(0, 0, 0);
        foreach (var csv in Directory.GetFiles(parts, $"{name}_*.csv"))
        {
            chunks++;
            var sec = Path.ChangeExtension(csv, ".seconds");
            if (File.Exists(sec) && double.TryParse(File.ReadAllText(sec), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v))
                total += v;
            else unknown++;
        }
        return new ChunkTimes(total, chunks, unknown);
    }

    /// <summary>The chunk file of chunk <paramref name="c"/> of study <paramref name="name"/>, relative to the run folder.</summary>
    public static string ChunkFile(string name, int c) => $"parts/{name}_{c:D5}.csv";

    /// <summary>
    /// Computes the chunks of <paramref name="shard"/> (all of them for <see cref="ShardSpec.Whole"/>) that are not on
    /// disk yet: chunk c holds documents [c * chunkSize, (c + 1) * chunkSize), written atomically with its compute time
    /// beside it (.seconds). Returns the shard's chunk files and time files, relative to the run folder.
    /// </summary>
    private static List<string> ComputeChunks(string outDir, string name, string[] header, int count, int chunkSize, ShardSpec shard,
        Func<int, int, string[][]> computeRange, Action<int, int>? progress)
    {
        Directory.CreateDirectory(Path.Combine(outDir, "parts"));
        var slice = shard.Slice(count, chunkSize);
        var files = new List<string>();
        for (int start = slice.Start.Value; start < slice.End.Value; start += chunkSize)
        {
            int end = Math.Min(count, start + chunkSize);
            var relative = ChunkFile(name, start / chunkSize);
            var file = Path.Combine(outDir, relative);
            if (!File.Exists(file))
            {
                var chunkClock = System.Diagnostics.Stopwatch.StartNew();
                var table = new CsvTable(header);
                foreach (var r in computeRange(start, end)) table.Add(r);
                table.Write(file);
                AtomicFile.WriteAllText(Path.ChangeExtension(file, ".seconds"),
                    chunkClock.Elapsed.TotalSeconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
            files.Add(relative);
            files.Add(Path.ChangeExtension(relative, ".seconds"));
            progress?.Invoke(end - slice.Start.Value, slice.End.Value - slice.Start.Value);
        }
        return files;
    }

    /// <summary>The rows of every chunk of a study, in document order, also written as NAME_documents.csv (the study's per-document table).</summary>
    private static List<string[]> ReadChunks(string outDir, string name, string[] header, int count, int chunkSize)
    {
        var rows = new List<string[]>();
        for (int c = 0; c < ShardSpec.Chunks(count, chunkSize); c++)
        {
            var file = Path.Combine(outDir, ChunkFile(name, c));
            var (h, rs) = Csv.Parse(File.ReadAllText(file));
            if (!h.SequenceEqual(header)) throw new InvalidDataException($"{file} has another header: delete it to recompute");
            rows.AddRange(rs);
        }
        var all = new CsvTable(header);
        foreach (var r in rows) all.Add(r);
        all.Write(Path.Combine(outDir, $"{name}_documents.csv"));
        return rows;
    }

    /// <summary>The study's cost: compute time summed over its chunks (earlier runs included) and this run's wall time.</summary>
    private static string StudyTime(string outDir, string name, double wallSeconds, int documents, int threads)
    {
        var t = ComputeTimes(outDir, name);
        string unknown = t.Unknown > 0 ? $"; {t.Unknown} of {t.Chunks} chunks have no recorded time" : "";
        return $"Study time {t.Seconds:F1} s summed over its {t.Chunks} chunks ({(documents > 0 ? 1000 * t.Seconds / documents : 0):F1} ms per document, {threads} threads{unknown}); " +
               $"this run's wall time {wallSeconds:F1} s (chunks found on disk are not recomputed).";
    }

    private static double[] Column(string[] header, List<string[]> rows, string name)
    {
        int i = Array.IndexOf(header, name);
        return rows.Select(r => Csv.D(r[i])).ToArray();
    }

    private static CsvTable Summary(string[] header, List<string[]> rows, IEnumerable<(string Column, bool HigherIsWorse)> measures)
    {
        var table = new CsvTable("measure", "count", "nan", "mean", "min", "q1", "median", "q3", "max", "worst_documents");
        int pathCol = Array.IndexOf(header, "path");
        foreach (var (col, worse) in measures)
        {
            var v = Column(header, rows, col);
            if (v.All(double.IsNaN)) { table.Add(col, 0, v.Length, "", "", "", "", "", "", ""); continue; }
            var s = SummaryStatistics.Of(v, 5, worse);
            table.Add(col, s.Count, s.NaNCount, s.Mean, s.Min, s.Q1, s.Median, s.Q3, s.Max,
                string.Join(" ", s.WorstIndices.Select(i => $"{rows[i][pathCol]}={Csv.Cell(v[i])}")));
        }
        return table;
    }

    private static string Hist(IReadOnlyList<double> values, string title, string xLabel, bool logX)
    {
        var v = values.Where(x => double.IsFinite(x) && (!logX || x > 0)).ToArray();
        if (v.Length == 0) v = [0.0];
        if (v.Min() == v.Max()) logX = false;
        return Histogram.Render(v, new HistogramOptions { Title = title, XLabel = xLabel, YLabel = "documents", Bins = 30, LogX = logX });
    }

    // ---- gradients ------------------------------------------------------------------------------------------

    public static readonly string[] GradientHeader =
        ["index", "path", "label", "tokens", "cls_error_authors", "cls_error_exact", "other_rows_error", "cls_rel_error_authors", "cls_rel_error_exact", "other_rows_rel_error"];

    /// <summary>
    /// Per document: max |theory - autograd| on the [CLS] row (authors' and exact forms) and on the other rows, absolute
    /// and divided by max |autograd|. Autograd runs on a float64 copy of the model, one document at a time.
    /// </summary>
    public static StudyOutput Gradients(ReproduceContext ctx, string outDir, Action<int, int>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        GradientChunks(ctx, outDir, ShardSpec.Whole, progress);
        var rows = ReadChunks(outDir, "gradients", GradientHeader, ctx.StudyDocuments().Count, ctx.Settings.ChunkSize);
        return GradientSummary(rows, outDir, Math.Max(sw.Elapsed.TotalSeconds, ComputeTimes(outDir, "gradients").Seconds));
    }

    /// <summary>The gradient study's chunks of <paramref name="shard"/> (computed when not on disk); returns their files.</summary>
    public static List<string> GradientChunks(ReproduceContext ctx, string outDir, ShardSpec shard, Action<int, int>? progress = null)
    {
        var docs = ctx.StudyDocuments();
        var w = ctx.Target.Weights;
        var model64 = ctx.Model64;
        return ComputeChunks(outDir, "gradients", GradientHeader, docs.Count, ctx.Settings.ChunkSize, shard, (start, end) =>
        {
            var res = new string[end - start][];
            var prepared = new List<(int K, ExplainDocument Doc)>();
            for (int k = start; k < end; k++)
            {
                var review = docs[k];
                try { prepared.Add((k, ctx.Target.Prepare(review.Text, review.RelativePath))); }
                catch (ArgumentException) { res[k - start] = [k.ToString(), review.RelativePath, review.Label.ToString(), "0", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"]; }
            }
            // Autograd in float64, batched over the chunk's documents.
            var passes = ModelPasses.Run(model64, prepared.Select(p => p.Doc).ToArray(), gradients: true);
            for (int b = 0; b < prepared.Count; b++)
            {
                var (k, doc) = prepared[b];
                var review = docs[k];
                var th = Theorem41.Gradient(w, doc.Ids, doc.RealLength);
                var ag = passes[b].Gradient!;
                int De = w.De;
                double scale = Math.Max(ag.Max(Math.Abs), 1e-300);
                double clsA = 0, clsE = 0, other = 0;
                for (int d = 0; d < De; d++) { clsA = Math.Max(clsA, Math.Abs(th.Authors[d] - ag[d])); clsE = Math.Max(clsE, Math.Abs(th.Exact[d] - ag[d])); }
                for (int x = De; x < ag.Length; x++) other = Math.Max(other, Math.Abs(th.Authors[x] - ag[x]));
                res[k - start] = [.. new object[] { k, review.RelativePath, review.Label, doc.TokenCount, clsA, clsE, other, clsA / scale, clsE / scale, other / scale }.Select(Csv.Cell)];
            }
            return res;
        }, progress);
    }

    /// <summary>The gradient study's summary table, histograms and finding, from its per-document rows.</summary>
    public static StudyOutput GradientSummary(List<string[]> rows, string outDir, double seconds)
    {
        var summary = Summary(GradientHeader, rows, [("cls_rel_error_authors", true), ("cls_rel_error_exact", true), ("other_rows_rel_error", true),
            ("cls_error_authors", true), ("cls_error_exact", true), ("other_rows_error", true)]);
        summary.Write(Path.Combine(outDir, "gradients_summary.csv"));
        var svgs = new List<string>();
        foreach (var (col, title) in new[] { ("cls_rel_error_authors", "[CLS] row, authors' form"), ("cls_rel_error_exact", "[CLS] row, exact form"), ("other_rows_rel_error", "other rows") })
        {
            var file = $"gradients_{col}.svg";
            AtomicFile.WriteAllText(Path.Combine(outDir, file), Hist(Column(GradientHeader, rows, col), $"Theorem 4.1 vs autograd: {title}", "max |theory - autograd| / max |autograd|", true));
            svgs.Add(file);
        }
        var clsA = Column(GradientHeader, rows, "cls_rel_error_authors").Where(double.IsFinite).ToArray();
        var clsE = Column(GradientHeader, rows, "cls_rel_error_exact").Where(double.IsFinite).ToArray();
        var oth = Column(GradientHeader, rows, "other_rows_rel_error").Where(double.IsFinite).ToArray();
        var findings = new List<string>();
        if (oth.Length > 0)
        {
            bool holds = oth.Max() < 1e-8 && clsE.Max() < 1e-8 && clsA.Min() > 1e-6;
            findings.Add((holds ? "CLAIM HOLDS" : "CLAIM DOES NOT HOLD") +
                $" over {oth.Length} documents: theory and autograd coincide on every row but the authors' [CLS] row " +
                $"(worst relative error: other rows {oth.Max():G3}, exact [CLS] row {clsE.Max():G3}; authors' [CLS] row: median {Median(clsA):G3}, smallest {clsA.Min():G3}).");
        }
        return new StudyOutput("gradients", "gradients_documents.csv", "gradients_summary.csv", svgs, findings, rows.Count, seconds);
    }

    private static double Median(double[] v) { var s = v.Order().ToArray(); return SummaryStatistics.QuantileOfSorted(s, 0.5); }

    // ---- LIME -----------------------------------------------------------------------------------------------

    private static readonly string[] Pairs = ["lime_theory", "limit_theory", "lime_limit"];
    private static readonly string[] Measures = ["l2", "rel_l2", "pearson", "spearman", "sign", "topk"];

    public static string[] LimeHeader { get; } =
        [.. new[] { "index", "path", "label", "tokens", "words", "confidence", "logit", "lime_run_spread" },
         .. Pairs.SelectMany(p => Measures.Select(m => $"{p}_{m}"))];

    /// <summary>
    /// Per document and removal mode: LIME (Lime.ExplainRepeated, runs x n samples, fast exact path), Theorem 5.1 and
    /// the large-sample limit (Lime.Explain with LimitSamples samples; skipped when 0), with L2, relative L2, Pearson, Spearman, sign agreement and top-k overlap
    /// between the mean of the runs and the theory, the limit and the theory, the runs and the limit. Documents run in
    /// parallel (Settings.Threads workers, each with its own state; torch is not used).
    /// </summary>
    public static StudyOutput LimeStudy(ReproduceContext ctx, RemovalMode mode, string outDir, Action<int, int>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        LimeChunks(ctx, mode, outDir, ShardSpec.Whole, progress);
        var rows = ReadChunks(outDir, LimeName(mode), LimeHeader, ctx.StudyDocuments().Count, ctx.Settings.ChunkSize);
        return LimeSummary(rows, mode, ctx.Settings, outDir, sw.Elapsed.TotalSeconds);
    }

    /// <summary>"lime_delete", "lime_unk": the LIME study's name (its files' prefix) for a removal mode.</summary>
    public static string LimeName(RemovalMode mode) => $"lime_{mode.Name()}";

    /// <summary>The LIME study's chunks of <paramref name="shard"/> (computed when not on disk); returns their files.</summary>
    public static List<string> LimeChunks(ReproduceContext ctx, RemovalMode mode, string outDir, ShardSpec shard, Action<int, int>? progress = null)
    {
        var s = ctx.Settings;
        var docs = ctx.StudyDocuments();
        var w = ctx.Target.Weights;
        _ = ctx.Target.FastPath;
        int torchThreads = torch.get_num_threads();
        torch.set_num_threads(1);   // parallelism comes from the documents
        try
        {
            return ComputeChunks(outDir, LimeName(mode), LimeHeader, docs.Count, s.ChunkSize, shard, (start, end) =>
            {
                var res = new string[end - start][];
                Parallel.For(start, end, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, s.Threads) }, k =>
                    res[k - start] = LimeRow(ctx, w, docs[k], k, mode));
                return res;
            }, progress);
        }
        finally { torch.set_num_threads(torchThreads); }
    }

    /// <summary>The LIME study's summary, binned table, histograms, scatter plots and findings, from its per-document rows.</summary>
    public static StudyOutput LimeSummary(List<string[]> rows, RemovalMode mode, ReproduceSettings s, string outDir, double wallSeconds)
    {
        string name = LimeName(mode);
        var measures = Pairs.SelectMany(p => Measures.Select(m => ($"{p}_{m}", m is "l2" or "rel_l2"))).ToList();
        Summary(LimeHeader, rows, measures).Write(Path.Combine(outDir, $"{name}_summary.csv"));
        var svgs = new List<string>();
        var relL2 = Column(LimeHeader, rows, "lime_theory_rel_l2");
        var spear = Column(LimeHeader, rows, "lime_theory_spearman");
        string M = mode.Name();
        void Svg(string file, string svg) { AtomicFile.WriteAllText(Path.Combine(outDir, file), svg); svgs.Add(file); }
        Svg($"{name}_rel_l2_hist.svg", Hist(relL2, $"LIME ({M}) vs Theorem 5.1: relative L2 error per document", "||lime - theory|| / ||theory||", true));
        Svg($"{name}_spearman_hist.svg", Hist(spear, $"LIME ({M}) vs Theorem 5.1: Spearman per document", "Spearman correlation", false));
        // Dependence on document length, distinct words and confidence: binned tables and scatter plots.
        var binned = new CsvTable("variable", "bin", "low", "high", "documents", "median_rel_l2", "median_spearman", "median_sign", "median_topk");
        var sign = Column(LimeHeader, rows, "lime_theory_sign");
        var topk = Column(LimeHeader, rows, "lime_theory_topk");
        foreach (var v in new[] { "tokens", "words", "confidence" })
        {
            var x = Column(LimeHeader, rows, v);
            var order = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(x[i])).OrderBy(i => x[i]).ToArray();
            foreach (var (b, idx) in QuantileBins(order.Select(i => x[i]).ToArray(), 5).Select((range, b) => (b, order[range])))
            {
                double Med(double[] col) { var f = idx.Select(i => col[i]).Where(double.IsFinite).ToArray(); return f.Length == 0 ? double.NaN : Median(f); }
                binned.Add(v, b + 1, x[idx[0]], x[idx[^1]], idx.Length, Med(relL2), Med(spear), Med(sign), Med(topk));
            }
            // A scatter of 25,000 points makes a 4 MB SVG that browsers render slowly: draw every k-th document
            // (at most ScatterPoints), say so in the title; the binned table above uses every document.
            int every = Math.Max(1, (x.Length + ScatterPoints - 1) / ScatterPoints);
            var shown = Enumerable.Range(0, x.Length).Where(i => i % every == 0).ToArray();
            string subset = every == 1 ? "" : $" (every {Ordinal(every)} of {x.Length} documents)";
            Svg($"{name}_{v}_scatter.svg", Scatter.Render(shown.Select(i => x[i]).ToArray(), shown.Select(i => Math.Max(relL2[i], 0)).ToArray(), null,
                new ScatterOptions { Title = $"LIME ({M}) vs Theorem 5.1: relative L2 error against {v}{subset}", XLabel = v, YLabel = "relative L2 error" }));
        }
        binned.Write(Path.Combine(outDir, $"{name}_binned.csv"));
        var finite = relL2.Where(double.IsFinite).ToArray();
        var fs = spear.Where(double.IsFinite).ToArray();
        var findings = new List<string>
        {
            $"{rows.Count} documents, {s.LimeRuns} LIME runs of n = {s.LimeSamples} each, removal mode {M}, {LimitText(s)}: " +
            (finite.Length > 0 ? $"mean of runs vs Theorem 5.1: median relative L2 {Median(finite):G3}" : "no finite relative L2") +
            (fs.Length > 0 ? $", median Spearman {Median(fs):G3}." : "."),
            StudyTime(outDir, name, wallSeconds, rows.Count, s.Threads),
        };
        return new StudyOutput(name, $"{name}_documents.csv", $"{name}_summary.csv", svgs, findings, rows.Count, Math.Max(wallSeconds, ComputeTimes(outDir, name).Seconds));
    }

    /// <summary>"large-sample limit with 50000 samples on every 10th document" (every document, or not computed).</summary>
    public static string LimitText(ReproduceSettings s) =>
        s.LimitSamples <= 0 ? "no large-sample limit"
        : $"large-sample limit with {s.LimitSamples} samples on {(s.LimitEvery <= 1 ? "every document" : $"every {Ordinal(s.LimitEvery)} document")}";

    /// <summary>2nd, 3rd, 10th, 21st, 111th.</summary>
    public static string Ordinal(int n) =>
        n + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    /// <summary>
    /// At most <paramref name="bins"/> quantile bins of sorted values, as index ranges: the cuts fall at every
    /// (n / bins)-th value but never inside a run of equal values, so a value lies in one bin only (25,000 reviews of
    /// which a third are truncated at 255 tokens give one 255-255 bin, not three).
    /// </summary>
    public static IReadOnlyList<Range> QuantileBins(IReadOnlyList<double> sorted, int bins)
    {
        int n = sorted.Count;
        var cuts = new List<int> { 0 };
        for (int b = 1; b < bins; b++)
        {
            int c = (int)((long)b * n / bins);
            while (c > 0 && c < n && sorted[c] == sorted[c - 1]) c++;
            if (c > cuts[^1] && c < n) cuts.Add(c);
        }
        if (n > 0) cuts.Add(n);
        return Enumerable.Range(0, cuts.Count - 1).Select(i => new Range(cuts[i], cuts[i + 1])).ToList();
    }

    internal static string[] LimeRow(ReproduceContext ctx, PaperWeights w, ImdbReview review, int k, RemovalMode mode)
    {
        var s = ctx.Settings;
        var nan = Enumerable.Repeat("NaN", LimeHeader.Length - 4);
        ExplainDocument doc;
        try { doc = ctx.Target.Prepare(review.Text, review.RelativePath); }
        catch (ArgumentException) { return [k.ToString(), review.RelativePath, review.Label.ToString(), "0", .. nan]; }
        var pm = ctx.Target.Perturbation(doc, mode);
        ulong seed = AttnXai.Common.Random.SplitMix64.Derive(s.Seed, (ulong)k);
        var runs = Lime.ExplainRepeated(pm, s.LimeRuns, s.Lime(seed));
        var mean = runs.MeanCoefficients;
        var theory = Theorem51.Approximate(w, doc).Words;
        double[]? limit = s.LimitSamples > 0 && k % Math.Max(1, s.LimitEvery) == 0
            ? Lime.Explain(pm, s.Lime(AttnXai.Common.Random.SplitMix64.Derive(seed, 1000)) with { SampleCount = checked((int)s.LimitSamples) }).Coefficients
            : null;
        var (conf, logit) = Confidence(w, doc);
        double spread = runs.CoefficientStdDev.Average();
        var cells = new List<object?> { k, review.RelativePath, review.Label, doc.TokenCount, doc.WordCount, conf, logit, spread };
        void Add(double[]? a, double[]? b)
        {
            if (a is null || b is null) { cells.AddRange(Enumerable.Repeat<object?>(double.NaN, Measures.Length)); return; }
            var r = Agreement.Compare(a, b, s.TopK);
            cells.AddRange([r.L2Distance, r.RelativeL2, r.Pearson, r.Spearman, r.SignAgreement, r.TopKOverlap]);
        }
        Add(mean, theory);
        Add(limit, theory);
        Add(mean, limit);
        return cells.Select(Csv.Cell).ToArray();
    }

    /// <summary>The model's confidence (softmax probability of its predicted class) and its positive logit, from the weights.</summary>
    public static (double Confidence, double PositiveLogit) Confidence(PaperWeights w, ExplainDocument doc)
    {
        var p = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
        var logits = new double[w.C];
        for (int i = 0; i < w.K; i++)
            for (int o = 0; o < w.Do; o++)
            {
                double v = 0;
                for (int k = 0; k < w.De; k++) v += w.Wv[(i * w.Do + o) * w.De + k] * p.EBar[i * w.De + k];
                for (int c = 0; c < w.C; c++) logits[c] += w.Wl[(i * w.C + c) * w.Do + o] * v / w.K;
            }
        double max = logits.Max();
        double sum = logits.Sum(l => Math.Exp(l - max));
        return (1.0 / sum, logits[PaperWeights.PositiveClass]);
    }
}
