using AttnXai.Data.Text;
using AttnXai.Data.Text.WordPiece;
using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Explain.Tests;

/// <summary>
/// Explanations of words on a BERT-family model: a tiny random BERT in float64 and a real WordPiece tokenizer over a
/// small vocabulary, so that words split into several tokens and the document carries [SEP] and [PAD].
/// </summary>
public sealed class PretrainedExplainTests : IDisposable
{
    private static readonly string[] Vocabulary =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "film", "was", "good", "bad", "un", "##for", "##get", "##table", ",", ".", "!", "act", "##ing", "plot"];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnxai-pretrained-explain-" + Guid.NewGuid().ToString("N"));
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly BertClassifier _model;

    public PretrainedExplainTests()
    {
        Directory.CreateDirectory(_dir);
        var vocab = Path.Combine(_dir, "vocab.txt");
        File.WriteAllLines(vocab, Vocabulary);
        _tokenizer = BertWordPieceTokenizer.FromVocabulary(vocab);
        var a = new BertArchitecture(new BertSizes("bert", Vocabulary.Length, 8, 2, 2, 6, 20, 2, 1e-12, "gelu"), BertHead.Cls, 2, 18, _tokenizer.Special);
        _model = new BertClassifier(a, dtype: ScalarType.Float64);
        _model.eval();
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            foreach (var p in _model.parameters()) p.add_(torch.randn(p.shape, ScalarType.Float64).mul(0.5));
    }

    public void Dispose()
    {
        _model.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private const string Text = "The unforgettable film, the acting was bad!";

    [Fact]
    public void DocumentsAreWordsOfWordPieces()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        Assert.True(doc.ModelTokenized && doc.SubwordTokens);
        Assert.Equal(["the", "un", "##for", "##get", "##table", "film", ",", "the", "act", "##ing", "was", "bad", "!"], doc.Tokens);
        Assert.Equal(["the", "unforgettable", "film", ",", "acting", "was", "bad", "!"], doc.Words);
        Assert.Equal([0, 1, 1, 1, 1, 2, 3, 0, 4, 4, 5, 6, 7], doc.WordOfToken);
        // [CLS] tokens [SEP] then [PAD]: the ids Hugging Face's tokenizer gives.
        Assert.Equal(_tokenizer.EncodeWithSpecials(Text), doc.Ids.AsSpan(0, doc.RealLength).ToArray());
        Assert.Equal(3, doc.Ids[doc.RealLength - 1]);
        Assert.All(doc.Ids.Skip(doc.RealLength), id => Assert.Equal(0, id));
        Assert.Equal(4, doc.ReplacementId);   // [MASK] by default
        Assert.Equal(1, new ExplainTarget(_model, _tokenizer, replacement: ReplacementToken.Unk).Prepare(Text).ReplacementId);
    }

    [Fact]
    public void DeletingWordsIsTheTextRetokenizedWithoutThem()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        var ids = new long[doc.Length];
        // Remove "unforgettable" (1) and "the" (0, both occurrences).
        var keep = Enumerable.Range(0, doc.WordCount).Select(j => j is not (0 or 1)).ToArray();
        int real = doc.PerturbedIds(keep, RemovalMode.Delete, ids);
        var expected = _tokenizer.EncodeWithSpecials("film, acting was bad!");
        Assert.Equal(expected, ids.AsSpan(0, real).ToArray());
        Assert.All(ids.Skip(real), id => Assert.Equal(0, id));
        // In place: every WordPiece of a removed word becomes [MASK]; [SEP] stays.
        real = doc.PerturbedIds(keep, RemovalMode.ReplaceWithUnk, ids);
        Assert.Equal(doc.RealLength, real);
        Assert.Equal([2, 4, 4, 4, 4, 4, 6, 14, 4, 17, 18, 7, 9, 16, 3], ids.AsSpan(0, real).ToArray());
    }

    [Fact]
    public void TokenScoresSumIntoWordScoresAndIgIsComplete()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        var grad = new GradientExplainer(GradientScore.L2).Explain(target, [doc])[0];
        Assert.Equal("sum", grad.Settings["word_aggregation"]);
        for (int j = 0; j < doc.WordCount; j++)
            Assert.Equal(Enumerable.Range(0, doc.TokenCount).Where(t => doc.WordOfToken[t] == j).Sum(t => grad.TokenScores[t]), grad.WordScores[j], 12);
        var first = new GradientExplainer(GradientScore.L2, WordAggregation.First).Explain(target, [doc])[0];
        Assert.Equal(grad.TokenScores[1], first.WordScores[1]);   // "un" for "unforgettable"

        foreach (var baseline in new[] { IgBaseline.Auto, IgBaseline.Mask, IgBaseline.Unk })
        {
            var ig = new IntegratedGradientsExplainer(256, baseline).Explain(target, [doc])[0];
            Assert.Equal(baseline == IgBaseline.Auto ? "pad" : baseline.ToString().ToLowerInvariant(), ig.Settings["baseline"]);
            double delta = ig.Diagnostics["output"] - ig.Diagnostics["baseline_output"];
            Assert.True(Math.Abs(delta) > 1e-3, $"the baseline changes f by {delta}");
            // Completeness: the attributions of every position sum to f(x) - f(x') (midpoint rule, 256 points), and the
            // baseline keeps [CLS] and [SEP], so nearly all of it is on the words.
            Assert.True(Math.Abs(ig.Diagnostics["completeness_gap"]) < 0.01 * Math.Abs(delta), $"{baseline}: gap {ig.Diagnostics["completeness_gap"]:E2} of {delta:E2}");
            Assert.Equal(0.0, ig.Diagnostics["padding_attribution"]);
            Assert.Equal(0.0, ig.Diagnostics["cls_attribution"], 12);
        }
    }

    [Fact]
    public void PerturbationMethodsReadTheModelThroughItsTokenizer()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        // Occlusion of word j = f(x) - f(x without j): checked against the model run on the re-tokenized text.
        var occ = ExplainerRegistry.Create(["occlusion-delete"], new ExplainerSettings())[0].Explain(target, [doc])[0];
        double F(string text)
        {
            using var scope = torch.NewDisposeScope();
            var ids = _tokenizer.EncodeWithSpecials(text);
            return _model.LogitsOfIds(torch.tensor(ids, [1, ids.Length]), torch.ones([1, ids.Length], ScalarType.Bool)).select(1, 1).ToDouble();
        }
        double full = F(Text);
        Assert.Equal(full - F("The film, the acting was bad!"), occ.WordScores[1], 10);
        Assert.Equal(full - F("unforgettable film, acting was bad!"), occ.WordScores[0], 10);
    }

    [Fact]
    public void RolloutOfTheModelsOwnMapsComputedByHand()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        var rollout = new AttentionRolloutExplainer().Explain(target, [doc])[0];
        // By hand: per layer the head mean of the maps over the real positions, plus the identity, rows renormalised;
        // the [CLS] row of the product from the last layer to the first.
        int n = doc.RealLength, L = doc.Length;
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(doc.Ids, [1, L]);
        var mask = torch.tensor(Enumerable.Range(0, L).Select(t => t < n).ToArray(), [1, L]);
        var (_, maps) = _model.LogitsAndAttention(((ITextClassifier)_model).Embed(ids), mask);
        var row = new double[n];
        row[0] = 1;
        for (int l = maps.Count - 1; l >= 0; l--)
        {
            var a = maps[l].ToArray<double>();   // [1, H, L, L]
            int H = (int)maps[l].shape[1];
            var next = new double[n];
            for (int q = 0; q < n; q++)
            {
                var m = new double[n];
                for (int k = 0; k < n; k++)
                {
                    double mean = 0;
                    for (int h = 0; h < H; h++) mean += a[(h * L + q) * L + k];
                    m[k] = mean / H + (q == k ? 1 : 0);
                }
                double sum = m.Sum();
                for (int k = 0; k < n; k++) next[k] += row[q] * m[k] / sum;
            }
            row = next;
        }
        for (int t = 0; t < doc.TokenCount; t++) Assert.Equal(row[t + 1], rollout.TokenScores[t], 10);
    }

    [Fact]
    public void AnyClassOfAThreeClassModelIsExplained()
    {
        var a = new BertArchitecture(new BertSizes("bert", Vocabulary.Length, 8, 2, 2, 6, 20, 2, 1e-12, "gelu"), BertHead.Mean, 3, 18, _tokenizer.Special);
        using var model = new BertClassifier(a, dtype: ScalarType.Float64);
        model.eval();
        torch.manual_seed(5);
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.add_(torch.randn(p.shape, ScalarType.Float64).mul(0.5));
        var target = new ExplainTarget(model, _tokenizer);
        Assert.Equal(2, target.Model.ExplainedClass);
        var doc = target.Prepare(Text);
        var e = ((ITextClassifier)model).Embed(torch.tensor(doc.Ids, [1, doc.Length])).detach();
        var mask = torch.tensor(Enumerable.Range(0, doc.Length).Select(t => t < doc.RealLength).ToArray(), [1, doc.Length]);
        for (int c = 0; c < 3; c++)
        {
            var forClass = target.ForClass(c);
            Assert.Equal(c, forClass.Model.ExplainedClass);
            Assert.True(forClass.Model is IAttentionModel);
            var gxi = new GradientExplainer(GradientScore.TimesInput).Explain(forClass, [doc])[0];
            // g . e of token t against autograd of logit c itself.
            var x = e.clone().requires_grad_(true);
            var g = torch.autograd.grad([model.Logits(x, mask).select(1, c).sum()], [x])[0]!;
            var expected = (g * x).sum(2).ToArray<double>();
            for (int t = 0; t < doc.TokenCount; t++) Assert.Equal(expected[t + 1], gxi.TokenScores[t], 10);
            // Occlusion reads logit c too.
            var occ = ExplainerRegistry.Create(["occlusion-unk"], new ExplainerSettings())[0].Explain(forClass, [doc])[0];
            var ids = new long[doc.Length];
            var keep = Enumerable.Range(0, doc.WordCount).Select(j => j != 2).ToArray();
            int real = doc.PerturbedIds(keep, RemovalMode.ReplaceWithUnk, ids);
            double full = model.Logits(e, mask).select(1, c).ToDouble();
            double without = model.LogitsOfIds(torch.tensor(ids, [1, doc.Length]), mask).select(1, c).ToDouble();
            Assert.Equal(full - without, occ.WordScores[2], 10);
        }
        Assert.Same(target, target.ForClass(2));
    }

    [Fact]
    public void GradientAverageAndGradientTimesInputAreZeroByConstructionOnBert()
    {
        var target = new ExplainTarget(_model, _tokenizer);
        var doc = target.Prepare(Text);
        var g = new GradientExplainer(GradientScore.L2).Explain(target, [doc])[0];
        double scale = g.TokenScores.Max();
        Assert.True(scale > 1e-3, $"the gradient is not degenerate itself ({scale})");
        // Float64: G-avg exactly zero up to rounding, GxI up to the LayerNorm's epsilon (1e-12).
        var avg = new GradientExplainer(GradientScore.Average).Explain(target, [doc])[0];
        var gxi = new GradientExplainer(GradientScore.TimesInput).Explain(target, [doc])[0];
        Assert.All(avg.TokenScores, v => Assert.True(Math.Abs(v) < 1e-15 * scale * 8, $"G-avg {v:E2}"));
        Assert.All(gxi.TokenScores, v => Assert.True(Math.Abs(v) < 1e-9 * scale, $"GxI {v:E2}"));
        // The catalogue says so for these two only; IG, which integrates from a baseline, is a real score.
        var zero = ExplainerRegistry.Catalogue.Where(i => i.ZeroReason(_model) is not null).Select(i => i.Family).Order().ToArray();
        Assert.Equal(["G-avg", "GxI"], zero);
        var ig = new IntegratedGradientsExplainer(32).Explain(target, [doc])[0];
        Assert.True(ig.TokenScores.Max(Math.Abs) > 1e-3);
        // The views of other classes keep the facts.
        Assert.NotNull(ExplainerRegistry.InfoOf("GxI").ZeroReason(target.ForClass(0).Model));
    }
}
