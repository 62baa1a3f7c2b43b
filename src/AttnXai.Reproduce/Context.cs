using AttnXai.Data.Imdb;
using AttnXai.Explain.Adapters;
using AttnXai.Model;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Reproduce;

/// <summary>Settings of the figures and studies (defaults: the paper's protocol).</summary>
public sealed record ReproduceSettings
{
    /// <summary>The Figure 1, 3 and 5 sentence.</summary>
    public string Sentence { get; init; } = "attention based explanations are popular but questionable";
    /// <summary>The Figure 4 review (relative path inside aclImdb).</summary>
    public string Figure4Review { get; init; } = "test/neg/9657_4.txt";
    /// <summary>LIME runs per document (the method's default, the authors' 5).</summary>
    public int LimeRuns { get; init; } = AttnXai.Explain.Explainers.LimeExplainer.DefaultRuns;
    /// <summary>LIME samples per run (the method's default, lime's 5000).</summary>
    public int LimeSamples { get; init; } = LimeOptions.DefaultSampleCount;
    /// <summary>Samples of the large-sample LIME limit in the study (0: skip it).</summary>
    public long LimitSamples { get; init; } = 50_000;
    /// <summary>The limit is computed on every LimitEvery-th study document (index % LimitEvery == 0; 1: all), NaN elsewhere:
    /// at 50,000 samples it costs twice the 5 LIME runs, so the full study subsamples it.</summary>
    public int LimitEvery { get; init; } = 10;
    public ulong Seed { get; init; } = 42;
    /// <summary>Cap on the documents of the studies (null: all test reviews).</summary>
    public int? Docs { get; init; }
    /// <summary>Documents per resumable chunk of a study.</summary>
    public int ChunkSize { get; init; } = 250;
    /// <summary>Worker threads of the LIME study.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Top-k of the overlap measure.</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Embedding coordinates shown in Figure 5.</summary>
    public int Figure5Columns { get; init; } = 80;

    public LimeOptions Lime(ulong seed) => new() { SampleCount = LimeSamples, Seed = seed, BatchSize = 1024 };
}

/// <summary>What every figure and study works on: the model (and its explain target), the test reviews, the settings.
/// Disposing it frees the float64 copy it made (<see cref="Model64"/>); the bundle's model is the caller's.</summary>
public sealed class ReproduceContext : IDisposable
{
    public ReproduceContext(ModelBundle bundle, IReadOnlyList<ImdbReview> testReviews, ReproduceSettings? settings = null)
    {
        Bundle = bundle;
        Test = testReviews;
        Settings = settings ?? new ReproduceSettings();
        Target = new ExplainTarget(bundle.Model, bundle.Vocabulary);
    }

    public ModelBundle Bundle { get; }
    public AttentionClassifier Model => Bundle.Model;
    public ExplainTarget Target { get; }
    public IReadOnlyList<ImdbReview> Test { get; }
    public ReproduceSettings Settings { get; }

    private AttentionClassifier? _model64;
    /// <summary>A float64 copy of the model for autograd (made once).</summary>
    public AttentionClassifier Model64 => _model64 ??= Analysis.Float64Copy(Model);

    private ExplainTarget? _target64;
    /// <summary>The explain target of <see cref="Model64"/> (torch-based explainers in double precision).</summary>
    public ExplainTarget Target64 => _target64 ??= new ExplainTarget(Model64, Bundle.Vocabulary);

    public void Dispose()
    {
        _model64?.Dispose();
        _model64 = null;
        _target64 = null;
    }

    /// <summary>The study's documents: all test reviews, or the first Docs of a seeded permutation.</summary>
    public IReadOnlyList<ImdbReview> StudyDocuments() => SelectStudyDocuments(Test, Settings);

    /// <summary>The study documents of <paramref name="test"/> under <paramref name="settings"/> (see <see cref="StudyDocuments()"/>).</summary>
    public static IReadOnlyList<ImdbReview> SelectStudyDocuments(IReadOnlyList<ImdbReview> test, ReproduceSettings settings)
    {
        if (settings.Docs is not int n || n >= test.Count) return test;
        var perm = new AttnXai.Common.Random.SplitMix64(settings.Seed + 7).Permutation(test.Count);
        return perm.Take(n).Order().Select(i => test[i]).ToArray();
    }
}
