using AttnXai.Common.Random;
using AttnXai.Data.Text;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

/// <summary>
/// Pins LIME on the paper model's optimised paths (the fast path's vectorised rows, the sampler, the grouped weighted
/// Gram matrix, the Cholesky solve, the generic path's duplicate skipping) to a straightforward reference kept here:
/// lime's sampler written out with a fresh permutation per row, f from the float64 torch forward of the perturbed
/// documents, the kernel weights from lime's formula row by row, and the ridge fit from the augmented
/// weighted normal equations solved by Gaussian elimination. Equal to 1e-9 on the same masks, in both removal modes.
/// </summary>
public class LimeExactnessTests
{
    private static readonly Vocabulary Vocabulary =
        Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken }.Concat(Enumerable.Range(2, 28).Select(i => $"w{i}")));

    /// <summary>Six heads (not a multiple of the vector width), L = 64, float64.</summary>
    private static AttentionClassifier Model(long seed, bool paddingMask) =>
        new(new ModelConfig(30, EmbedDim: 16, AttDim: 8, OutDim: 4, Heads: 6, Length: 64, PaddingMask: paddingMask, InitRange: 0.7), seed, null, ScalarType.Float64);

    /// <summary>45 words from 14 known ones and two unknown ones ("zzz", "qqq": both UNK, so some masks coincide).</summary>
    private static string Text(int seed)
    {
        var rng = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, 45).Select(_ => rng.Next(16) switch { 14 => "zzz", 15 => "qqq", int k => $"w{2 + k}" }));
    }

    /// <summary>lime's sampler, plainly: row 0 keeps everything; every other row removes the first s of a fresh partial shuffle.</summary>
    private static bool[] ReferenceMasks(int d, int n, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        var masks = new bool[n * d];
        Array.Fill(masks, true);
        for (int i = 1; i < n; i++)
        {
            var perm = Enumerable.Range(0, d).ToArray();
            int s = 1 + rng.NextInt(d);
            for (int j = 0; j < s; j++)
            {
                int r = j + rng.NextInt(d - j);
                (perm[j], perm[r]) = (perm[r], perm[j]);
                masks[i * d + perm[j]] = false;
            }
        }
        return masks;
    }

    /// <summary>f of each mask row: the model's float64 forward of the perturbed ids (every row, one batch).</summary>
    private static double[] ReferenceOutputs(AttentionClassifier model, ExplainDocument doc, RemovalMode mode, bool[] masks, int n)
    {
        int d = doc.WordCount, L = doc.Length;
        var ids = new long[n * L];
        var padding = new bool[n * L];
        for (int i = 0; i < n; i++)
        {
            int real = doc.PerturbedIds(masks.AsSpan(i * d, d), mode, ids.AsSpan(i * L, L));
            padding.AsSpan(i * L, real).Fill(true);
        }
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var mask = model.Config.PaddingMask ? torch.tensor(padding, [n, L]) : null;
        return model.Forward(torch.tensor(ids, [n, L]), mask).PositiveLogit.data<double>().ToArray();
    }

    /// <summary>
    /// Weighted ridge with an unpenalised intercept from the augmented normal equations [1 X]^T W [1 X] (+ alpha on the
    /// features), pi = sqrt(exp(-D^2 / 25^2)) with D = 100 (1 - sqrt(k / d)) per row, by Gaussian elimination with
    /// partial pivoting. Returns (intercept, beta).
    /// </summary>
    private static (double Intercept, double[] Beta) ReferenceFit(bool[] masks, double[] y, int d, double alpha)
    {
        int p = d + 1;
        var a = new double[p, p + 1];
        for (int i = 0; i < y.Length; i++)
        {
            var x = new double[p];
            x[0] = 1;
            int kept = 0;
            for (int j = 0; j < d; j++) if (masks[i * d + j]) { x[j + 1] = 1; kept++; }
            double dist = kept == 0 ? 100 : 100 * (1 - Math.Sqrt(kept / (double)d));
            double w = Math.Sqrt(Math.Exp(-dist * dist / (25.0 * 25.0)));
            for (int r = 0; r < p; r++)
            {
                for (int c = 0; c < p; c++) a[r, c] += w * x[r] * x[c];
                a[r, p] += w * x[r] * y[i];
            }
        }
        for (int j = 1; j < p; j++) a[j, j] += alpha;
        for (int col = 0; col < p; col++)
        {
            int piv = col;
            for (int r = col + 1; r < p; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[piv, col])) piv = r;
            for (int c = 0; c <= p; c++) (a[col, c], a[piv, c]) = (a[piv, c], a[col, c]);
            for (int r = 0; r < p; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                for (int c = col; c <= p; c++) a[r, c] -= f * a[col, c];
            }
        }
        var sol = new double[p];
        for (int r = 0; r < p; r++) sol[r] = a[r, p] / a[r, r];
        return (sol[0], sol[1..]);
    }

    [Theory]
    [InlineData(RemovalMode.Delete, false, false)]
    [InlineData(RemovalMode.ReplaceWithUnk, false, false)]
    [InlineData(RemovalMode.Delete, true, false)]
    [InlineData(RemovalMode.ReplaceWithUnk, true, false)]
    [InlineData(RemovalMode.Delete, false, true)]
    [InlineData(RemovalMode.ReplaceWithUnk, true, true)]
    public void Lime_on_the_fast_and_generic_paths_equals_the_reference_to_1e9(RemovalMode mode, bool paddingMask, bool forceExponentials)
    {
        const int n = 1500;
        const ulong seed = 2024;
        using var model = Model(11 + (int)mode, paddingMask);
        var target = new ExplainTarget(model, Vocabulary);
        var doc = target.Prepare(Text(3 + (int)mode));
        int d = doc.WordCount;
        Assert.InRange(d, 12, 16);

        var masks = ReferenceMasks(d, n, seed);
        Assert.Equal(masks, LimeSampler.Sample(d, n, seed));
        var y = ReferenceOutputs(model, doc, mode, masks, n);
        var (intercept, beta) = ReferenceFit(masks, y, d, alpha: 1);
        Assert.True(beta.Max(Math.Abs) > 1e-3, "the coefficients should not vanish");

        var fast = target.FastPath.For(doc, mode, forceExponentials);
        Assert.Equal(!forceExponentials, fast.UsesProducts);
        var generic = new ScorerPerturbationModel(target.Scorer, doc, mode);
        var options = new LimeOptions { SampleCount = n, Seed = seed, KeepSamples = true };
        foreach (var (path, result) in new[] { ("fast", Lime.Explain(fast, options)), ("generic", Lime.Explain(generic, options)) })
        {
            Assert.Equal(masks, result.Samples!.Masks);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(result.Samples.Outputs[i] - y[i]) <= 1e-12, $"{path}, row {i}: f {result.Samples.Outputs[i]:R} vs {y[i]:R}");
            for (int j = 0; j < d; j++)
                Assert.True(Math.Abs(result.Coefficients[j] - beta[j]) <= 1e-9, $"{path}, word {j}: {result.Coefficients[j]:R} vs {beta[j]:R}");
            Assert.Equal(intercept, result.Intercept, 1e-9);
        }
        // Caller-supplied masks take the same route.
        var supplied = Lime.Explain(fast, masks);
        for (int j = 0; j < d; j++) Assert.Equal(beta[j], supplied.Coefficients[j], 1e-9);
    }
}

public class GenericPathDeduplicationTests
{
    /// <summary>A scorer that records what it is asked: f = a fixed function of the ids and the real length.</summary>
    private sealed class RecordingScorer(int length) : IDocumentScorer
    {
        public int Length => length;
        public List<(long[] Ids, int Real)> Rows { get; } = [];

        public static double F(ReadOnlySpan<long> ids, int real)
        {
            double f = 0.1 * real;
            for (int t = 0; t < ids.Length; t++) f += Math.Sin(0.37 * ids[t] + 0.11 * t);
            return f;
        }

        public double[] Score(ReadOnlySpan<long> ids, ReadOnlySpan<int> realLengths, int count)
        {
            var y = new double[count];
            for (int i = 0; i < count; i++)
            {
                Rows.Add((ids.Slice(i * length, length).ToArray(), realLengths[i]));
                y[i] = F(ids.Slice(i * length, length), realLengths[i]);
            }
            return y;
        }
    }

    [Theory]
    [InlineData(RemovalMode.Delete)]
    [InlineData(RemovalMode.ReplaceWithUnk)]
    public void Each_distinct_perturbed_document_is_scored_once_and_every_row_gets_its_value(RemovalMode mode)
    {
        // Two unknown words (both UNK) and LIME's masks: some rows are the same document.
        var cfg = SmallModels.Config(paddingMask: true, length: 16);
        var doc = SmallModels.Document(cfg, "w2 zzz w3 qqq w4 w2 zzz w5");
        int d = doc.WordCount, n = 400;
        var masks = LimeSampler.Sample(d, n, 5);
        var scorer = new RecordingScorer(cfg.Length);
        var y = new ScorerPerturbationModel(scorer, doc, mode).Evaluate(masks, n);

        // Independently: the perturbed documents of all rows, and the distinct ones.
        var docs = new List<string>();
        for (int r = 0; r < n; r++)
        {
            var ids = new long[cfg.Length];
            int real = doc.PerturbedIds(masks.AsSpan(r * d, d), mode, ids);
            Assert.Equal(RecordingScorer.F(ids, real), y[r]);
            docs.Add(real + ":" + string.Join(',', ids));
        }
        int distinct = docs.Distinct().Count();
        Assert.True(distinct < n, "LIME's masks should give repeated documents here");
        Assert.Equal(distinct, scorer.Rows.Count);
        Assert.Equal(distinct, scorer.Rows.Select(x => x.Real + ":" + string.Join(',', x.Ids)).Distinct().Count());
    }
}
