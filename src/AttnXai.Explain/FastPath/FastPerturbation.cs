using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Explain.Perturbation;

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

        // The product-form tables again, each position's K heads padded to Stride lanes (zeros): rows are summed two
        // Vector<double> blocks at a time, whose sums are independent (two add chains in flight).
        Stride = PaddedHeads(K);
        PaddedP = Pad(P, L, K, Stride);
        PaddedD = Pad(D, L, K, Stride);
        PaddedSP = Pad(SP, L + 1, K, Stride);
        PaddedSPD = Pad(SPD, L + 1, K, Stride);
    }

    /// <summary>K rounded up to a whole number of pairs of Vector&lt;double&gt; blocks (8 lanes with AVX2).</summary>
    internal static int PaddedHeads(int heads) => (heads + BlockPair - 1) / BlockPair * BlockPair;

    /// <summary>Lanes of two Vector&lt;double&gt; blocks.</summary>
    internal static int BlockPair => 2 * Vector<double>.Count;

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="k"/> values into rows of <paramref name="stride"/> values (zero-padded).</summary>
    internal static double[] Pad(double[] table, int rows, int k, int stride)
    {
        var padded = new double[rows * stride];
        for (int r = 0; r < rows; r++) table.AsSpan(r * k, k).CopyTo(padded.AsSpan(r * stride));
        return padded;
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
    /// <summary>Lanes per position in the padded tables: K rounded up to a multiple of 2 Vector&lt;double&gt;.Count.</summary>
    internal int Stride { get; }
    /// <summary>P, D, SP and SPD with rows of <see cref="Stride"/> lanes (heads K.. are zero).</summary>
    internal double[] PaddedP { get; }
    internal double[] PaddedD { get; }
    internal double[] PaddedSP { get; }
    internal double[] PaddedSPD { get; }

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
/// <para>
/// Product form: per head, s0 = sum_p e(w_p) P(p) and s1 = sum_p e(w_p) P(p) (c(w_p) + D(p)) over the positions p of
/// the perturbed document ([CLS], its tokens, the UNK padding tail), and f = (1/K) sum_i s1_i / s0_i. The K heads of
/// a term are the lanes of Vector&lt;double&gt; values (rows of the tables padded to <see cref="FastPathModel.Stride"/>),
/// and every term is positive, so no sum cancels.
/// - Delete: the kept tokens move to positions 1, 2, ...: a row lists them, sums their terms and adds the padding
///   tail that starts after them (tabulated per start position).
/// - ReplaceWithUnk: no token moves, so each word's terms are summed over its occurrences once per document, both
///   for the word kept and for the word replaced by UNK; a row adds one of the two per word, O(d K).
/// </para>
/// </summary>
public sealed class FastPerturbationModel : IPerturbationModel
{
    private readonly FastPathModel _m;
    private readonly ExplainDocument _doc;
    private readonly int _k, _d, _unk, _cls, _stride;
    private readonly double[] _a, _c, _e;   // [(d + 2) * K], the exponential form's tables
    private readonly bool _masked;
    // The product form's tables, in rows of _stride lanes (set by the constructor only).
    private double[] _start0 = [], _start1 = [];  // [stride]: the terms of [CLS] (Delete), plus the padding tail (Unk)
    private double[] _wordE = [], _wordC = [];    // [(d + 2) * stride]: e and c of each word (Delete)
    private double[] _tail0 = [], _tail1 = [];    // [(T + 2) * stride]: the padding tail's terms from position p on (Delete)
    private double[] _choice = [];                // [d * 4 * stride]: word j removed (0) or kept (1), its s0 then its s1 terms (Unk)

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
        _stride = model.Stride;
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
        if (!products) return;

        // [CLS] at position 0: e P(0) and e P(0) (c + D(0)).
        _start0 = new double[_stride];
        _start1 = new double[_stride];
        for (int i = 0; i < K; i++)
        {
            double x = E(_cls, i) * model.P[i];
            _start0[i] = x;
            _start1[i] = x * (C(_cls, i) + model.D[i]);
        }
        if (mode == RemovalMode.Delete) BuildDeleteTables(); else BuildUnkTables();
    }

    private double E(int word, int head) => _e[word * _k + head];
    private double C(int word, int head) => _c[word * _k + head];

    /// <summary>
    /// e and c of every word in padded rows; the padding tail from position p = 1..T+1 on (UNK at p..L-1):
    /// e_unk SP(p) and e_unk (c_unk SP(p) + SPD(p)); zero when padding is masked out.
    /// </summary>
    private void BuildDeleteTables()
    {
        int K = _k, S = _stride, T = _doc.TokenCount;
        _wordE = new double[(_d + 2) * S];
        _wordC = new double[(_d + 2) * S];
        for (int j = 0; j < _d + 2; j++)
        {
            _e.AsSpan(j * K, K).CopyTo(_wordE.AsSpan(j * S));
            _c.AsSpan(j * K, K).CopyTo(_wordC.AsSpan(j * S));
        }
        _tail0 = new double[(T + 2) * S];
        _tail1 = new double[(T + 2) * S];
        if (_masked) return;
        for (int p = 1; p <= T + 1; p++)
            for (int i = 0; i < K; i++)
            {
                double sp = _m.SP[p * K + i];
                _tail0[p * S + i] = E(_unk, i) * sp;
                _tail1[p * S + i] = E(_unk, i) * (C(_unk, i) * sp + _m.SPD[p * K + i]);
            }
    }

    /// <summary>
    /// Per word j, over its occurrences t (position t + 1): H0 = sum P(t + 1), H1 = sum P(t + 1) D(t + 1); its terms
    /// are e H0 and e (c H0 + H1) with (e, c) of the word when kept, of UNK when removed. The padding tail (from
    /// position T + 1, the same in every row) joins [CLS] in the start terms.
    /// </summary>
    private void BuildUnkTables()
    {
        int K = _k, S = _stride, T = _doc.TokenCount;
        var h0 = new double[_d * K];
        var h1 = new double[_d * K];
        var tokens = _doc.WordOfToken;
        for (int t = 0; t < T; t++)
            for (int i = 0; i < K; i++)
            {
                int x = (t + 1) * K + i;
                h0[tokens[t] * K + i] += _m.P[x];
                h1[tokens[t] * K + i] += _m.P[x] * _m.D[x];
            }
        _choice = new double[_d * 4 * S];
        for (int j = 0; j < _d; j++)
            for (int kept = 0; kept < 2; kept++)
            {
                int word = kept == 1 ? j : _unk, row = (j * 2 + kept) * 2 * S;
                for (int i = 0; i < K; i++)
                {
                    double e = E(word, i), g0 = h0[j * K + i], g1 = h1[j * K + i];
                    _choice[row + i] = e * g0;
                    _choice[row + S + i] = e * (C(word, i) * g0 + g1);
                }
            }
        if (_masked) return;
        for (int i = 0; i < K; i++)
        {
            double sp = _m.SP[(T + 1) * K + i];
            _start0[i] += E(_unk, i) * sp;
            _start1[i] += E(_unk, i) * (C(_unk, i) * sp + _m.SPD[(T + 1) * K + i]);
        }
    }

    public int FeatureCount => _d;
    public RemovalMode Mode { get; }
    public ExplainDocument Document => _doc;
    /// <summary>True when rows are evaluated in the product form (no exponential per token).</summary>
    public bool UsesProducts { get; }

    /// <summary>
    /// Rows are evaluated on parallel threads when one call has at least this many (default 65,536: a LIME
    /// explanation's 5,000 rows cost about a millisecond and run on the calling thread; studies parallelise over
    /// documents instead).
    /// </summary>
    public int ParallelThreshold { get; init; } = 65_536;

    /// <summary>f of <paramref name="count"/> rows into <paramref name="y"/> (its first count values), on the calling
    /// thread: what <see cref="Evaluate"/> computes below <see cref="ParallelThreshold"/> rows, without allocating the
    /// result (LIME's explanations reuse one buffer per thread).</summary>
    public void EvaluateInto(ReadOnlySpan<bool> keep, int count, Span<double> y)
    {
        int d = _d;
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the row count must be non-negative");
        if ((long)count * d != keep.Length) throw new ArgumentException($"{keep.Length} flags for {count} rows of d = {d}", nameof(keep));
        if (y.Length < count) throw new ArgumentException($"room for {y.Length} values, not {count}", nameof(y));
        var buffers = new RowBuffers(this);
        for (int r = 0; r < count; r++) y[r] = Row(keep.Slice(r * d, d), buffers);
    }

    public double[] Evaluate(ReadOnlySpan<bool> keep, int count)
    {
        int d = _d;
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the row count must be non-negative");
        if ((long)count * d != keep.Length) throw new ArgumentException($"{keep.Length} flags for {count} rows of d = {d}", nameof(keep));
        var y = new double[count];
        if (count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            var copy = keep.ToArray();
            const int chunk = 1024;
            Parallel.For(0, (count + chunk - 1) / chunk, c =>
            {
                int start = c * chunk, end = Math.Min(count, start + chunk);
                var buffers = new RowBuffers(this);
                for (int r = start; r < end; r++) y[r] = Row(copy.AsSpan(r * d, d), buffers);
            });
        }
        else
        {
            var buffers = new RowBuffers(this);
            for (int r = 0; r < count; r++) y[r] = Row(keep.Slice(r * d, d), buffers);
        }
        return y;
    }

    /// <summary>f of one mask row.</summary>
    public double EvaluateRow(ReadOnlySpan<bool> keep)
    {
        if (keep.Length != _d) throw new ArgumentException($"a row holds d = {_d} flags", nameof(keep));
        return Row(keep, new RowBuffers(this));
    }

    /// <summary>Scratch space of one thread's rows.</summary>
    private sealed class RowBuffers(FastPerturbationModel m)
    {
        public readonly int[] Words = new int[m._doc.TokenCount + 1];
        public readonly double[] S0 = new double[m._stride];
        public readonly double[] S1 = new double[m._stride];
        public readonly double[] Z = m.UsesProducts ? [] : new double[(m._doc.TokenCount + 1) * m._k];
    }

    private double Row(ReadOnlySpan<bool> keep, RowBuffers b)
    {
        if (!UsesProducts) return RowExponentials(keep, b);
        if (Mode == RemovalMode.Delete) RowSumsDelete(keep, b.Words, b.S0, b.S1);
        else RowSumsUnk(keep, b.S0, b.S1);
        return HeadAverage(b.S0, b.S1);
    }

    /// <summary>f = (1/K) sum_i s1_i / s0_i.</summary>
    private double HeadAverage(ReadOnlySpan<double> s0, ReadOnlySpan<double> s1)
    {
        double f = 0;
        for (int i = 0; i < _k; i++) f += s1[i] / s0[i];
        return f / _k;
    }

    /// <summary>
    /// Delete, product form: s0 and s1 (padded heads) of the document made of [CLS], the kept tokens at positions
    /// 1..n and the padding tail from n + 1 on. The kept tokens are listed without a branch (each token is written,
    /// the count advances when its word is kept), then summed, two lane blocks at a time.
    /// </summary>
    private void RowSumsDelete(ReadOnlySpan<bool> keep, int[] keptWords, double[] s0, double[] s1)
    {
        // Unchecked access: n <= t < T (keptWords holds T + 1), words < d + 2 and positions <= T + 1 <= L index within
        // the row and the tables by construction.
        var tokens = _doc.WordOfToken;
        ref int token = ref MemoryMarshal.GetArrayDataReference(tokens);
        ref int words = ref MemoryMarshal.GetArrayDataReference(keptWords);
        ref byte flags = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(keep));
        int n = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            int w = Unsafe.Add(ref token, t);
            Unsafe.Add(ref words, n) = w;
            n += Unsafe.Add(ref flags, w);
        }
        ref double e = ref MemoryMarshal.GetArrayDataReference(_wordE);
        ref double c = ref MemoryMarshal.GetArrayDataReference(_wordC);
        ref double P = ref MemoryMarshal.GetArrayDataReference(_m.PaddedP);
        ref double D = ref MemoryMarshal.GetArrayDataReference(_m.PaddedD);
        int S = _stride, V = Vector<double>.Count;
        for (int lane = 0; lane < S; lane += 2 * V)
        {
            // Blocks a (lanes lane..lane+V-1) and b (the next V): s0 in xa, xb; s1 in ya, yb.
            var xa = Load(_start0, lane);
            var xb = Load(_start0, lane + V);
            var ya = Load(_start1, lane);
            var yb = Load(_start1, lane + V);
            for (int p = 0; p < n; p++)
            {
                nuint wo = (nuint)(Unsafe.Add(ref words, p) * S + lane), po = (nuint)((p + 1) * S + lane), v = (nuint)V;
                var ta = Vector.LoadUnsafe(ref e, wo) * Vector.LoadUnsafe(ref P, po);
                var tb = Vector.LoadUnsafe(ref e, wo + v) * Vector.LoadUnsafe(ref P, po + v);
                xa += ta;
                xb += tb;
                ya += ta * (Vector.LoadUnsafe(ref c, wo) + Vector.LoadUnsafe(ref D, po));
                yb += tb * (Vector.LoadUnsafe(ref c, wo + v) + Vector.LoadUnsafe(ref D, po + v));
            }
            int tail = (n + 1) * S + lane;
            Store(xa + Load(_tail0, tail), s0, lane);
            Store(xb + Load(_tail0, tail + V), s0, lane + V);
            Store(ya + Load(_tail1, tail), s1, lane);
            Store(yb + Load(_tail1, tail + V), s1, lane + V);
        }
    }

    /// <summary>
    /// ReplaceWithUnk, product form: s0 and s1 (padded heads) = the start terms plus, per word, its terms when kept or
    /// when replaced by UNK (chosen by the flag, no branch), two lane blocks at a time.
    /// </summary>
    private void RowSumsUnk(ReadOnlySpan<bool> keep, double[] s0, double[] s1)
    {
        ref double choice = ref MemoryMarshal.GetArrayDataReference(_choice);
        int S = _stride, V = Vector<double>.Count;
        for (int lane = 0; lane < S; lane += 2 * V)
        {
            var xa = Load(_start0, lane);
            var xb = Load(_start0, lane + V);
            var ya = Load(_start1, lane);
            var yb = Load(_start1, lane + V);
            for (int j = 0; j < keep.Length; j++)
            {
                // Unchecked access: row (j, flag) of the choice table, within its d * 4 * S entries.
                nuint o = (nuint)((j * 2 + BinaryRows.Flag(keep[j])) * 2 * S + lane), s = (nuint)S, v = (nuint)V;
                xa += Vector.LoadUnsafe(ref choice, o);
                xb += Vector.LoadUnsafe(ref choice, o + v);
                ya += Vector.LoadUnsafe(ref choice, o + s);
                yb += Vector.LoadUnsafe(ref choice, o + s + v);
            }
            Store(xa, s0, lane);
            Store(xb, s0, lane + V);
            Store(ya, s1, lane);
            Store(yb, s1, lane + V);
        }
    }

    private static Vector<double> Load(double[] table, int offset) => Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(table), (nuint)offset);
    private static void Store(Vector<double> value, double[] table, int offset) => value.StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(table), (nuint)offset);

    /// <summary>
    /// Either mode when the product form could underflow: each head's scores of the row's positions, shifted by their
    /// exact maximum before exponentiating (the padding tail through its suffix tables).
    /// </summary>
    private double RowExponentials(ReadOnlySpan<bool> keep, RowBuffers buffers)
    {
        int K = _k;
        var B = _m.B;
        var D = _m.D;
        var a = _a;
        var c = _c;
        var z = buffers.Z;
        var s0 = buffers.S0;
        var s1 = buffers.S1;
        var tokens = _doc.WordOfToken;
        bool delete = Mode == RemovalMode.Delete;
        // Pass 1: the words at the positions holding [CLS] and tokens, their scores and each head's exact maximum.
        Span<double> max = stackalloc double[K];
        var words = buffers.Words;
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
        // Pass 2: the sums.
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
        return HeadAverage(s0, s1);
    }
}
