using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Faithfulness.Tests;

/// <summary>The erasure curves against hand computations on a model whose logit is a position-weighted sum of word
/// values, so that deletion (which shifts the later words) and UNK in place give different, hand-checkable values.</summary>
public class ErasureTests
{
    /// <summary>logits = (0, sum_t t s[x_t]) over the L = 6 positions, with s(w2) = 1, s(w3) = -1, s(w4) = 2, s(w5) = 0.5
    /// and 0 for [CLS], UNK and every other word: the positive logit of "w2 w3 w4 w5" is 1 - 2 + 6 + 2 = 7.</summary>
    private sealed class PositionWeighted : nn.Module, ITextClassifier
    {
        public PositionWeighted() : base("PositionWeighted")
        {
            var s = new double[Tiny.V];
            (s[2], s[3], s[4], s[5]) = (1, -1, 2, 0.5);
            W_e = new Parameter(tensor(s, [Tiny.V, 1], ScalarType.Float64), requires_grad: false);
            RegisterComponents();
        }

        public Parameter W_e { get; private set; }
        public nn.Module Module => this;
        public TextInputs Inputs { get; } = new(6, Tiny.V);
        public int Classes => 2;
        public ScalarType DType => ScalarType.Float64;
        public Device Device => CPU;
        public Tensor WordEmbed(Tensor ids) => Functional.embedding(ids, W_e);
        public Tensor? PositionEncoding => null;

        public Tensor Logits(Tensor embedded, Tensor? mask)
        {
            var f = embedded.squeeze(2).mul(arange(6, ScalarType.Float64)).sum(1);
            return stack([zeros_like(f), f], 1);
        }
    }

    private static void Close(double[] expected, IEnumerable<double> actual)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], 1e-15);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static TestDocument Doc(string text) => new(ExplainDocument.Prepare(text, Tiny.Vocabulary, new TextInputs(6, Tiny.V), text));

    [Theory]
    [InlineData(30, 0.1, 3)]
    [InlineData(99, 0.01, 1)]
    [InlineData(20, 0.05, 1)]
    [InlineData(200, 0.05, 10)]
    [InlineData(255, 0.2, 51)]
    [InlineData(3, 0.5, 2)]
    [InlineData(1, 0.01, 1)]
    [InlineData(7, 1.0, 7)]
    public void The_top_count_rounds_up_to_at_least_one_token(int tokens, double fraction, int k) => Assert.Equal(k, Erasure.TopCount(tokens, fraction));

    [Theory]
    [InlineData(RemovalMode.Delete)]
    [InlineData(RemovalMode.ReplaceWithUnk)]
    public void Curves_of_a_positive_prediction_equal_the_hand_computation(RemovalMode removal)
    {
        using var model = new PositionWeighted();
        var docs = new[] { Doc("w2 w3 w4 w5") };
        // G-avg is signed and the prediction positive, so the ranking is by the scores as they are: w4 (3), w5 (0.5), w2 (0.1), w3 (-2).
        var curves = Erasure.FromScores(model, docs, [("G-avg", [[0.1, -2, 3, 0.5]])], new ErasureSettings([0.25, 0.5, 1.0], removal));
        var c = Assert.Single(curves);
        Assert.Equal(1, c.Predicted);
        Assert.Equal(Sigmoid(7), c.PFull, 1e-15);
        Assert.Equal([1, 2, 4], c.Points.Select(p => p.K));
        // Without the top k / with only them, positive logit by hand:
        //   delete: k=1 "w2 w3 w5" = 1 - 2 + 1.5 = 0.5, "w4" = 2; k=2 "w2 w3" = -1, "w4 w5" = 2 + 1 = 3; k=4 "" = 0, all = 7
        //   unk:    k=1 "w2 w3 UNK w5" = 1,  "UNK UNK w4 UNK" = 6;  k=2 "w2 w3 UNK UNK" = -1, "UNK UNK w4 w5" = 8; k=4 0, 7
        double[] without = removal == RemovalMode.Delete ? [0.5, -1, 0] : [1, -1, 0];
        double[] only = removal == RemovalMode.Delete ? [2, 3, 7] : [6, 8, 7];
        for (int f = 0; f < 3; f++)
        {
            Assert.Equal(Sigmoid(without[f]), c.Points[f].PWithout, 1e-15);
            Assert.Equal(Sigmoid(only[f]), c.Points[f].POnly, 1e-15);
            Assert.Equal(Sigmoid(7) - Sigmoid(without[f]), c.Points[f].Comprehensiveness, 1e-15);
            Assert.Equal(Sigmoid(7) - Sigmoid(only[f]), c.Points[f].Sufficiency, 1e-15);
        }
        Assert.Equal(c.Points.Average(p => p.Comprehensiveness), c.AopcComprehensiveness, 1e-15);
        Assert.Equal(c.Points.Average(p => p.Sufficiency), c.AopcSufficiency, 1e-15);
    }

    [Fact]
    public void A_negative_prediction_turns_signed_scores_and_keeps_unsigned_ones()
    {
        using var model = new PositionWeighted();
        var docs = new[] { Doc("w3 w2 w3") };   // -1 + 2 - 3 = -2: predicted negative, p(neg) = sigmoid(2)
        var curves = Erasure.FromScores(model, docs, [("G-avg", [[-1, 1, -0.5]]), ("alpha-avg", [[0.2, 0.9, 0.4]])],
            new ErasureSettings([0.25, 0.5, 1.0]));
        var signed = curves.Single(c => c.Method == "G-avg");
        Assert.Equal(0, signed.Predicted);
        Assert.Equal(Sigmoid(2), signed.PFull, 1e-15);
        // G-avg turned towards the negative class: (1, -1, 0.5), so the order is t0, t2, t1; k = 1, 2, 3.
        //   k=1 without "w2 w3" = 1 - 2 = -1 -> p(neg) = sigmoid(1); only "w3" = -1 -> sigmoid(1)
        //   k=2 without "w2" = 1 -> sigmoid(-1); only "w3 w3" = -3 -> sigmoid(3); k=3: "" -> 1/2, all -> sigmoid(2)
        Close([Sigmoid(1), Sigmoid(-1), 0.5], signed.Points.Select(p => p.PWithout));
        Close([Sigmoid(1), Sigmoid(3), Sigmoid(2)], signed.Points.Select(p => p.POnly));
        // alpha-avg is unsigned: (0.2, 0.9, 0.4) ranks t1, t2, t0.
        //   k=1 without "w3 w3" = -3 -> sigmoid(3); only "w2" = 1 -> sigmoid(-1)
        //   k=2 without "w3" = -1 -> sigmoid(1); only "w2 w3" = -1 -> sigmoid(1)
        var unsigned = curves.Single(c => c.Method == "alpha-avg");
        Close([Sigmoid(3), Sigmoid(1), 0.5], unsigned.Points.Select(p => p.PWithout));
        Close([Sigmoid(-1), Sigmoid(1), Sigmoid(2)], unsigned.Points.Select(p => p.POnly));
        Assert.False(unsigned.Signed);
    }

    [Fact]
    public void Ties_go_to_the_earlier_token_and_the_summary_averages_documents()
    {
        Assert.Equal([1, 0, 2, 3], Erasure.Ranking([1.0, 2.0, 1.0, 0.5], predicted: 1, signed: true));
        Assert.Equal([3, 0, 2, 1], Erasure.Ranking([1.0, 2.0, 1.0, 0.5], predicted: 0, signed: true));
        using var model = new PositionWeighted();
        var docs = new[] { Doc("w2 w3 w4 w5"), Doc("w3 w2 w3"), Doc("w4 w4") };
        var scores = new double[][] { [0.1, -2, 3, 0.5], [-1, 1, -0.5], [1, 2] };
        var curves = Erasure.FromScores(model, docs, [("G-avg", scores), ("random", scores)]);
        Assert.Equal(6, curves.Count);
        Assert.All(curves, c => Assert.Equal(ErasureSettings.EraserFractions, c.Points.Select(p => p.Fraction)));
        var summary = Erasure.Summarise(curves);
        var aopc = summary.Single(r => r.Method == "G-avg" && r.Measure == "comprehensiveness" && r.Fraction == "aopc");
        var mine = curves.Where(c => c.Method == "G-avg").Select(c => c.AopcComprehensiveness).ToArray();
        Assert.Equal(3, aopc.N);
        Assert.Equal(mine.Average(), aopc.Mean, 1e-15);
        double sd = Math.Sqrt(mine.Sum(x => (x - mine.Average()) * (x - mine.Average())) / 2);
        Assert.Equal(sd / Math.Sqrt(3), aopc.StandardError, 1e-15);
        Assert.Equal(mine.Order().ElementAt(1), aopc.Median, 1e-15);
        var half = summary.Single(r => r.Method == "G-avg" && r.Measure == "sufficiency" && r.Fraction == "0.5");
        Assert.Equal(curves.Where(c => c.Method == "G-avg").Average(c => c.Points[4].Sufficiency), half.Mean, 1e-15);
        Assert.Equal(2 * 2 * 6, summary.Count);
    }

    [Fact]
    public void Bad_inputs_are_refused_naming_what()
    {
        using var model = new PositionWeighted();
        var docs = new[] { Doc("w2 w3") };
        Assert.Contains("3 token scores for 2 tokens", Assert.Throws<ArgumentException>(() => Erasure.FromScores(model, docs, [("G-avg", [[1, 2, 3]])])).Message);
        Assert.Contains("token score 1 is NaN", Assert.Throws<ArgumentException>(() => Erasure.FromScores(model, docs, [("G-avg", [[1, double.NaN]])])).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentException>(() => Erasure.FromScores(model, docs, [("G-avg", [[1, 2]])], new ErasureSettings([0.0]))).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new ErasureSettings([0.1, 0.1]).Validate()).Message);
        Assert.Contains("2 score vectors for 1 documents", Assert.Throws<ArgumentException>(() => Erasure.FromScores(model, docs, [("G-avg", [[1, 2], [1, 2]])])).Message);
    }
}
