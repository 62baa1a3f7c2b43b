using AttnXai.Explain.Explainers;
using AttnXai.Explain.Theory;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

public class TheoryTests
{
    /// <summary>grad of sum_b f_b w.r.t. e for one document, through libtorch autograd, done here directly.</summary>
    internal static (double[] Grad, double[] E, double F) Autograd(AttentionClassifier model, ExplainDocument doc)
    {
        using var scope = torch.NewDisposeScope();
        int L = model.Config.Length;
        var ids = torch.tensor(doc.Ids, [1, L]);
        Tensor? mask = null;
        if (model.Config.PaddingMask)
        {
            var m = new bool[L];
            m.AsSpan(0, doc.RealLength).Fill(true);
            mask = torch.tensor(m, [1, L]);
        }
        Tensor e;
        using (torch.no_grad()) e = model.Embed(ids).detach();
        e.requires_grad = true;
        var r = model.ForwardEmbedded(e, mask);
        var f = r.PositiveLogit;
        f.sum().backward();
        return (e.grad!.ToArray<double>(), e.ToArray<double>(), f.ToArray<double>()[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theorem41_EqualsAutograd_OnEveryRow_AndTheAuthorsFormMissesOnlyCls(bool paddingMask)
    {
        var rng = new Random(7);
        for (int seed = 1; seed <= 6; seed++)
        {
            using var model = SmallModels.Create(seed, paddingMask);
            var w = PaperWeights.From(model);
            int L = w.L, De = w.De;
            var doc = SmallModels.Document(model.Config, SmallModels.RandomText(rng, 1 + rng.Next(L - 2)));
            var (auto, _, f) = Autograd(model, doc);
            var pass = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
            Assert.Equal(f, pass.Output, 1e-12);
            var th = Theorem41.Gradient(pass);
            double globalScale = auto.Max(Math.Abs);
            Assert.True(globalScale > 1e-6, "the gradient should not vanish");
            for (int t = 0; t < L; t++)
            {
                var a = auto.AsSpan(t * De, De);
                double floor = 1e-9 * globalScale;
                double exactErr = SmallModels.ScaledError(th.Row(th.Exact, t), a, floor);
                Assert.True(exactErr < 1e-10, $"seed {seed}, row {t}: exact theory vs autograd relative error {exactErr:E2}");
                double authorsErr = SmallModels.ScaledError(th.Row(th.Authors, t), a, floor);
                if (t == 0) Assert.True(authorsErr > 1e-3, $"seed {seed}: the authors' form should miss the [CLS] row, error {authorsErr:E2}");
                else Assert.True(authorsErr < 1e-10, $"seed {seed}, row {t}: authors' form error {authorsErr:E2}");
            }
            if (paddingMask)
                for (int t = doc.RealLength; t < L; t++)
                    Assert.All(th.Row(th.Exact, t).ToArray(), v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void GradientTimesInput_ClosedForm_EqualsAutograd()
    {
        var rng = new Random(11);
        for (int seed = 1; seed <= 4; seed++)
        {
            using var model = SmallModels.Create(seed);
            var w = PaperWeights.From(model);
            var doc = SmallModels.Document(model.Config, SmallModels.RandomText(rng, 9));
            var (g, e, _) = Autograd(model, doc);
            var pass = PaperForwardPass.Run(w, doc.Ids, doc.RealLength);
            var closed = Theorem41.GradientTimesInput(pass);
            var direct = new double[w.L];
            for (int t = 0; t < w.L; t++)
                for (int k = 0; k < w.De; k++) direct[t] += e[t * w.De + k] * g[t * w.De + k];
            Assert.True(SmallModels.ScaledError(closed, direct) < 1e-10);
        }
    }

    [Fact]
    public void Theorem51_MatchesAHandComputation_AndSumsOccurrences()
    {
        using var model = SmallModels.Create(3);
        var w = PaperWeights.From(model);
        var doc = SmallModels.Document(model.Config, "w2 w3 w2 w4 zzz w3");
        var th = Theorem51.Approximate(w, doc);
        Assert.Equal(doc.WordCount, th.Words.Length);
        Assert.Equal(th.Occurrences[0] + th.Occurrences[2], th.Words[0], 1e-15);

        // Hand computation from torch: attention of the document and of [CLS] UNK ... UNK, values W_v e_t, W_l[1].
        using var scope = torch.NewDisposeScope();
        int L = w.L, K = w.K;
        var ids = torch.tensor(doc.Ids, [1, L]);
        var refIds = Enumerable.Repeat(w.UnkId, L).ToArray();
        refIds[0] = w.ClsId;
        var refT = torch.tensor(refIds, [1, L]);
        using var ng = torch.no_grad();
        var r = model.Forward(ids);
        var ru = model.Forward(refT);
        var v = model.Values(r.Embedded).ToArray<double>();   // [1, K, L, o]
        var vu = model.Values(ru.Embedded).ToArray<double>();
        var a = r.Attention.ToArray<double>();
        var au = ru.Attention.ToArray<double>();
        var wl = model.W_l.ToArray<double>();                   // [K, C, o]
        int O = w.Do, C = w.C;
        for (int t = 1; t <= doc.TokenCount; t++)
        {
            double s = 0;
            for (int i = 0; i < K; i++)
                for (int o = 0; o < O; o++)
                    s += wl[(i * C + 1) * O + o] * (a[i * L + t] * v[(i * L + t) * O + o] - au[i * L + t] * vu[(i * L + t) * O + o]);
            Assert.Equal(1.5 * s / K, th.Occurrences[t - 1], 1e-12);
        }
    }
}
