using AttnXai.Data.Imdb;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce.Tests;

/// <summary>A tiny synthetic IMDB-like corpus and a tiny random model over its vocabulary.</summary>
internal static class Fixtures
{
    static readonly string[] Pos = ["good", "great", "popular", "fine", "fun", "superb"];
    static readonly string[] Neg = ["bad", "awful", "questionable", "dull", "poor", "boring"];
    static readonly string[] Neutral = ["attention", "based", "explanations", "are", "but", "the", "film", "plot", "actor", "a", "movie", "is"];

    public static List<ImdbReview> Reviews(ImdbSplit split, int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<ImdbReview>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            int n = rng.Next(4, 13);
            var words = Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0 ? (label == 1 ? Pos : Neg)[rng.Next(6)] : Neutral[rng.Next(Neutral.Length)]);
            list.Add(new ImdbReview(split, label, i, label == 1 ? 8 : 3, string.Join(' ', words) + "."));
        }
        if (split == ImdbSplit.Test)
            list.Add(new ImdbReview(ImdbSplit.Test, 0, 9657, 4, "The plot is dull, the actor is poor but the film is popular; a boring movie, awful and questionable."));
        return list;
    }

    public static Vocabulary Vocab() =>
        Vocabulary.Build(Reviews(ImdbSplit.Train, 200, 1).Select(r => r.Text).Append("attention based explanations are popular but questionable").ToArray(),
            Tokenizers.Get(Tokenizers.BasicEnglish));

    public static ModelConfig Config(Vocabulary v) => new(v.Count, EmbedDim: 8, AttDim: 4, OutDim: 4, Heads: 6, Length: 16, InitRange: 0.5);

    public static ReproduceSettings Settings => new()
    {
        LimeRuns = 3, LimeSamples = 300, LimitSamples = 1000, LimitEvery = 1, Docs = 6, ChunkSize = 4, Threads = 2, Figure5Columns = 8,
    };

    public static ReproduceContext Context(long seed = 3)
    {
        var v = Vocab();
        var model = new AttentionClassifier(Config(v), seed);
        model.eval();
        return new ReproduceContext(new ModelBundle(model, v, 0.5), Reviews(ImdbSplit.Test, 10, 2), Settings);
    }

    public static TrainingRecipe TinyRecipe => new()
    {
        EmbedDim = 8, AttDim = 4, OutDim = 4, Heads = 6,
        Data = new DataOptions { Length = 16, ValidationCount = 20 },
        Training = new TrainingOptions { Epochs = 1, BatchSize = 8, LearningRate = 1e-2 },
    };

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "attnxai-repro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
