using AttnXai.Data.Text;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Explain.Tests;

/// <summary>Random small paper models (V = 30, d_e = 8, d_att = 4, d_out = 4, K = 2, L = 12) and documents for them.</summary>
internal static class SmallModels
{
    public const int V = 30;

    /// <summary>"[cls]", "UNK", "w2" .. "w29".</summary>
    public static readonly Vocabulary Vocabulary =
        Vocabulary.FromTokens(new[] { Vocabulary.ClsToken, Vocabulary.UnkToken }.Concat(Enumerable.Range(2, V - 2).Select(i => $"w{i}")));

    public static ModelConfig Config(bool paddingMask = false, double initRange = 0.7, int length = 12) =>
        new(V, EmbedDim: 8, AttDim: 4, OutDim: 4, Heads: 2, Length: length, PaddingMask: paddingMask, InitRange: initRange);

    public static AttentionClassifier Create(long seed, bool paddingMask = false, ScalarType dtype = ScalarType.Float64, double initRange = 0.7, int length = 12) =>
        new(Config(paddingMask, initRange, length), seed, null, dtype);

    /// <summary>A random text of <paramref name="words"/> words drawn from a pool of <paramref name="pool"/> known words and "zzz" (unknown).</summary>
    public static string RandomText(Random rng, int words, int pool = 8)
    {
        var w = new string[words];
        for (int i = 0; i < words; i++)
        {
            int k = rng.Next(pool + 1);
            w[i] = k == pool ? "zzz" : $"w{2 + k}";
        }
        return string.Join(' ', w);
    }

    public static ExplainDocument Document(ModelConfig config, string text) => ExplainDocument.Prepare(text, Vocabulary, config);

    /// <summary>Random mask rows (row-major), each flag kept with probability 1/2.</summary>
    public static bool[] RandomMasks(Random rng, int rows, int d)
    {
        var m = new bool[rows * d];
        for (int i = 0; i < m.Length; i++) m[i] = rng.Next(2) == 1;
        return m;
    }

    /// <summary>max |a - b| / max(max |b|, tiny).</summary>
    public static double ScaledError(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double tiny = 1e-300)
    {
        Assert.Equal(b.Length, a.Length);
        double err = 0, scale = 0;
        for (int i = 0; i < a.Length; i++) { err = Math.Max(err, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(b[i])); }
        return err / Math.Max(scale, tiny);
    }
}
