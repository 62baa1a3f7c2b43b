using AttnXai.Explain.FastPath;
using AttnXai.Common.Random;
namespace AttnXai.Explain.Perturbation;

/// <summary>
/// LIME for text exactly as lime's LimeTextExplainer runs it with default settings and all features kept
/// (see docs/model-and-protocols.md section 4), on any <see cref="IPerturbationModel"/>.
/// </summary>
public static class Lime
{
    /// <summary>Default chunk size of <see cref="ExplainLargeSample"/>.</summary>
    public const int DefaultChunkSize = 4096;

    /// <summary>Samples n masks with the seeded lime sampler, evaluates the model and fits the surrogate.</summary>
    public static LimeResult Explain(IPerturbationModel model, LimeOptions? options = null)
    {
        options ??= new LimeOptions();
        options.Validate();
        int d = ModelCalls.FeatureCountOf(model), n = options.SampleCount;
        var work = LimeWorkspace.Rent();
        try
        {
            var masks = work.Masks(checked(n * d)).AsSpan(0, n * d);
            var kept = work.KeptCounts(n).AsSpan(0, n);
            new LimeSampler(d, options.Seed).Fill(masks, kept);
            if (model is FastPerturbationModel fast && n < fast.ParallelThreshold && options.BatchSize is null && !options.KeepSamples)
            {
                // The exact fast path on this thread, into the thread's buffer: the same values, nothing allocated.
                var y = work.Outputs(n).AsSpan(0, n);
                fast.EvaluateInto(masks, n, y);
                ModelCalls.CheckFinite(y, 0, n);
                return FitStored(masks, kept, y, null, d, options, options.Seed, work);
            }
            var outputs = ModelCalls.Evaluate(model, masks, n, options.BatchSize);
            return FitStored(masks, kept, outputs, outputs, d, options, options.Seed, work);
        }
        finally { LimeWorkspace.Return(work); }
    }

    /// <summary>
    /// LIME on caller-supplied masks (rows of d flags, row-major; SampleCount and Seed of the options are ignored):
    /// to repeat a run exactly or to compare with another implementation on the same samples.
    /// </summary>
    public static LimeResult Explain(IPerturbationModel model, ReadOnlySpan<bool> masks, LimeOptions? options = null)
    {
        options ??= new LimeOptions();
        options.Validate();
        int d = ModelCalls.FeatureCountOf(model);
        if (masks.Length == 0 || masks.Length % d != 0)
            throw new ArgumentException($"The masks hold {masks.Length} flags, not a positive multiple of d = {d}.", nameof(masks));
        int n = masks.Length / d;
        var outputs = ModelCalls.Evaluate(model, masks, n, options.BatchSize);
        return FitSupplied(masks, outputs, d, options);
    }

    /// <summary>
    /// The surrogate alone, on caller-supplied masks and model outputs (no model call). Distances and weights are
    /// computed from the masks; SampleCount and Seed of the options are ignored.
    /// </summary>
    public static LimeResult Fit(ReadOnlySpan<bool> masks, ReadOnlySpan<double> outputs, int featureCount, LimeOptions? options = null)
    {
        options ??= new LimeOptions();
        options.Validate();
        if (featureCount < 1) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "There must be at least one feature.");
        if (outputs.Length == 0 || (long)outputs.Length * featureCount != masks.Length)
            throw new ArgumentException($"The masks hold {masks.Length} flags for {outputs.Length} outputs and d = {featureCount}.", nameof(masks));
        for (int i = 0; i < outputs.Length; i++)
            if (!double.IsFinite(outputs[i])) throw new ArgumentException($"Output {i} is not finite ({outputs[i]}).", nameof(outputs));
        return FitSupplied(masks, outputs.ToArray(), featureCount, options);
    }

    /// <summary>
    /// The paper's protocol: <paramref name="runs"/> LIME runs (default 5) with seeds SplitMix64.Derive(options.Seed, r),
    /// r = 0..runs-1, and the mean coefficients.
    /// </summary>
    public static LimeRunSet ExplainRepeated(IPerturbationModel model, int runs = 5, LimeOptions? options = null)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, "There must be at least one run.");
        options ??= new LimeOptions();
        var seeds = new ulong[runs];
        var results = new LimeResult[runs];
        for (int r = 0; r < runs; r++)
        {
            seeds[r] = SplitMix64.Derive(options.Seed, r);
            results[r] = Explain(model, options with { Seed = seeds[r] });
        }
        return new LimeRunSet(results, seeds);
    }

    /// <summary>
    /// The large-sample limit: the same estimator with <paramref name="sampleCount"/> samples (e.g. 10^5 to 10^6) drawn
    /// from the same seeded stream, evaluated and accumulated chunk by chunk (options.BatchSize rows, 4096 by
    /// default) into the weighted normal equations, so memory is O(chunk x d + d^2). With the same seed and
    /// sampleCount = n it reproduces <see cref="Explain(IPerturbationModel, LimeOptions?)"/> up to rounding.
    /// Samples are never kept; Score comes from the moments.
    /// </summary>
    public static LimeResult ExplainLargeSample(IPerturbationModel model, long sampleCount = 500_000, LimeOptions? options = null)
    {
        options ??= new LimeOptions();
        options.Validate();
        if (sampleCount < 2) throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, "LIME needs at least 2 samples.");
        int d = ModelCalls.FeatureCountOf(model);
        int chunk = options.BatchSize ?? DefaultChunkSize;
        var sampler = new LimeSampler(d, options.Seed);
        var moments = new WeightedMoments(d);
        var buffer = new bool[checked(chunk * d)];
        var kept = new int[chunk];
        var weights = new double[chunk];
        var weightOfKept = LimeKernel.WeightsByKeptCount(d, options.KernelWidth);
        var groups = new RowGroups();
        var scratch = new GramScratch();
        double firstOutput = double.NaN;
        for (long start = 0; start < sampleCount; start += chunk)
        {
            int m = (int)Math.Min(chunk, sampleCount - start);
            var rows = buffer.AsSpan(0, m * d);
            sampler.Fill(rows, kept.AsSpan(0, m));
            var outputs = ModelCalls.EvaluateChecked(model, rows, m, start, sampleCount);
            for (int i = 0; i < m; i++) weights[i] = weightOfKept[kept[i]];
            groups.SetByKeptCount(kept.AsSpan(0, m), weightOfKept);
            if (start == 0) firstOutput = outputs[0];
            moments.AddRows(rows, outputs, weights.AsSpan(0, m), groups, scratch);
        }
        var fit = WeightedRidge.Solve(moments, options.RidgeAlpha);
        return new LimeResult
        {
            Coefficients = fit.Coefficients,
            Intercept = fit.Intercept,
            Score = fit.Score,
            LocalPrediction = fit.Intercept + fit.Coefficients.Sum(),
            FirstRowOutput = firstOutput,
            SampleCount = sampleCount,
            Seed = options.Seed,
            KernelWidth = options.KernelWidth,
            RidgeAlpha = options.RidgeAlpha,
        };
    }

    /// <summary>The surrogate on caller-supplied masks: their kept counts, then <see cref="FitStored"/>.</summary>
    private static LimeResult FitSupplied(ReadOnlySpan<bool> masks, double[] outputs, int d, LimeOptions options)
    {
        var work = LimeWorkspace.Rent();
        try
        {
            int n = outputs.Length;
            var kept = work.KeptCounts(n).AsSpan(0, n);
            for (int i = 0; i < n; i++) kept[i] = LimeKernel.KeptCount(masks.Slice(i * d, d));
            return FitStored(masks, kept, outputs, outputs, d, options, null, work);
        }
        finally { LimeWorkspace.Return(work); }
    }

    /// <summary>
    /// The surrogate on n = outputs.Length rows: each row's kernel weight from its number of kept words, the weighted
    /// moments (rows grouped by kept count), the ridge solve, and lime's score. The samples are copied into the result
    /// only with KeepSamples.
    /// </summary>
    private static LimeResult FitStored(ReadOnlySpan<bool> masks, ReadOnlySpan<int> kept, ReadOnlySpan<double> outputs, double[]? outputArray, int d, LimeOptions options,
        ulong? seed, LimeWorkspace work)
    {
        int n = outputs.Length;
        var weightOfKept = LimeKernel.WeightsByKeptCount(d, options.KernelWidth);
        var weights = options.KeepSamples ? new double[n] : work.Weights(n);
        for (int i = 0; i < n; i++) weights[i] = weightOfKept[kept[i]];
        work.Groups.SetByKeptCount(kept, weightOfKept);
        var moments = work.Moments(d);
        moments.SetFromRows(masks, outputs, weights.AsSpan(0, n), work.Groups, work.Gram);
        var fit = WeightedRidge.Solve(moments, options.RidgeAlpha);
        double score = ScoreOfResiduals(masks, outputs, weights, fit, moments.MeanY, d);

        LimeSamples? samples = null;
        if (options.KeepSamples)
        {
            var distances = new double[n];
            for (int i = 0; i < n; i++) distances[i] = LimeKernel.Distance(kept[i], d);
            samples = new LimeSamples(d, masks.ToArray(), distances, weights, outputArray ?? outputs.ToArray());
        }
        return new LimeResult
        {
            Coefficients = fit.Coefficients,
            Intercept = fit.Intercept,
            Score = score,
            LocalPrediction = fit.Intercept + fit.Coefficients.Sum(),
            FirstRowOutput = outputs[0],
            SampleCount = n,
            Seed = seed,
            KernelWidth = options.KernelWidth,
            RidgeAlpha = options.RidgeAlpha,
            Samples = samples,
        };
    }

    /// <summary>lime's score: r2_score(y, surrogate(X), sample_weight=pi), from the residuals themselves.</summary>
    private static double ScoreOfResiduals(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, RidgeFit fit, double meanY, int d)
    {
        double ssRes = 0, ssTot = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double r = y[i] - (fit.Intercept + BinaryRows.Dot(rows.Slice(i * d, d), fit.Coefficients));
            double t = y[i] - meanY;
            ssRes += weights[i] * r * r;
            ssTot += weights[i] * t * t;
        }
        return WeightedRidge.R2(ssRes, ssTot);
    }
}

/// <summary>
/// Buffers a thread reuses across LIME explanations (masks, kept counts, weights, row groups, moments, bitsets), so
/// that an explanation allocates little beyond its result. <see cref="Rent"/> takes the thread's workspace (a fresh
/// one when it is already in use, e.g. by a nested call) and <see cref="Return"/> gives it back.
/// </summary>
internal sealed class LimeWorkspace
{
    [ThreadStatic] private static LimeWorkspace? _idle;

    private bool[] _masks = [];
    private int[] _kept = [];
    private double[] _weights = [];
    private double[] _outputs = [];
    private WeightedMoments? _moments;

    public RowGroups Groups { get; } = new();
    public GramScratch Gram { get; } = new();

    public static LimeWorkspace Rent()
    {
        var work = _idle ?? new LimeWorkspace();
        _idle = null;
        return work;
    }

    public static void Return(LimeWorkspace work) => _idle = work;

    /// <summary>A mask buffer of at least <paramref name="length"/> flags (contents undefined).</summary>
    public bool[] Masks(int length) => _masks.Length >= length ? _masks : _masks = new bool[length];

    /// <summary>A buffer of at least <paramref name="n"/> kept counts (contents undefined).</summary>
    public int[] KeptCounts(int n) => _kept.Length >= n ? _kept : _kept = new int[n];

    /// <summary>A buffer of at least <paramref name="n"/> model outputs (contents undefined).</summary>
    public double[] Outputs(int n) => _outputs.Length >= n ? _outputs : _outputs = new double[n];

    /// <summary>A buffer of at least <paramref name="n"/> weights (contents undefined).</summary>
    public double[] Weights(int n) => _weights.Length >= n ? _weights : _weights = new double[n];

    /// <summary>Moments for d features, overwritten by each use.</summary>
    public WeightedMoments Moments(int d) => _moments?.FeatureCount == d ? _moments : _moments = new WeightedMoments(d);
}
