using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttnXai.Explain.Perturbation;

/// <summary>
/// Weighted, centred first and second moments of binary features x in {0,1}^d and a response y:
/// W = sum w, mean_x = sum w x / W, mean_y = sum w y / W, Cxx = sum w (x - mean_x)(x - mean_x)^T,
/// Cxy = sum w (x - mean_x)(y - mean_y), Cyy = sum w (y - mean_y)^2. These are exactly the weighted normal equations of
/// a regression with an unpenalised intercept, already centred. Built either from stored rows (<see cref="FromRows"/>)
/// or chunk by chunk in bounded memory (<see cref="Add"/>: each chunk's moments merged with the pairwise update of
/// Chan, Golub and LeVeque). Both get sum w x x^T by counting (<see cref="WeightedGram"/>): x is binary, so among rows
/// of equal weight w the entry (a, b) is w times the number of rows keeping both a and b; and its diagonal is sum w x.
/// </summary>
public sealed class WeightedMoments
{
    private readonly double[] _meanX;
    private readonly double[] _cxx;
    private readonly double[] _cxy;

    /// <summary>Creates empty moments for <paramref name="featureCount"/> features.</summary>
    public WeightedMoments(int featureCount)
    {
        if (featureCount < 1)
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "There must be at least one feature.");
        FeatureCount = featureCount;
        _meanX = new double[featureCount];
        _cxx = new double[featureCount * featureCount];
        _cxy = new double[featureCount];
    }

    /// <summary>d, the number of features.</summary>
    public int FeatureCount { get; }
    /// <summary>Number of rows accumulated.</summary>
    public long Count { get; private set; }
    /// <summary>W, the sum of the weights.</summary>
    public double SumWeights { get; private set; }
    /// <summary>Weighted mean of y.</summary>
    public double MeanY { get; private set; }
    /// <summary>Cyy, the weighted centred sum of squares of y.</summary>
    public double Cyy { get; private set; }
    /// <summary>Weighted means of the features (length d).</summary>
    public ReadOnlySpan<double> MeanX => _meanX;
    /// <summary>Cxx, row-major d x d (symmetric).</summary>
    public ReadOnlySpan<double> Cxx => _cxx;
    /// <summary>Cxy (length d).</summary>
    public ReadOnlySpan<double> Cxy => _cxy;

    /// <summary>
    /// Moments of stored rows: <paramref name="rows"/> holds y.Length rows of d flags, row-major (see
    /// <see cref="SetFromRows"/>).
    /// </summary>
    public static WeightedMoments FromRows(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, int featureCount)
    {
        var m = new WeightedMoments(featureCount);
        CheckShapes(rows, y, weights, featureCount);
        m.SetFromRows(rows, y, weights, RowGroups.ByWeight(weights), new GramScratch());
        return m;
    }

    /// <summary>
    /// Overwrites these moments with those of stored rows (shapes already checked) whose equal weights are grouped
    /// by <paramref name="groups"/>: W and mean_y; S = sum w x x^T by counting (upper triangle; mean_x = diag(S) / W);
    /// Cxy = sum w x (y - mean_y) - mean_x sum w (y - mean_y) (the second sum is zero but for rounding) and Cyy in a
    /// pass over the rows (exact centring); Cxx = S - W mean_x mean_x^T.
    /// </summary>
    internal void SetFromRows(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, RowGroups groups, GramScratch scratch)
    {
        int d = FeatureCount, n = y.Length;
        double sw = 0, swy = 0;
        for (int i = 0; i < n; i++) { sw += weights[i]; swy += weights[i] * y[i]; }
        if (!(sw > 0)) throw new ArgumentException("The sample weights sum to zero: the weighted regression is undefined.", nameof(weights));
        double my = swy / sw;

        Array.Clear(_cxx);
        AddWeightedGram(rows, groups, d, _cxx, scratch);
        for (int j = 0; j < d; j++) _meanX[j] = _cxx[j * d + j] / sw;

        Array.Clear(_cxy);
        double cyy = 0, swdy = 0;
        for (int i = 0; i < n; i++)
        {
            double dy = y[i] - my, wdy = weights[i] * dy;
            cyy += wdy * dy;
            swdy += wdy;
            BinaryRows.AddScaled(rows.Slice(i * d, d), wdy, _cxy);
        }
        for (int j = 0; j < d; j++) _cxy[j] -= _meanX[j] * swdy;

        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++) _cxx[a * d + b] -= sw * _meanX[a] * _meanX[b];
        MirrorUpper();
        Count = n;
        SumWeights = sw;
        MeanY = my;
        Cyy = cyy;
    }

    /// <summary>
    /// sum_i w_i x_i x_i^T for binary rows (upper triangle of a row-major d x d array), with the rows grouped by equal
    /// weight (see <see cref="AddWeightedGram"/>).
    /// </summary>
    public static double[] WeightedGram(ReadOnlySpan<bool> rows, ReadOnlySpan<double> weights, int featureCount)
    {
        var gram = new double[featureCount * featureCount];
        AddWeightedGram(rows, RowGroups.ByWeight(weights), featureCount, gram, new GramScratch());
        return gram;
    }

    /// <summary>
    /// Adds sum_i w_i x_i x_i^T to the upper triangle of <paramref name="gram"/> by counting. Each feature's flags
    /// become a bitset over the rows, the groups of equal weight one after the other, each starting on a new 64-bit
    /// word, so every word belongs to one group and carries its weight (the word count is rounded up to a multiple of
    /// 4 with empty words of weight 0). Entry (a, b) is then sum_q weight(q) popcount(a's word q AND b's word q):
    /// about d^2/2 x (n/64 + groups) word operations. (LIME's weight depends on a row only through its number of kept
    /// words, so there are at most d + 1 groups.)
    /// </summary>
    internal static void AddWeightedGram(ReadOnlySpan<bool> rows, RowGroups groups, int d, double[] gram, GramScratch scratch)
    {
        int wordCount = 0;
        for (int g = 0; g < groups.Count; g++)
            if (groups.Weights[g] != 0) wordCount += (groups.Size(g) + 63) >> 6;
        if (wordCount == 0) return;
        wordCount = (wordCount + 3) & ~3;
        var (byWord, byFeature) = scratch.Bitsets(wordCount, d);
        var wordWeights = scratch.WordWeights(wordCount);
        wordWeights.AsSpan(0, wordCount).Clear();

        // Row-major first (row r of a group sets bit r mod 64 of its word for each kept feature), then transposed so
        // that each feature's words are contiguous.
        int word0 = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            double w = groups.Weights[g];
            int start = groups.Starts[g], m = groups.Size(g);
            if (w == 0 || m == 0) continue;
            for (int r = 0; r < m; r++)
                BinaryRows.OrBit(rows.Slice(groups.Order[start + r] * d, d), 1UL << (r & 63), byWord.AsSpan((word0 + (r >> 6)) * d, d));
            int words = (m + 63) >> 6;
            wordWeights.AsSpan(word0, words).Fill(w);
            word0 += words;
        }
        for (int q = 0; q < wordCount; q++)
            for (int j = 0; j < d; j++) byFeature[j * wordCount + q] = byWord[q * d + j];

        var weights = wordWeights.AsSpan(0, wordCount);
        for (int a = 0; a < d; a++)
        {
            var wordsA = byFeature.AsSpan(a * wordCount, wordCount);
            int b = a;
            for (; b + 2 <= d; b += 2)
            {
                var (ab, ac) = WeightedCommonBits2(wordsA, byFeature.AsSpan(b * wordCount, 2 * wordCount), weights);
                gram[a * d + b] += ab;
                gram[a * d + b + 1] += ac;
            }
            if (b < d)
                gram[a * d + b] += WeightedCommonBits2(wordsA, byFeature.AsSpan(b * wordCount, wordCount), weights).AB;
        }
    }

    /// <summary>
    /// For bitsets a, b and (when <paramref name="bc"/> holds two bitsets) c of n words, n a multiple of 4:
    /// sum_q weights[q] popcount(a[q] AND b[q]) and the same with c (0 when bc holds b only). With AVX2, four words
    /// per step (ANDs, popcounts and multiply-adds one vector operation each, a's words loaded once for b and c);
    /// otherwise word by word.
    /// </summary>
    private static (double AB, double AC) WeightedCommonBits2(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> bc, ReadOnlySpan<double> weights)
    {
        int n = a.Length;
        bool withC = bc.Length == 2 * n;
        if (!withC && bc.Length != n || weights.Length != n || (n & 3) != 0) throw new ArgumentException("the bitsets and weights do not agree");
        var b = bc[..n];
        var c = withC ? bc[n..] : b;
        if (Avx2.IsSupported)
        {
            // Unchecked access: the spans hold n words each (checked above).
            ref ulong pa = ref MemoryMarshal.GetReference(a);
            ref ulong pb = ref MemoryMarshal.GetReference(b);
            ref ulong pc = ref MemoryMarshal.GetReference(c);
            ref double pw = ref MemoryMarshal.GetReference(weights);
            var sumB = Vector256<double>.Zero;
            var sumC = Vector256<double>.Zero;
            for (int q = 0; q < n; q += 4)
            {
                var wordsA = Vector256.LoadUnsafe(ref pa, (nuint)q);
                var w = Vector256.LoadUnsafe(ref pw, (nuint)q);
                sumB += w * PopCountAsDouble(wordsA & Vector256.LoadUnsafe(ref pb, (nuint)q));
                sumC += w * PopCountAsDouble(wordsA & Vector256.LoadUnsafe(ref pc, (nuint)q));
            }
            return ((sumB[0] + sumB[1]) + (sumB[2] + sumB[3]), withC ? (sumC[0] + sumC[1]) + (sumC[2] + sumC[3]) : 0);
        }
        double sb = 0, sc = 0;
        for (int q = 0; q < n; q++)
        {
            sb += weights[q] * BitOperations.PopCount(a[q] & b[q]);
            sc += weights[q] * BitOperations.PopCount(a[q] & c[q]);
        }
        return (sb, withC ? sc : 0);
    }

    private static readonly Vector256<byte> NibbleBits =
        Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);

    /// <summary>
    /// The number of bits set in each of four words, as doubles (AVX2): each byte's count is the sum of its two
    /// nibbles' counts (a 16-entry table lookup each), the 8 byte counts of a word are summed by a sum of absolute
    /// differences with zero, and a count c &lt; 2^52 becomes a double by setting the exponent of 2^52 and subtracting 2^52.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> PopCountAsDouble(Vector256<ulong> words)
    {
        var bytes = words.AsByte();
        var low = Vector256.Create((byte)0x0F);
        var perByte = Vector256.ShuffleNative(NibbleBits, bytes & low)
                      + Vector256.ShuffleNative(NibbleBits, Vector256.ShiftRightLogical(words, 4).AsByte() & low);
        var counts = Avx2.SumAbsoluteDifferences(perByte, Vector256<byte>.Zero).AsUInt64();
        var twoTo52 = Vector256.Create(4503599627370496.0);
        return (counts | twoTo52.AsUInt64()).AsDouble() - twoTo52;
    }

    /// <summary>
    /// Accumulates one chunk of rows (count = y.Length). Memory is O(d^2) whatever the number of chunks.
    /// </summary>
    public void Add(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        CheckShapes(rows, y, weights, FeatureCount);
        AddRows(rows, y, weights, RowGroups.ByWeight(weights), new GramScratch());
    }

    /// <summary>
    /// <see cref="Add"/> with the rows' equal weights already grouped (shapes already checked): the chunk's own
    /// centred moments, merged in (Chan et al.): C = C_A + C_B + (W_A W_B / W) (m_B - m_A)(m_B - m_A)^T.
    /// </summary>
    internal void AddRows(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, RowGroups groups, GramScratch scratch)
    {
        int d = FeatureCount, n = y.Length;
        if (n == 0) return;
        double chunkWeight = 0;
        foreach (var w in weights) chunkWeight += w;
        if (chunkWeight == 0) { Count += n; return; }
        var chunk = new WeightedMoments(d);
        chunk.SetFromRows(rows, y, weights, groups, scratch);

        double wa = SumWeights, wb = chunk.SumWeights, wt = wa + wb;
        double f = wa * wb / wt;
        var delta = new double[d];
        for (int j = 0; j < d; j++) delta[j] = chunk._meanX[j] - _meanX[j];
        double deltaY = chunk.MeanY - MeanY;
        for (int a = 0; a < d; a++)
        {
            for (int b = 0; b < d; b++) _cxx[a * d + b] += chunk._cxx[a * d + b] + f * delta[a] * delta[b];
            _cxy[a] += chunk._cxy[a] + f * delta[a] * deltaY;
        }
        Cyy += chunk.Cyy + f * deltaY * deltaY;
        for (int j = 0; j < d; j++) _meanX[j] += delta[j] * (wb / wt);
        MeanY += deltaY * (wb / wt);
        SumWeights = wt;
        Count += n;
    }

    private void MirrorUpper()
    {
        int d = FeatureCount;
        for (int a = 0; a < d; a++)
            for (int b = a + 1; b < d; b++) _cxx[b * d + a] = _cxx[a * d + b];
    }

    private static int CheckShapes(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, int d)
    {
        int n = y.Length;
        if (weights.Length != n)
            throw new ArgumentException($"There are {weights.Length} weights for {n} responses.", nameof(weights));
        if ((long)n * d != rows.Length)
            throw new ArgumentException($"The rows hold {rows.Length} flags, expected {n} rows x {d} features = {(long)n * d}.", nameof(rows));
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(y[i])) throw new ArgumentException($"Response {i} is not finite ({y[i]}).", nameof(y));
            if (!double.IsFinite(weights[i]) || weights[i] < 0)
                throw new ArgumentException($"Weight {i} is not a finite non-negative number ({weights[i]}).", nameof(weights));
        }
        return n;
    }
}

/// <summary>
/// Rows grouped by equal weight: <see cref="Order"/> lists row indices group after group; group g is
/// Order[Starts[g]..Starts[g + 1]) and has weight Weights[g]. Groups may be empty.
/// </summary>
internal sealed class RowGroups
{
    public int[] Order = [];
    public int[] Starts = [0];
    public double[] Weights = [];
    public int Count;

    /// <summary>The number of rows in group g.</summary>
    public int Size(int g) => Starts[g + 1] - Starts[g];

    /// <summary>Groups of equal weight, found by sorting the weights (any weights).</summary>
    public static RowGroups ByWeight(ReadOnlySpan<double> weights)
    {
        int n = weights.Length;
        var keys = weights.ToArray();
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        var starts = new List<int> { 0 };
        var values = new List<double>();
        for (int i = 0; i < n; i++)
            if (i == n - 1 || keys[i + 1] != keys[i]) { values.Add(keys[i]); starts.Add(i + 1); }
        return new RowGroups { Order = order, Starts = [.. starts], Weights = [.. values], Count = values.Count };
    }

    /// <summary>
    /// LIME's groups, into this instance's (reused) arrays: a row's weight depends only on its number k of kept
    /// features, so grouping by k = 0..d (a counting sort, O(n + d)) groups equal weights; group k has weight
    /// <paramref name="weightOfKept"/>[k].
    /// </summary>
    public void SetByKeptCount(ReadOnlySpan<int> kept, ReadOnlySpan<double> weightOfKept)
    {
        int n = kept.Length, groups = weightOfKept.Length;
        if (Order.Length < n) Order = new int[n];
        if (Starts.Length < groups + 1) Starts = new int[groups + 1];
        if (Weights.Length < groups) Weights = new double[groups];
        Count = groups;
        weightOfKept.CopyTo(Weights);
        var next = Starts.AsSpan(0, groups + 1);
        next.Clear();
        foreach (int k in kept) next[k + 1]++;
        for (int g = 0; g < groups; g++) next[g + 1] += next[g];
        // Place each row at the next free slot of its group; the slots advance to the group ends, so shift back after.
        for (int i = 0; i < n; i++) Order[next[kept[i]]++] = i;
        for (int g = groups; g > 0; g--) next[g] = next[g - 1];
        next[0] = 0;
    }
}

/// <summary>The bitsets and word weights of <see cref="WeightedMoments.AddWeightedGram"/>, reused across calls.</summary>
internal sealed class GramScratch
{
    private ulong[] _byWord = [];
    private ulong[] _byFeature = [];
    private double[] _wordWeights = [];

    /// <summary>
    /// Bitsets of <paramref name="words"/> words for <paramref name="d"/> features: word-major (zeroed) and
    /// feature-major (contents undefined).
    /// </summary>
    public (ulong[] ByWord, ulong[] ByFeature) Bitsets(int words, int d)
    {
        int length = words * d;
        if (_byWord.Length < length) { _byWord = new ulong[length]; _byFeature = new ulong[length]; }
        else Array.Clear(_byWord, 0, length);
        return (_byWord, _byFeature);
    }

    /// <summary>A buffer of at least <paramref name="words"/> weights (contents undefined).</summary>
    public double[] WordWeights(int words) => _wordWeights.Length >= words ? _wordWeights : _wordWeights = new double[words];
}

/// <summary>A fitted weighted ridge regression.</summary>
/// <param name="Coefficients">beta, one per feature.</param>
/// <param name="Intercept">The unpenalised intercept: mean_y - mean_x . beta.</param>
/// <param name="Score">Weighted R^2 on the fitted samples (see <see cref="WeightedRidge.ScoreFromMoments"/>).</param>
public sealed record RidgeFit(double[] Coefficients, double Intercept, double Score);

/// <summary>
/// Weighted ridge regression with an unpenalised intercept, as scikit-learn's Ridge(alpha, fit_intercept=True) with
/// sample weights: centre by the weighted means, solve (Xc^T W Xc + alpha I) beta = Xc^T W yc, intercept =
/// mean_y - mean_x . beta. The one solver behind stored and streamed LIME.
/// </summary>
public static class WeightedRidge
{
    /// <summary>Solves the ridge system from centred moments; Score is computed from the moments.</summary>
    public static RidgeFit Solve(WeightedMoments moments, double alpha)
    {
        ArgumentNullException.ThrowIfNull(moments);
        if (!double.IsFinite(alpha) || alpha < 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The ridge alpha must be finite and non-negative.");
        if (!(moments.SumWeights > 0))
            throw new InvalidOperationException("No positively weighted sample was accumulated: the regression is undefined.");
        int d = moments.FeatureCount;
        var a = ArrayPool<double>.Shared.Rent(d * d);
        try
        {
            moments.Cxx.CopyTo(a);
            for (int j = 0; j < d; j++) a[j * d + j] += alpha;
            var beta = SolveSymmetricPositiveDefinite(a.AsSpan(0, d * d), moments.Cxy, d);
            double intercept = moments.MeanY;
            for (int j = 0; j < d; j++) intercept -= moments.MeanX[j] * beta[j];
            return new RidgeFit(beta, intercept, ScoreFromMoments(moments, beta));
        }
        finally { ArrayPool<double>.Shared.Return(a); }
    }

    /// <summary>
    /// Weighted R^2 = 1 - SS_res / SS_tot with SS_tot = Cyy and, because the centred residual is
    /// (y - mean_y) - (x - mean_x) . beta, SS_res = Cyy - 2 beta . Cxy + beta^T Cxx beta (clamped at 0).
    /// As scikit-learn's r2_score: 1 when SS_tot = 0 and SS_res = 0, 0 when only SS_tot = 0.
    /// </summary>
    public static double ScoreFromMoments(WeightedMoments moments, ReadOnlySpan<double> beta)
    {
        int d = moments.FeatureCount;
        var cxx = moments.Cxx;
        var cxy = moments.Cxy;
        double quad = 0, lin = 0;
        for (int a = 0; a < d; a++)
        {
            double row = 0;
            for (int b = 0; b < d; b++) row += cxx[a * d + b] * beta[b];
            quad += beta[a] * row;
            lin += beta[a] * cxy[a];
        }
        double ssRes = Math.Max(0, moments.Cyy - 2 * lin + quad);
        return R2(ssRes, moments.Cyy);
    }

    /// <summary>1 - ssRes/ssTot with scikit-learn's conventions for ssTot = 0.</summary>
    public static double R2(double ssRes, double ssTot)
    {
        if (ssTot > 0) return 1 - ssRes / ssTot;
        return ssRes == 0 ? 1.0 : 0.0;
    }

    /// <summary>
    /// Solves A x = b for a symmetric positive-definite A (row-major n x n, only read) by Cholesky factorisation
    /// followed by one step of iterative refinement. Throws InvalidOperationException when A is singular or not
    /// positive definite to working precision (a pivot below 1e-13 times the largest diagonal entry).
    /// </summary>
    public static double[] SolveSymmetricPositiveDefinite(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n)
    {
        if (a.Length != n * n || b.Length != n) throw new ArgumentException("The system's shapes do not agree.");
        var lower = ArrayPool<double>.Shared.Rent(n * n);
        try
        {
            var l = lower.AsSpan(0, n * n);
            Cholesky(a, l, n);
            var x = CholeskySolve(l, b, n);
            // One step of iterative refinement: x += A^{-1} (b - A x).
            var r = new double[n];
            for (int i = 0; i < n; i++) r[i] = b[i] - Dot(a.Slice(i * n, n), x);
            var dx = CholeskySolve(l, r, n);
            for (int i = 0; i < n; i++) x[i] += dx[i];
            return x;
        }
        finally { ArrayPool<double>.Shared.Return(lower); }
    }

    /// <summary>
    /// A = L L^T, L lower triangular (row-major; the upper part is left as it was). Row i of L before column j is
    /// contiguous, so each entry is one dot product of two row prefixes.
    /// </summary>
    private static void Cholesky(ReadOnlySpan<double> a, Span<double> l, int n)
    {
        double maxDiag = 0;
        for (int i = 0; i < n; i++) maxDiag = Math.Max(maxDiag, Math.Abs(a[i * n + i]));
        double tol = 1e-13 * maxDiag;
        for (int j = 0; j < n; j++)
        {
            var rowJ = l.Slice(j * n, j);
            double s = a[j * n + j] - Dot(rowJ, rowJ);
            if (!(s > tol))
                throw new InvalidOperationException(
                    $"The normal matrix is singular or not positive definite (pivot {s:G3} at feature {j}): a feature is " +
                    "constant or collinear in the weighted samples. Use a positive ridge alpha or more samples.");
            double ljj = Math.Sqrt(s);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) l[i * n + j] = (a[i * n + j] - Dot(l.Slice(i * n, j), rowJ)) / ljj;
        }
    }

    /// <summary>Solves L L^T x = b: forward substitution (L z = b), then back substitution (L^T x = z).</summary>
    private static double[] CholeskySolve(ReadOnlySpan<double> l, ReadOnlySpan<double> b, int n)
    {
        var z = new double[n];
        for (int i = 0; i < n; i++) z[i] = (b[i] - Dot(l.Slice(i * n, i), z.AsSpan(0, i))) / l[i * n + i];
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }

    /// <summary>a . b with Vector&lt;double&gt; lanes (then the remainder).</summary>
    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, k = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var sum = Vector<double>.Zero;
            for (; k + Vector<double>.Count <= n; k += Vector<double>.Count)
                sum += new Vector<double>(a.Slice(k)) * new Vector<double>(b.Slice(k));
            s = Vector.Sum(sum);
        }
        for (; k < n; k++) s += a[k] * b[k];
        return s;
    }
}
