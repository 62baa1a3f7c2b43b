namespace AttnXai.Explain;

/// <summary>
/// Weighted, centred first and second moments of binary features x in {0,1}^d and a response y:
/// W = sum w, mean_x = sum w x / W, mean_y = sum w y / W, Cxx = sum w (x - mean_x)(x - mean_x)^T,
/// Cxy = sum w (x - mean_x)(y - mean_y), Cyy = sum w (y - mean_y)^2. These are exactly the weighted normal equations of
/// a regression with an unpenalised intercept, already centred. Built either from stored rows (<see cref="FromRows"/>)
/// or chunk by chunk in bounded memory (<see cref="Add"/>: per-chunk moments merged with the pairwise update of Chan,
/// Golub and LeVeque). Both get sum w x x^T by counting (<see cref="WeightedGram"/>): x is binary, so among rows of
/// equal weight w the entry (a, b) is w times the number of rows keeping both a and b.
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
    /// Moments of stored rows: <paramref name="rows"/> holds y.Length rows of d flags, row-major. Means, Cxy and Cyy
    /// in two passes (exact centring); Cxx = sum w x x^T (exact counts, <see cref="WeightedGram"/>) - W mean_x mean_x^T.
    /// </summary>
    public static WeightedMoments FromRows(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, int featureCount)
    {
        var m = new WeightedMoments(featureCount);
        int d = featureCount, n = CheckShapes(rows, y, weights, d);
        var (sw, swy, swx) = Sums(rows, y, weights, d);
        if (!(sw > 0)) throw new ArgumentException("The sample weights sum to zero: the weighted regression is undefined.", nameof(weights));
        double my = swy / sw;
        for (int j = 0; j < d; j++) m._meanX[j] = swx[j] / sw;

        // Cxy = sum w x (y - my) - mean_x sum w (y - my); the second sum is zero but for rounding.
        double cyy = 0, swdy = 0;
        for (int i = 0; i < n; i++)
        {
            double w = weights[i], dy = y[i] - my, wdy = w * dy;
            cyy += wdy * dy;
            swdy += wdy;
            var row = rows.Slice(i * d, d);
            for (int j = 0; j < d; j++) m._cxy[j] += wdy * Flag(row[j]);
        }
        for (int j = 0; j < d; j++) m._cxy[j] -= m._meanX[j] * swdy;
        var gram = WeightedGram(rows, weights, d);
        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++) m._cxx[a * d + b] = gram[a * d + b] - sw * m._meanX[a] * m._meanX[b];
        m.MirrorUpper();
        m.Count = n;
        m.SumWeights = sw;
        m.MeanY = my;
        m.Cyy = cyy;
        return m;
    }

    /// <summary>sum w, sum w y and sum w x of the rows.</summary>
    private static (double Sw, double Swy, double[] Swx) Sums(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, int d)
    {
        double sw = 0, swy = 0;
        var swx = new double[d];
        for (int i = 0; i < y.Length; i++)
        {
            double w = weights[i];
            sw += w;
            swy += w * y[i];
            var row = rows.Slice(i * d, d);
            for (int j = 0; j < d; j++) swx[j] += w * Flag(row[j]);
        }
        return (sw, swy, swx);
    }

    /// <summary>1 for true, 0 for false, without a branch (the flags are unpredictable).</summary>
    internal static uint Flag(bool b) => System.Runtime.CompilerServices.Unsafe.As<bool, byte>(ref b);

    /// <summary>
    /// sum_i w_i x_i x_i^T for binary rows (upper triangle of a row-major d x d array). Rows are grouped by weight (LIME's
    /// weight depends on a row only through its number of kept words, so there are at most d + 1 groups); each group's
    /// columns are stored as bitsets and entry (a, b) gets w times the popcount of column a AND column b: about
    /// d^2/2 x n_group/64 word operations per group instead of a multiply-add per kept pair of every row.
    /// </summary>
    public static double[] WeightedGram(ReadOnlySpan<bool> rows, ReadOnlySpan<double> weights, int featureCount)
    {
        int d = featureCount, n = weights.Length;
        var gram = new double[d * d];
        var keys = weights.ToArray();
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        ulong[] bits = [];
        for (int start = 0, end; start < n; start = end)
        {
            double w = keys[start];
            for (end = start + 1; end < n && keys[end] == w; end++) { }
            if (w == 0) continue;
            int m = end - start, words = (m + 63) >> 6;
            if (bits.Length < d * words) bits = new ulong[d * words];
            else Array.Clear(bits, 0, d * words);
            for (int r = 0; r < m; r++)
            {
                var row = rows.Slice(order[start + r] * d, d);
                ulong bit = 1UL << (r & 63);
                int word = r >> 6;
                for (int j = 0; j < d; j++)
                    bits[j * words + word] |= bit * Flag(row[j]);
            }
            for (int a = 0; a < d; a++)
            {
                int ca = a * words, row = a * d;
                for (int b = a; b < d; b++)
                {
                    int cb = b * words, count = 0;
                    for (int k = 0; k < words; k++) count += System.Numerics.BitOperations.PopCount(bits[ca + k] & bits[cb + k]);
                    gram[row + b] += w * count;
                }
            }
        }
        return gram;
    }

    /// <summary>
    /// Accumulates one chunk of rows (count = y.Length). Memory is O(d^2) whatever the number of chunks.
    /// </summary>
    public void Add(ReadOnlySpan<bool> rows, ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        int d = FeatureCount, n = CheckShapes(rows, y, weights, d);
        if (n == 0) return;

        // Raw weighted sums of the chunk; sum w x x^T by counting.
        var (sw, swy, swx) = Sums(rows, y, weights, d);
        var sxx = WeightedGram(rows, weights, d);
        if (sw == 0) { Count += n; return; }

        // Centre within the chunk: y exactly (second pass over the chunk), x x^T from the raw sums.
        double myc = swy / sw;
        var mxc = new double[d];
        for (int j = 0; j < d; j++) mxc[j] = swx[j] / sw;
        double cyy = 0;
        var cxy = new double[d];
        for (int i = 0; i < n; i++)
        {
            double w = weights[i], dy = y[i] - myc;
            cyy += w * dy * dy;
            double wdy = w * dy;
            var row = rows.Slice(i * d, d);
            for (int j = 0; j < d; j++)
                if (row[j]) cxy[j] += wdy; // sum w (x - m)(y - my) = sum w x (y - my)
        }
        for (int a = 0; a < d; a++)
        {
            int off = a * d;
            for (int b = a; b < d; b++) sxx[off + b] -= sw * mxc[a] * mxc[b];
        }

        // Merge (Chan et al.): C = C_A + C_B + (W_A W_B / W) (m_A - m_B)(m_A - m_B)^T.
        double wa = SumWeights, wt = wa + sw;
        double f = wa * sw / wt;
        var delta = new double[d];
        for (int j = 0; j < d; j++) delta[j] = mxc[j] - _meanX[j];
        double deltaY = myc - MeanY;
        for (int a = 0; a < d; a++)
        {
            int off = a * d;
            for (int b = a; b < d; b++) _cxx[off + b] += sxx[off + b] + f * delta[a] * delta[b];
            _cxy[a] += cxy[a] + f * delta[a] * deltaY;
        }
        Cyy += cyy + f * deltaY * deltaY;
        for (int j = 0; j < d; j++) _meanX[j] += delta[j] * (sw / wt);
        MeanY += deltaY * (sw / wt);
        SumWeights = wt;
        Count += n;
        MirrorUpper();
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
        var a = moments.Cxx.ToArray();
        for (int j = 0; j < d; j++) a[j * d + j] += alpha;
        var beta = SolveSymmetricPositiveDefinite(a, moments.Cxy, d);
        double intercept = moments.MeanY;
        for (int j = 0; j < d; j++) intercept -= moments.MeanX[j] * beta[j];
        return new RidgeFit(beta, intercept, ScoreFromMoments(moments, beta));
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
        var l = new double[n * n];
        double maxDiag = 0;
        for (int i = 0; i < n; i++) maxDiag = Math.Max(maxDiag, Math.Abs(a[i * n + i]));
        double tol = 1e-13 * maxDiag;
        for (int j = 0; j < n; j++)
        {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
            if (!(s > tol))
                throw new InvalidOperationException(
                    $"The normal matrix is singular or not positive definite (pivot {s:G3} at feature {j}): a feature is " +
                    "constant or collinear in the weighted samples. Use a positive ridge alpha or more samples.");
            double ljj = Math.Sqrt(s);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double t = a[i * n + j];
                for (int k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = t / ljj;
            }
        }
        var x = CholeskySolve(l, b, n);
        // One step of iterative refinement: x += A^{-1} (b - A x).
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < n; k++) s -= a[i * n + k] * x[k];
            r[i] = s;
        }
        var dx = CholeskySolve(l, r, n);
        for (int i = 0; i < n; i++) x[i] += dx[i];
        return x;
    }

    private static double[] CholeskySolve(double[] l, ReadOnlySpan<double> b, int n)
    {
        var z = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * z[k];
            z[i] = s / l[i * n + i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
