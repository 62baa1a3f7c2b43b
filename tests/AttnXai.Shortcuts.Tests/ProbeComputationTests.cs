using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Metrics;

namespace AttnXai.Shortcuts.Tests;

/// <summary>The probe pass and its statistics against a float64 recomputation with plain loops, on a tiny random model.</summary>
public class ProbeComputationTests
{
    private const int Vocab = 15, K = 3, L = 10;

    /// <summary>The paper's forward pass in plain loops: logits [C] and attention [K][L]; positions with
    /// allowed[t] == false are left out of the softmax.</summary>
    private static (double[] Logits, double[][] Alpha) Reference(AttentionClassifier m, long[] ids, bool[] allowed)
    {
        var c = m.Config;
        int D = c.EmbedDim, A = c.AttDim, O = c.OutDim, H = c.Heads, C = c.Classes;
        double[] we = m.EmbeddingWeight.ToArray<double>(), wq = m.W_q.ToArray<double>(), wk = m.W_k.ToArray<double>(),
            wv = m.W_v.ToArray<double>(), wl = m.W_l.ToArray<double>();
        var e = new double[L, D];
        for (int t = 0; t < L; t++)
            for (int j = 0; j < D; j++)
            {
                int twoM = j - j % 2;
                double angle = t / Math.Pow(10000, (double)twoM / D);
                e[t, j] = we[ids[t] * D + j] + (j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
        var logits = new double[C];
        var alpha = new double[H][];
        for (int h = 0; h < H; h++)
        {
            var q = new double[A];
            for (int a = 0; a < A; a++) for (int j = 0; j < D; j++) q[a] += wq[(h * A + a) * D + j] * e[0, j];
            var z = new double[L];
            double max = double.NegativeInfinity;
            for (int t = 0; t < L; t++)
            {
                if (!allowed[t]) continue;
                for (int a = 0; a < A; a++)
                {
                    double k = 0;
                    for (int j = 0; j < D; j++) k += wk[(h * A + a) * D + j] * e[t, j];
                    z[t] += q[a] * k;
                }
                z[t] /= Math.Sqrt(A);
                max = Math.Max(max, z[t]);
            }
            alpha[h] = new double[L];
            double sum = 0;
            for (int t = 0; t < L; t++) if (allowed[t]) sum += alpha[h][t] = Math.Exp(z[t] - max);
            for (int t = 0; t < L; t++) alpha[h][t] /= sum;
            var v = new double[O];
            for (int o = 0; o < O; o++)
                for (int t = 0; t < L; t++)
                {
                    double vt = 0;
                    for (int j = 0; j < D; j++) vt += wv[(h * O + o) * D + j] * e[t, j];
                    v[o] += alpha[h][t] * vt;
                }
            for (int cl = 0; cl < C; cl++)
                for (int o = 0; o < O; o++) logits[cl] += wl[(h * C + cl) * O + o] * v[o] / H;
        }
        return (logits, alpha);
    }

    [Theory]
    [InlineData(false, "start")]
    [InlineData(true, "end")]
    [InlineData(false, "3")]
    public void Probe_pass_matches_plain_loops(bool paddingMask, string position)
    {
        var rng = new Random(7);
        var spec = InsertionSpec.Parse(2, position);
        var original = Tiny.RandomData(rng, 23, L, Vocab, 12, mask: paddingMask);
        var inserted = TokenInsertion.Insert(original, spec, Vocab);
        var config = new ModelConfig(Vocab + 2, EmbedDim: 6, AttDim: 3, OutDim: 4, Heads: K, Length: L, PaddingMask: paddingMask, InitRange: 0.8);
        using var model = new AttentionClassifier(config, 3, null, ScalarType.Float64);
        var o = ProbePass.Run(model, inserted, original, batchSize: 5);
        var deleted = TokenInsertion.Delete(inserted);
        double worst = 0;
        for (int i = 0; i < inserted.Count; i++)
        {
            bool[] Allowed(Data.Batching.EncodedDataset d) => paddingMask ? d.Mask!.AsSpan(i * L, L).ToArray() : Enumerable.Repeat(true, L).ToArray();
            var ins = Reference(model, Tiny.Row(inserted.Data, i), Allowed(inserted.Data));
            var maskedAllowed = Allowed(inserted.Data);
            for (int j = 0; j < 2; j++) maskedAllowed[inserted.Position(i, j)] = false;
            var masked = Reference(model, Tiny.Row(inserted.Data, i), maskedAllowed);
            var del = Reference(model, Tiny.Row(deleted, i), Allowed(deleted));
            var orig = Reference(model, Tiny.Row(original, i), Allowed(original));
            foreach (var (cond, r) in new[] { (Conditions.Inserted, ins), (Conditions.Masked, masked), (Conditions.Deleted, del), (Conditions.Original, orig) })
            {
                for (int c = 0; c < 2; c++) worst = Math.Max(worst, Math.Abs(o.Logits[cond][i * 2 + c] - r.Logits[c]));
                Assert.Equal(r.Logits[1] > r.Logits[0] ? 1L : 0L, o.Predictions[cond][i]);
            }
            for (int h = 0; h < K; h++)
                for (int j = 0; j < 2; j++)
                    worst = Math.Max(worst, Math.Abs(o.MassAt(i, h, j) - ins.Alpha[h][inserted.Position(i, j)]));
        }
        Assert.True(worst < 1e-10, $"largest difference {worst}");
        // The conditions differ (so that the comparison above can tell them apart).
        Assert.NotEqual(o.Logits[Conditions.Inserted], o.Logits[Conditions.Masked]);
        if (paddingMask && position == "end")
        {
            // Trailing tokens behind a padding mask: deleting them is masking them (no word moves).
            var m = o.Logits[Conditions.Masked];
            var d = o.Logits[Conditions.Deleted];
            for (int i = 0; i < m.Length; i++) Assert.Equal(m[i], d[i], 12);
        }
        else Assert.NotEqual(o.Logits[Conditions.Masked], o.Logits[Conditions.Deleted]);
    }

    [Fact]
    public void Statistics_match_plain_loops()
    {
        var rng = new Random(11);
        var original = Tiny.RandomData(rng, 40, L, Vocab, 9);
        var inserted = TokenInsertion.Insert(original, Tiny.Start(3), Vocab);
        var config = new ModelConfig(Vocab + 3, EmbedDim: 6, AttDim: 3, OutDim: 4, Heads: K, Length: L, InitRange: 1.0);
        using var model = new AttentionClassifier(config, 5, null, ScalarType.Float64);
        var o = ProbePass.Run(model, inserted, original, batchSize: 16);
        string[] names = ["[s0]", "[s1]", "[s2]"];

        var acc = ProbeStatistics.Accuracy("m", o).ToDictionary(a => a.Condition);
        foreach (var c in Conditions.All)
        {
            int correct = 0, same = 0;
            for (int i = 0; i < o.Count; i++)
            {
                if (o.Predictions[c][i] == o.Labels[i]) correct++;
                if (o.Predictions[c][i] == o.Predictions[Conditions.Inserted][i]) same++;
            }
            Assert.Equal(correct, acc[c].Correct);
            Assert.Equal(correct / 40.0, acc[c].Accuracy, 15);
            Assert.Equal(same / 40.0, acc[c].Agreement, 15);
        }

        var mass = ProbeStatistics.MassTable("m", o, names);
        Assert.Equal((K + 1) * (3 + 1) * 5, mass.Count);
        var sep = ProbeStatistics.SeparationTable("m", o, names);
        for (int head = -1; head < K; head++)
            for (int token = -1; token < 3; token++)
            {
                string hn = head < 0 ? "mean" : (head + 1).ToString(), tn = token < 0 ? "all" : names[token];
                double Value(int i)
                {
                    double s = 0;
                    for (int h = 0; h < K; h++)
                        for (int j = 0; j < 3; j++)
                            if ((head < 0 || h == head) && (token < 0 || j == token)) s += o.MassAt(i, h, j);
                    return head < 0 ? s / K : s;
                }
                for (int c = 0; c <= 1; c++)
                {
                    var members = Enumerable.Range(0, o.Count).Where(i => o.Predictions[Conditions.Inserted][i] == c).ToList();
                    double mean = members.Sum(Value) / members.Count;
                    var row = mass.Single(r => r.Head == hn && r.Token == tn && r.Group == "predicted" && r.Class == c.ToString());
                    Assert.Equal(members.Count, row.Documents);
                    Assert.Equal(mean, row.Mean, 12);
                    var trueMembers = Enumerable.Range(0, o.Count).Where(i => o.Labels[i] == c).ToList();
                    Assert.Equal(trueMembers.Sum(Value) / trueMembers.Count, mass.Single(r => r.Head == hn && r.Token == tn && r.Group == "true" && r.Class == c.ToString()).Mean, 12);
                }
                // AUROC by brute force over all pairs.
                var x1 = Enumerable.Range(0, o.Count).Where(i => o.Predictions[Conditions.Inserted][i] == 1).Select(Value).ToList();
                var x0 = Enumerable.Range(0, o.Count).Where(i => o.Predictions[Conditions.Inserted][i] == 0).Select(Value).ToList();
                double wins = 0;
                foreach (var a in x1) foreach (var b in x0) wins += a > b ? 1 : a == b ? 0.5 : 0;
                var s = sep.Single(r => r.Head == hn && r.Token == tn && r.Group == "predicted");
                Assert.Equal(wins / (x1.Count * x0.Count), s.Auroc, 12);
                Assert.Equal(x1.Average() - x0.Average(), s.Difference, 12);
            }
        Assert.InRange(ProbeStatistics.Mass(o, 0, -1, -1), 1e-6, 1);
    }

    [Fact]
    public void The_attention_ratio_of_two_inserted_tokens_is_the_same_in_every_document()
    {
        // The [CLS] query is constant, so a token's score depends only on the token and its position: at fixed
        // positions (start) the inserted tokens' attention ratio cannot carry anything about the document.
        var rng = new Random(13);
        var inserted = TokenInsertion.Insert(Tiny.RandomData(rng, 30, L, Vocab, 9), Tiny.Start(2), Vocab);
        using var model = new AttentionClassifier(new ModelConfig(Vocab + 2, 6, 3, 4, K, Length: L, InitRange: 1.0), 17, null, ScalarType.Float64);
        var o = ProbePass.Run(model, inserted);
        for (int h = 0; h < K; h++)
        {
            double r0 = o.MassAt(0, h, 0) / o.MassAt(0, h, 1);
            for (int i = 1; i < o.Count; i++) Assert.Equal(1.0, o.MassAt(i, h, 0) / o.MassAt(i, h, 1) / r0, 10);
            Assert.NotEqual(o.MassAt(0, h, 0), o.MassAt(1, h, 0)); // while the masses themselves vary
        }
    }

    [Fact]
    public void Auroc_counts_ties_as_half()
    {
        Assert.Equal(1.0, ProbeStatistics.Auroc([1, 2], [3, 4]));
        Assert.Equal(0.0, ProbeStatistics.Auroc([3, 4], [1, 2]));
        Assert.Equal(0.5, ProbeStatistics.Auroc([1, 1], [1, 1]));
        Assert.Equal(0.875, ProbeStatistics.Auroc([1, 2], [2, 3])); // class-1 vs class-0 pairs: 2>1, 2=2, 3>1, 3>2: 3.5 / 4
        Assert.True(double.IsNaN(ProbeStatistics.Auroc([], [1])));
    }
}
