using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;

namespace AttnXai.Explain.FastPath;

/// <summary>
/// The exact fast evaluator of the paper's model on perturbed documents (one per model; cheap to share).
/// <para>
/// Keys, values and scores are linear in the embedding and e_t = W_e[x_t] + PE(t); the [CLS] query q_0 = W_q e_0 is
/// the same for every document (position 0 always holds [CLS], which is never removed). So per head i, with
/// u_i = W_k^T q_0 / sqrt(d_att) and r_i = W_v^T W_l[1], the score of word w at position t is
/// z = a_i(w) + b_i(t) (a_i(w) = u_i . W_e[w], b_i(t) = u_i . PE(t)) and its contribution to the head's positive
/// logit is c_i(w) + d_i(t) (c_i(w) = r_i . W_e[w], d_i(t) = r_i . PE(t)); f = (1/K) sum_i sum_t softmax_t(z)(c + d).
/// </para>
/// <para>
/// The position tables (b, d and suffix sums over the UNK padding tail) are built here once; each document adds its
/// words' a and c (<see cref="For"/>). A perturbed document then costs O(T K); the padding tail costs O(1) per head.
/// When the score ranges allow it (max - min of a plus max - min of b at most 600 per head, so no term underflows),
/// exp(z - M) = exp(a - max a) exp(b - max b) is a product of two table entries and no exponential is evaluated per
/// token; otherwise each row is evaluated with exponentials shifted by its own exact maximum (stable in any case).
/// </para>
/// </summary>
public sealed class FastPathModel
{
    /// <summary>Largest total score range (per head) for which the product form is used.</summary>
    public const double ProductRangeLimit = 600;

    public FastPathModel(PaperWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Weights = weights;
        var w = weights;
        int K = w.K, L = w.L, De = w.De, Da = w.Da;
        U = new double[K * De];
        var e0 = new double[De];
        w.Embed(w.ClsId, 0, e0);
        var q = new double[Da];
        for (int i = 0; i < K; i++)
        {
            PaperWeights.MatVec(w.Wq, i * Da * De, Da, De, e0, q);
            var u = U.AsSpan(i * De, De);
            PaperWeights.MatTVec(w.Wk, i * Da * De, Da, De, q, u);
            for (int d = 0; d < De; d++) u[d] *= w.InvSqrtDa;
        }
        B = new double[L * K];
        D = new double[L * K];
        for (int t = 0; t < L; t++)
        {
            var pe = w.PE.AsSpan(t * De, De);
            for (int i = 0; i < K; i++)
            {
                B[t * K + i] = PaperForwardPass.Dot(U.AsSpan(i * De, De), pe);
                D[t * K + i] = PaperForwardPass.Dot(w.ValueDirection.AsSpan(i * De, De), pe);
            }
        }
        BMax = new double[K];
        BMin = new double[K];
        for (int i = 0; i < K; i++) { BMax[i] = double.NegativeInfinity; BMin[i] = double.PositiveInfinity; }
        for (int t = 0; t < L; t++)
            for (int i = 0; i < K; i++) { BMax[i] = Math.Max(BMax[i], B[t * K + i]); BMin[i] = Math.Min(BMin[i], B[t * K + i]); }

        // Product form: P = exp(b - max b); suffix sums SP[t] = sum_{s >= t} P[s], SPD[t] = sum_{s >= t} P[s] d(s).
        P = new double[L * K];
        SP = new double[(L + 1) * K];
        SPD = new double[(L + 1) * K];
        // Exponential form: suffix maxima of b and sums referenced to them.
        SufMaxB = new double[(L + 1) * K];
        S0Ref = new double[(L + 1) * K];
        SDRef = new double[(L + 1) * K];
        for (int i = 0; i < K; i++) SufMaxB[L * K + i] = double.NegativeInfinity;
        for (int t = L - 1; t >= 0; t--)
            for (int i = 0; i < K; i++)
            {
                int x = t * K + i, nx = (t + 1) * K + i;
                P[x] = Math.Exp(B[x] - BMax[i]);
                SP[x] = SP[nx] + P[x];
                SPD[x] = SPD[nx] + P[x] * D[x];
                double m = Math.Max(B[x], SufMaxB[nx]);
                SufMaxB[x] = m;
                double scale = t == L - 1 ? 0 : Math.Exp(SufMaxB[nx] - m);
                double own = Math.Exp(B[x] - m);
                S0Ref[x] = S0Ref[nx] * scale + own;
                SDRef[x] = SDRef[nx] * scale + own * D[x];
            }
    }

    public PaperWeights Weights { get; }
    internal double[] U { get; }
    internal double[] B { get; }
    internal double[] D { get; }
    internal double[] BMax { get; }
    internal double[] BMin { get; }
    internal double[] P { get; }
    internal double[] SP { get; }
    internal double[] SPD { get; }
    internal double[] SufMaxB { get; }
    internal double[] S0Ref { get; }
    internal double[] SDRef { get; }

    /// <summary>The fast evaluator of one document under a removal mode.</summary>
    /// <param name="forceExponentials">Use the per-row exponential form even when the product form is safe (for tests).</param>
    public FastPerturbationModel For(ExplainDocument document, RemovalMode mode, bool forceExponentials = false)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.Length != Weights.L)
            throw new ArgumentException($"the document was encoded for length {document.Length}, the model has {Weights.L}", nameof(document));
        return new FastPerturbationModel(this, document, mode, forceExponentials);
    }
}

/// <summary>
/// <see cref="IPerturbationModel"/> on <see cref="FastPathModel"/>: f (the raw positive logit) of a document with
/// words removed (Delete or ReplaceWithUnk), exactly as the model computes it (up to rounding), in O(T K) per row.
/// Word tables index the document's d words, then UNK (index d), then [CLS] (index d + 1).
/// </summary>
public sealed class FastPerturbationModel : IPerturbationModel
{
    private readonly FastPathModel _m;
    private readonly ExplainDocument _doc;
    private readonly int _k, _d, _unk, _cls;
    private readonly double[] _a, _c, _e;   // [(d + 2) * K]
    private readonly bool _masked;

    internal FastPerturbationModel(FastPathModel model, ExplainDocument document, RemovalMode mode, bool forceExponentials)
    {
        _m = model;
        _doc = document;
        Mode = mode;
        var w = model.Weights;
        _k = w.K;
        _d = document.WordCount;
        _unk = _d;
        _cls = _d + 1;
        _masked = w.Config.PaddingMask;
        int n = _d + 2, K = _k, De = w.De;
        _a = new double[n * K];
        _c = new double[n * K];
        _e = new double[n * K];
        var aMax = new double[K];
        var aMin = new double[K];
        for (int i = 0; i < K; i++) { aMax[i] = double.NegativeInfinity; aMin[i] = double.PositiveInfinity; }
        for (int j = 0; j < n; j++)
        {
            long id = j < _d ? document.WordIds[j] : j == _unk ? w.UnkId : w.ClsId;
            var we = w.We.AsSpan((int)(id * De), De);
            for (int i = 0; i < K; i++)
            {
                double a = PaperForwardPass.Dot(model.U.AsSpan(i * De, De), we);
                _a[j * K + i] = a;
                _c[j * K + i] = PaperForwardPass.Dot(w.ValueDirection.AsSpan(i * De, De), we);
                aMax[i] = Math.Max(aMax[i], a);
                aMin[i] = Math.Min(aMin[i], a);
            }
        }
        bool products = !forceExponentials;
        for (int i = 0; i < K; i++)
            if (!(aMax[i] - aMin[i] + model.BMax[i] - model.BMin[i] <= FastPathModel.ProductRangeLimit)) products = false;
        UsesProducts = products;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < K; i++) _e[j * K + i] = Math.Exp(_a[j * K + i] - aMax[i]);
    }

    public int FeatureCount => _d;
    public RemovalMode Mode { get; }
    public ExplainDocument Document => _doc;
    /// <summary>True when rows are evaluated in the product form (no exponential per token).</summary>
    public bool UsesProducts { get; }

    /// <summary>Rows are evaluated on parallel threads when there are at least this many.</summary>
    public int ParallelThreshold { get; init; } = 2048;

    public double[] Evaluate(ReadOnlySpan<bool> keep, int count)
    {
        int d = _d;
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the row count must be non-negative");
        if ((long)count * d != keep.Length) throw new ArgumentException($"{keep.Length} flags for {count} rows of d = {d}", nameof(keep));
        var y = new double[count];
        if (count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            var copy = keep.ToArray();
            int chunk = 256;
            Parallel.For(0, (count + chunk - 1) / chunk, c =>
            {
                int start = c * chunk, end = Math.Min(count, start + chunk);
                var s0 = new double[_k];
                var s1 = new double[_k];
                var z = new double[(_doc.TokenCount + 1) * _k];
                for (int r = start; r < end; r++) y[r] = Row(copy.AsSpan(r * d, d), s0, s1, z);
            });
        }
        else
        {
            var s0 = new double[_k];
            var s1 = new double[_k];
            var z = new double[(_doc.TokenCount + 1) * _k];
            for (int r = 0; r < count; r++) y[r] = Row(keep.Slice(r * d, d), s0, s1, z);
        }
        return y;
    }

    /// <summary>f of one mask row.</summary>
    public double EvaluateRow(ReadOnlySpan<bool> keep)
    {
        if (keep.Length != _d) throw new ArgumentException($"a row holds d = {_d} flags", nameof(keep));
        return Row(keep, new double[_k], new double[_k], new double[(_doc.TokenCount + 1) * _k]);
    }

    private double Row(ReadOnlySpan<bool> keep, double[] s0, double[] s1, double[] zbuf)
        => UsesProducts ? RowProducts(keep, s0, s1) : RowExponentials(keep, s0, s1, zbuf);

    private double RowProducts(ReadOnlySpan<bool> keep, double[] s0a, double[] s1a)
    {
        int K = _k;
        // Unchecked access: every index below is within the tables by construction (words < d + 2, positions < L).
        ref double P = ref MemoryMarshal.GetArrayDataReference(_m.P);
        ref double D = ref MemoryMarshal.GetArrayDataReference(_m.D);
        ref double e = ref MemoryMarshal.GetArrayDataReference(_e);
        ref double c = ref MemoryMarshal.GetArrayDataReference(_c);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(s0a);
        ref double s1 = ref MemoryMarshal.GetArrayDataReference(s1a);
        int wc = _cls * K;
        for (int i = 0; i < K; i++)
        {
            double x = Unsafe.Add(ref e, wc + i) * Unsafe.Add(ref P, i);
            Unsafe.Add(ref s0, i) = x;
            Unsafe.Add(ref s1, i) = x * (Unsafe.Add(ref c, wc + i) + Unsafe.Add(ref D, i));
        }
        var tokens = _doc.WordOfToken;
        bool delete = Mode == RemovalMode.Delete;
        int pos = 1;
        for (int t = 0; t < tokens.Length; t++)
        {
            int w = tokens[t];
            if (!keep[w])
            {
                if (delete) continue;
                w = _unk;
            }
            ref double ew = ref Unsafe.Add(ref e, w * K);
            ref double cw = ref Unsafe.Add(ref c, w * K);
            ref double pp = ref Unsafe.Add(ref P, pos * K);
            ref double dp = ref Unsafe.Add(ref D, pos * K);
            for (int i = 0; i < K; i++)
            {
                double x = Unsafe.Add(ref ew, i) * Unsafe.Add(ref pp, i);
                Unsafe.Add(ref s0, i) += x;
                Unsafe.Add(ref s1, i) += x * (Unsafe.Add(ref cw, i) + Unsafe.Add(ref dp, i));
            }
            pos++;
        }
        if (!_masked)
        {
            int uo = _unk * K, to = pos * K;
            for (int i = 0; i < K; i++)
            {
                double eu = _e[uo + i];
                s0a[i] += eu * _m.SP[to + i];
                s1a[i] += eu * (_c[uo + i] * _m.SP[to + i] + _m.SPD[to + i]);
            }
        }
        double f = 0;
        for (int i = 0; i < K; i++) f += s1a[i] / s0a[i];
        return f / K;
    }

    private double RowExponentials(ReadOnlySpan<bool> keep, double[] s0, double[] s1, double[] z)
    {
        int K = _k;
        var B = _m.B;
        var D = _m.D;
        var a = _a;
        var c = _c;
        var tokens = _doc.WordOfToken;
        bool delete = Mode == RemovalMode.Delete;
        // Pass 1: scores of the positions holding [CLS] and words, and each head's exact maximum.
        Span<double> max = stackalloc double[K];
        var words = new int[tokens.Length + 1];
        words[0] = _cls;
        int pos = 1;
        for (int t = 0; t < tokens.Length; t++)
        {
            int w = tokens[t];
            if (!keep[w])
            {
                if (delete) continue;
                w = _unk;
            }
            words[pos++] = w;
        }
        int n = pos;
        for (int i = 0; i < K; i++) max[i] = double.NegativeInfinity;
        for (int p = 0; p < n; p++)
            for (int i = 0; i < K; i++)
            {
                double v = a[words[p] * K + i] + B[p * K + i];
                z[p * K + i] = v;
                if (v > max[i]) max[i] = v;
            }
        bool tail = !_masked && n < _m.Weights.L;
        int uo = _unk * K, to = n * K;
        if (tail)
            for (int i = 0; i < K; i++) max[i] = Math.Max(max[i], a[uo + i] + _m.SufMaxB[to + i]);
        for (int i = 0; i < K; i++) { s0[i] = 0; s1[i] = 0; }
        for (int p = 0; p < n; p++)
        {
            int wo = words[p] * K, po = p * K;
            for (int i = 0; i < K; i++)
            {
                double x = Math.Exp(z[po + i] - max[i]);
                s0[i] += x;
                s1[i] += x * (c[wo + i] + D[po + i]);
            }
        }
        if (tail)
            for (int i = 0; i < K; i++)
            {
                double scale = Math.Exp(a[uo + i] + _m.SufMaxB[to + i] - max[i]);
                s0[i] += scale * _m.S0Ref[to + i];
                s1[i] += scale * (c[uo + i] * _m.S0Ref[to + i] + _m.SDRef[to + i]);
            }
        double f = 0;
        for (int i = 0; i < K; i++) f += s1[i] / s0[i];
        return f / K;
    }
}
