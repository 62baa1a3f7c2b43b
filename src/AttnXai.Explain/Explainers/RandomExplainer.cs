using AttnXai.Common.Random;
using AttnXai.Explain.Adapters;
using AttnXai.Model;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// The random baseline, the one every front-end uses: one N(0, 1) score per distinct word, independent of the model
/// (signed: its sign is a coin flip, its magnitude a random rank). The generator of a document is seeded from the seed
/// and a stable hash of the document's tokens, so a document gets the same scores whatever the other documents and
/// their order (same seed, same scores). Normal draws: Box-Muller on xoshiro256** uniforms.
/// </summary>
public sealed class RandomExplainer(ulong seed) : IExplainer, ICataloguedExplainer
{
    public const string MethodName = "random";

    public static IReadOnlyList<ExplainerInfo> Catalogue { get; } =
    [
        new(MethodName, "a reference: N(0, 1) per distinct word, seeded by the document's tokens", Signed: true, typeof(ITextClassifier),
            (s, _) => new RandomExplainer(s.Seed)) { Baseline = true, Settings = [new("Seed", "0", "seed mixed with the document's hash")] },
    ];

    public ulong Seed { get; } = seed;
    public string Name => MethodName;
    public bool PerWord => true;
    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["distribution"] = "N(0, 1) per distinct word",
        ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public IReadOnlyList<Explanation> Explain(ExplainTarget target, IReadOnlyList<ExplainDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var settings = Settings;
        return documents.Select(doc =>
        {
            var words = Scores(doc);
            return new Explanation(Name, doc, WordScores.Spread(words, doc.WordOfToken), words, settings,
                new Dictionary<string, double>(), new Dictionary<string, double[]>());
        }).ToArray();
    }

    /// <summary>The d scores of one document.</summary>
    public double[] Scores(ExplainDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var rng = new Xoshiro256StarStar(SplitMix64.Mix(Seed ^ Hash(document.Tokens)));
        var w = new double[document.WordCount];
        for (int j = 0; j < w.Length; j++) w[j] = Normal(rng);
        return w;
    }

    private static double Normal(Xoshiro256StarStar rng)
    {
        double u1 = 1.0 - rng.NextDouble(); // (0, 1]: log(u1) is finite
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>64-bit FNV-1a over the tokens (UTF-16 code units, a separator between tokens): stable across runs and platforms.</summary>
    private static ulong Hash(IEnumerable<string> tokens)
    {
        ulong h = 14695981039346656037UL;
        foreach (var tok in tokens)
        {
            foreach (char c in tok) { h ^= c; h *= 1099511628211UL; }
            h ^= 0xFFFF; h *= 1099511628211UL;
        }
        return h;
    }
}
