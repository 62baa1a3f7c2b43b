using AttnXai.Common;
using System.CommandLine;
using System.Diagnostics;
using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Reproduce;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench explain`: the cost of explaining with the paper's model. One LIME explanation (n = 5000) of a 99-token
/// and a 255-token document through the exact fast path on the calling thread, with where its time goes (sampling,
/// f, fit), and through the generic batched forward next to the forward passes it needs, in both removal modes;
/// Theorem 4.1 and autograd gradients per document; per-document costs over N documents, and the reproduction's LIME
/// study run on them (wall and CPU time, scaled to 25,000 reviews). Uses a trained model (--model) when given, else a
/// randomly initialised paper-size model with a synthetic vocabulary (timings do not depend on training). A model
/// without the fast path (a Transformer, any other architecture) gets the generic part only: LIME through the batched
/// forward next to its forward passes, and the forward rate by batch size.
/// </summary>
public static class ExplainBench
{
    public static Command Create()
    {
        var cmd = new Command("explain", "LIME (fast path vs batched forward), Theorem 4.1 vs autograd, per-document explanation costs");
        var model = new Option<string?>("--model") { Description = "trained model folder (default: random paper-size model)" };
        var data = new Option<string?>("--data") { Description = "IMDB data for the per-document costs with --model (default: synthetic documents)" };
        var docs = new Option<int?>("--docs") { Description = "documents for the per-document costs (default 1000)" }.Range(1, Opt.MaxDocuments);
        var samples = new Option<int?>("--samples") { Description = $"LIME samples, 2 to {Opt.MaxLimeSamples:N0} (default {LimeOptions.DefaultSampleCount})" }.LimeSamples();
        var vocab = new Option<int?>("--vocab") { Description = "synthetic vocabulary size of the random model (default 30000)" }.Range(10, Opt.MaxVocabulary);
        var skipGeneric = new Option<bool>("--skip-generic") { Description = "skip the (slow) generic-path LIME runs" };
        var skipStudy = new Option<bool>("--skip-study") { Description = "skip running the LIME study over the --docs documents" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, data, docs, samples, vocab, skipGeneric, skipStudy, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(r.GetValue(model), r.GetValue(data), r.GetValue(docs) ?? 1000, r.GetValue(samples) ?? LimeOptions.DefaultSampleCount, r.GetValue(vocab) ?? 30_000, r.GetValue(skipGeneric), r.GetValue(skipStudy));
            return 0;
        });
        return cmd;
    }

    public static void Run(string? modelDir, string? dataPath, int docCount, int samples, int vocabSize, bool skipGeneric, bool skipStudy = false)
    {
        if (docCount < 1) throw new UserError($"--docs must be positive, got {docCount}");
        LoadedModel? loaded = null;
        AttentionClassifier classifier;
        Vocabulary vocabulary;
        if (modelDir is not null)
        {
            loaded = ModelCheckpoint.Load(modelDir);
            if (loaded.Model is not AttentionClassifier)
            {
                using (loaded) RunGeneric(loaded, modelDir, samples);
                return;
            }
            classifier = loaded.Paper;
            vocabulary = loaded.Vocabulary;
        }
        else
        {
            if (vocabSize < 1000) throw new UserError("--vocab must be at least 1000");
            vocabulary = Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken }.Concat(Enumerable.Range(2, vocabSize - 2).Select(i => $"w{i}")));
            classifier = new AttentionClassifier(new ModelConfig(vocabSize), 42);
        }
        try
        {
            var cfg = classifier.Config;
            Console.WriteLine($"model: {(modelDir ?? "random paper-size (seed 42)")}, V = {cfg.VocabSize}, d_e = {cfg.EmbedDim}, d_att = {cfg.AttDim}, d_out = {cfg.OutDim}, K = {cfg.Heads}, L = {cfg.Length}, {classifier.DType}, padding mask {cfg.PaddingMask}");
            Console.WriteLine($"threads: {torch.get_num_threads()} (libtorch), {Environment.ProcessorCount} cores");
            Console.WriteLine($"cpu: {CpuInfo.Describe()}");
            var target = new ExplainTarget(classifier, vocabulary);
            var sw = Stopwatch.StartNew();
            _ = target.FastPath;
            Console.WriteLine($"float64 weight copy + fast-path position tables: {sw.Elapsed.TotalMilliseconds:F1} ms (once per model)");

            var rng = new Random(1);
            var words = vocabulary.Tokens.Skip(2).ToArray();
            var d99 = Synthetic(target, rng, words, 99, 150, "synthetic-99");
            var d255 = Synthetic(target, rng, words, 255, 400, "synthetic-255");
            Console.WriteLine();
            Console.WriteLine($"LIME, one explanation of n = {samples} samples through the fast path, on this thread: the whole explanation, then its");
            Console.WriteLine("steps timed apart (sampling the masks into a reused buffer, f of every row, the fit: kernel weights, weighted moments,");
            Console.WriteLine("ridge solve and score); 'other' is what the whole costs beyond its steps. Each is timed once the JIT has settled (calls");
            Console.WriteLine("and pauses until no method is compiled for 1.2 s), median / minimum of 41 runs, in ms; for the whole, what 41");
            Console.WriteLine("explanations allocate (KB per explanation), the garbage collections and the minor page faults among them:");
            Console.WriteLine($"{"document",-22} {"removal",-8} {"total",15} {"sampling",15} {"f",15} {"fit",15} {"(solve)",8} {"other",7} {"KB/expl",8} {"GCs",4} {"faults",7}");
            foreach (var doc in new[] { d99, d255 })
                foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
                    FastLimeRow(target, doc, mode, samples);

            if (!skipGeneric)
            {
                Console.WriteLine();
                Console.WriteLine($"LIME through the generic batched forward (batch {target.Scorer.BatchSize}, {torch.get_num_threads()} libtorch threads), against its floor:");
                Console.WriteLine($"the forward passes alone, {samples} perturbed documents at the measured forward rate ({samples} / documents per second), and");
                Console.WriteLine("the distinct documents among them (the only ones the generic path scores). One run each, in ms:");
                Console.WriteLine($"{"document",-22} {"removal",-8} {"generic LIME",13} {"docs/s",8} {$"{samples} fwd",10} {"distinct",9} {"their fwd",10} {"LIME/fwd",9} {"max |diff beta|",16}");
                foreach (var doc in new[] { d99, d255 })
                    foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
                        GenericLimeRow(target, doc, mode, samples);
                ForwardRates(classifier, d99, samples, cfg.Length);
            }

            Console.WriteLine();
            Console.WriteLine("Gradients of one document (all L rows):");
            foreach (var doc in new[] { d99, d255 })
            {
                var w = target.Weights;
                Theorem41.Gradient(w, doc.Ids, doc.RealLength);
                sw.Restart();
                GradientTheory? th = null;
                for (int k = 0; k < 10; k++) th = Theorem41.Gradient(w, doc.Ids, doc.RealLength);
                double thMs = sw.Elapsed.TotalMilliseconds / 10;
                ModelPasses.Run(classifier, [doc], gradients: true);
                sw.Restart();
                DocumentPass? pass = null;
                for (int k = 0; k < 10; k++) pass = ModelPasses.Run(classifier, [doc], gradients: true)[0];
                double agMs = sw.Elapsed.TotalMilliseconds / 10;
                var ga = DocumentStudy.CompareGradients(th!, pass!.Gradient!, doc.RealLength);
                Console.WriteLine($"  {doc.Label}: Theorem 4.1 (float64 closed form) {thMs:F2} ms, autograd ({classifier.DType}) {agMs:F2} ms; " +
                                  $"max rel error [CLS] {ga.ClsMaxRelError:E1}, words {ga.WordsMaxRelError:E1}, padding {ga.PaddingMaxRelError:E1}; authors' form at [CLS] {ga.AuthorsClsMaxRelError:E1}");
            }

            Console.WriteLine();
            var corpus = Corpus(target, loaded, dataPath, docCount, rng, words);
            Console.WriteLine($"Per-document costs over {corpus.Count} documents ({corpus.Source}; mean T = {corpus.Docs.Average(d => d.TokenCount):F1}, mean d = {corpus.Docs.Average(d => d.WordCount):F1}):");
            var costs = new Dictionary<string, double>();
            void Time(string name, Action a) { sw.Restart(); a(); costs[name] = sw.Elapsed.TotalMilliseconds / corpus.Count; }
            Time("prepare (clean, encode)", () => { foreach (var t in corpus.Texts) target.Prepare(t); });
            Time("alpha-avg (batched forward)", () => new AttentionExplainer(false).Explain(target, corpus.Docs));
            Time("autograd gradients (batches of 64)", () => ModelPasses.Run(classifier, corpus.Docs, gradients: true));
            Time("Theorem 4.1 (closed form)", () => { foreach (var d in corpus.Docs) Theorem41.Gradient(target.Weights, d.Ids, d.RealLength); });
            Time("Theorem 5.1 (closed form)", () => { foreach (var d in corpus.Docs) Theorem51.Approximate(target.Weights, d); });
            foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
                Time($"LIME n={samples}, fast path, {mode.Name()}", () =>
                {
                    foreach (var d in corpus.Docs) Lime.Explain(target.FastPath.For(d, mode), new LimeOptions { SampleCount = samples });
                });
            foreach (var (k, v) in costs) Console.WriteLine($"  {k,-40} {v,10:F3} ms/document");
            if (!skipStudy) StudyRows(classifier, vocabulary, corpus.Texts);
        }
        finally
        {
            if (loaded is not null) loaded.Dispose(); else classifier.Dispose();
        }
    }

    /// <summary>The generic part for a model without the fast path: one LIME explanation of a 99-token and a 255-token
    /// synthetic document (words drawn from the model's vocabulary) in both removal modes against the forward passes it
    /// needs, then the forward rate by batch size.</summary>
    private static void RunGeneric(LoadedModel loaded, string modelDir, int samples)
    {
        var inputs = loaded.Model.Inputs;
        Console.WriteLine($"model: {modelDir}: {loaded.Architecture.Summary}, L = {inputs.Length}, {loaded.Model.Module.parameters().Sum(p => p.numel()):N0} parameters (no fast path: the generic batched forward)");
        Console.WriteLine($"threads: {torch.get_num_threads()} (libtorch), {Environment.ProcessorCount} cores");
        Console.WriteLine($"cpu: {CpuInfo.Describe()}");
        var target = new ExplainTarget(loaded.Model, loaded.Vocabulary);
        var rng = new Random(1);
        var words = loaded.Vocabulary.Tokens.Skip(2).ToArray();
        var docs = new[] { Synthetic(target, rng, words, 99, 150, "synthetic-99"), Synthetic(target, rng, words, 255, 400, "synthetic-255") };
        Console.WriteLine();
        Console.WriteLine($"LIME through the generic batched forward (batch {target.Scorer.BatchSize}, {torch.get_num_threads()} libtorch threads), against its floor:");
        Console.WriteLine($"the forward passes alone, {samples} perturbed documents at the measured forward rate ({samples} / documents per second), and");
        Console.WriteLine("the distinct documents among them (the only ones the generic path scores). One run each, in ms:");
        Console.WriteLine($"{"document",-22} {"removal",-8} {"generic LIME",13} {"docs/s",8} {$"{samples} fwd",10} {"distinct",9} {"their fwd",10} {"LIME/fwd",9}");
        foreach (var doc in docs)
            foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
                GenericLimeRow(target, doc, mode, samples, compareFast: false);
        ForwardRates(loaded.Model, docs[0], samples, inputs.Length);
    }

    /// <summary>Documents per second of the batched forward at batch sizes 32 to 2,048 (LIME's perturbed documents).</summary>
    private static void ForwardRates(ITextClassifier model, ExplainDocument doc, int samples, int length)
    {
        Console.Write($"forward documents per second by batch size ({samples} documents, {torch.get_num_threads()} libtorch threads):");
        var (ids, lengths, _) = PerturbedDocuments(doc, RemovalMode.Delete, samples);
        var sw = new Stopwatch();
        foreach (int batch in new[] { 32, 128, 512, 2048 })
        {
            var scorer = new ClassifierScorer(model, batch);
            scorer.Score(ids.AsSpan(0, Math.Min(batch, samples) * length), lengths.AsSpan(0, Math.Min(batch, samples)), Math.Min(batch, samples));  // warm-up
            sw.Restart();
            scorer.Score(ids, lengths, samples);
            Console.Write($" {batch}: {samples / sw.Elapsed.TotalSeconds:F0}");
        }
        Console.WriteLine();
    }

    /// <summary>
    /// Median and minimum of <paramref name="runs"/> timings of <paramref name="action"/>, in ms, after a warm-up until
    /// the JIT's tiering has replaced the first, unoptimised code of every method involved (<see cref="Settle"/>), then
    /// 10 more calls right before the timed ones, so that these start in the steady state a study runs in rather than
    /// just after an idle pause.
    /// </summary>
    private static (double Median, double Min) Timed(int runs, Action action) => TimedWithCounts(runs, action).Time;

    /// <summary><see cref="Timed"/>, with what the timed runs allocated (bytes per run), the garbage collections among
    /// them and the process's minor page faults during them.</summary>
    private static ((double Median, double Min) Time, double BytesPerRun, int Collections, long PageFaults) TimedWithCounts(int runs, Action action)
    {
        Settle(action);
        for (int k = 0; k < 10; k++) action();
        var times = new double[runs];
        var sw = new Stopwatch();
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        int collections = GC.CollectionCount(0);
        long faults = MinorPageFaults();
        for (int r = 0; r < runs; r++)
        {
            sw.Restart();
            action();
            times[r] = sw.Elapsed.TotalMilliseconds;
        }
        faults = MinorPageFaults() - faults;
        collections = GC.CollectionCount(0) - collections;
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        Array.Sort(times);
        return ((times[runs / 2], times[0]), (double)bytes / runs, collections, faults);
    }

    /// <summary>
    /// Calls <paramref name="action"/> in rounds of 30, each followed by a 300 ms pause, until the JIT compiled no
    /// method during four rounds in a row, over 1.2 s (at most 60 rounds). The tiered JIT replaces a method's first code
    /// in the background, twice with dynamic PGO (instrumented, then optimised code), each time after 30 calls and a
    /// delay that restarts while other methods are compiled; the former fixed warm-up (two rounds of 30 calls and a
    /// 200 ms pause) can end before that on a slow or busy machine, and the whole explanation, timed first, then runs
    /// code its steps, timed after it, no longer run (measured with the tier-up delayed, DOTNET_TC_CallCountingDelayMs=1000,
    /// and that warm-up: the whole took 10.3 ms, 2.2 ms beyond its steps).
    /// </summary>
    private static void Settle(Action action)
    {
        long last = -1;
        for (int round = 0, quiet = 0; round < 60 && quiet < 4; round++)
        {
            for (int k = 0; k < 30; k++) action();
            Thread.Sleep(300);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    /// <summary>The process's minor page faults so far (Linux /proc/self/stat, field 10; 0 elsewhere).</summary>
    private static long MinorPageFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) ": field 3, the state, first
            return long.Parse(fields[10 - 3], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException) { return 0; }
    }

    private static string Mode(RemovalMode mode) => mode == RemovalMode.Delete ? "delete" : "unk";

    /// <summary>
    /// One fast-path LIME explanation and its steps, each timed apart (median / min of 41): sampling into a reused
    /// buffer, f of all rows, Lime.Fit on those masks and outputs, and the ridge solve alone.
    /// </summary>
    private static void FastLimeRow(ExplainTarget target, ExplainDocument doc, RemovalMode mode, int samples)
    {
        const int runs = 41;
        int d = doc.WordCount;
        var options = new LimeOptions { SampleCount = samples, Seed = 7 };
        var fast = target.FastPath.For(doc, mode);
        var (total, bytes, collections, faults) = TimedWithCounts(runs, () => Lime.Explain(fast, options));
        var masks = new bool[samples * d];
        var sampling = Timed(runs, () => new LimeSampler(d, 7).Fill(masks));
        double[] y = fast.Evaluate(masks, samples);
        var f = Timed(runs, () => y = fast.Evaluate(masks, samples));
        var fit = Timed(runs, () => Lime.Fit(masks, y, d, options));
        var weights = new double[samples];
        for (int i = 0; i < samples; i++) weights[i] = LimeKernel.Weight(LimeKernel.Distance(LimeKernel.KeptCount(masks.AsSpan(i * d, d)), d));
        var moments = WeightedMoments.FromRows(masks, y, weights, d);
        var solve = Timed(runs, () => WeightedRidge.Solve(moments, options.RidgeAlpha));
        double other = total.Median - sampling.Median - f.Median - fit.Median;
        static string Pair((double Median, double Min) t) => $"{t.Median:F2} / {t.Min:F2}";
        Console.WriteLine($"{doc.Label + $" (d={d})",-22} {Mode(mode),-8} {Pair(total),15} {Pair(sampling),15} {Pair(f),15} {Pair(fit),15} {solve.Median,8:F2} {other,7:F2} {bytes / 1024,8:F1} {collections,4} {faults,7}");
    }

    /// <summary>
    /// One generic-path LIME explanation next to the forward passes it needs: all n perturbed documents scored at
    /// the scorer's batch size (the forward rate), and how many of them are distinct.
    /// </summary>
    private static void GenericLimeRow(ExplainTarget target, ExplainDocument doc, RemovalMode mode, int samples, bool compareFast = true)
    {
        var options = new LimeOptions { SampleCount = samples, Seed = 7 };
        var generic = new ScorerPerturbationModel(target.Scorer, doc, mode);
        Lime.Explain(generic, options with { SampleCount = 200 });  // warm-up
        var sw = Stopwatch.StartNew();
        var gr = Lime.Explain(generic, options);
        double limeMs = sw.Elapsed.TotalMilliseconds;
        var all = PerturbedDocuments(doc, mode, samples);
        sw.Restart();
        target.Scorer.Score(all.Ids, all.RealLengths, samples);
        double forwardMs = sw.Elapsed.TotalMilliseconds, docsPerSecond = samples / (forwardMs / 1000);
        double distinctMs = all.Distinct / docsPerSecond * 1000;
        string row = $"{doc.Label + $" (d={doc.WordCount})",-22} {Mode(mode),-8} {limeMs,13:F0} {docsPerSecond,8:F0} {forwardMs,10:F0} {all.Distinct,9} {distinctMs,10:F0} {limeMs / forwardMs,9:F2}";
        if (compareFast)
        {
            var fr = Lime.Explain(target.FastPath.For(doc, mode), options);
            row += $" {fr.Coefficients.Zip(gr.Coefficients, (a, b) => Math.Abs(a - b)).Max(),16:E1}";
        }
        Console.WriteLine(row);
    }

    /// <summary>The perturbed ids and real lengths of LIME's n masks (seed 7) for a document, and how many distinct documents they are.</summary>
    private static (long[] Ids, int[] RealLengths, int Distinct) PerturbedDocuments(ExplainDocument doc, RemovalMode mode, int samples)
    {
        int d = doc.WordCount, L = doc.Length;
        var masks = LimeSampler.Sample(d, samples, 7);
        var ids = new long[samples * L];
        var lengths = new int[samples];
        var distinct = new HashSet<string>();
        for (int r = 0; r < samples; r++)
        {
            lengths[r] = doc.PerturbedIds(masks.AsSpan(r * d, d), mode, ids.AsSpan(r * L, L));
            distinct.Add(lengths[r] + ":" + string.Join(',', ids.AsSpan(r * L, lengths[r]).ToArray()));
        }
        return (ids, lengths, distinct.Count);
    }

    /// <summary>
    /// The reproduction's LIME study itself (Studies.LimeStudy with the paper protocol: 5 runs of n = 5000, the
    /// 50,000-sample limit on every 10th document, Theorem 5.1, agreement measures, CSVs and figures) over the corpus,
    /// one worker per core, in a temporary folder. Its wall time depends on what else runs; the process's CPU time
    /// per document, spread over the workers, estimates the 25,000-review study on otherwise free cores.
    /// </summary>
    private static void StudyRows(AttentionClassifier classifier, Vocabulary vocabulary, IReadOnlyList<string> texts)
    {
        var reviews = texts.Select((t, i) => new ImdbReview(ImdbSplit.Test, i % 2, i, i % 2 == 1 ? 8 : 3, t)).ToArray();
        var settings = new ReproduceSettings();
        using var ctx = new ReproduceContext(new ModelBundle(classifier, vocabulary), reviews, settings);
        Console.WriteLine($"The LIME study (reproduce's Studies.LimeStudy: {settings.LimeRuns} runs of n = {settings.LimeSamples}, the {settings.LimitSamples}-sample limit on every " +
                          $"{settings.LimitEvery}th document, Theorem 5.1, CSVs, figures) over these {reviews.Length} documents, {settings.Threads} workers:");
        foreach (var mode in new[] { RemovalMode.Delete, RemovalMode.ReplaceWithUnk })
        {
            var dir = Directory.CreateTempSubdirectory("attnxai-bench-study-");
            try
            {
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                Studies.LimeStudy(ctx, mode, dir.FullName);
                double wall = sw.Elapsed.TotalSeconds;
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds, cpuPerDoc = cpu / reviews.Length;
                Console.WriteLine($"  {Mode(mode),-8} {wall,7:F1} s wall, {cpu,7:F1} s CPU = {1000 * cpuPerDoc,6:F2} ms CPU per document: 25,000 documents on " +
                                  $"{settings.Threads} free cores in about {25_000 * cpuPerDoc / settings.Threads / 60:F1} min");
            }
            finally { dir.Delete(recursive: true); }
        }
    }

    private static ExplainDocument Synthetic(ExplainTarget target, Random rng, string[] words, int tokens, int pool, string label)
    {
        int L = target.Inputs.Length;
        tokens = Math.Min(tokens, L - 1);
        pool = Math.Min(pool, words.Length);
        var text = string.Join(' ', Enumerable.Range(0, tokens).Select(_ => words[rng.Next(pool)]));
        return ExplainDocument.FromTokens(text, text.Split(' '), tok => target.Vocabulary!.TryGetWordId(tok, out int id) ? id : target.Inputs.UnkId, target.Inputs, label);
    }

    private sealed record CorpusData(string Source, IReadOnlyList<string> Texts, IReadOnlyList<ExplainDocument> Docs)
    {
        public int Count => Docs.Count;
    }

    private static CorpusData Corpus(ExplainTarget target, LoadedModel? loaded, string? dataPath, int count, Random rng, string[] words)
    {
        if (loaded is not null)
        {
            try
            {
                var ds = AttnXai.Data.Sources.DataSource.Read(dataPath);
                var texts = (ds.Test ?? ds.Train).Take(count).Select(r => r.Text).ToArray();
                return new CorpusData($"test texts of {ds.Description}", texts, texts.Select(t => target.Prepare(t)).ToArray());
            }
            catch (AttnXai.Data.DataException e) { Console.WriteLine($"(no data: {e.Message}; using synthetic documents)"); }
        }
        // Synthetic documents with IMDB-like lengths (log-normal around 230 words, truncated to L - 1).
        var list = new List<string>();
        for (int i = 0; i < count; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            int n = Math.Clamp((int)Math.Exp(Math.Log(175) + 0.75 * g), 10, 1000);
            list.Add(string.Join(' ', Enumerable.Range(0, n).Select(_ => words[(int)Math.Min(words.Length - 1, Math.Exp(rng.NextDouble() * Math.Log(words.Length)))])));
        }
        return new CorpusData("synthetic documents", list, list.Select(t => target.Prepare(t)).ToArray());
    }
}
