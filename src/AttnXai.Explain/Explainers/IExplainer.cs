using AttnXai.Explain.Adapters;

namespace AttnXai.Explain.Explainers;

/// <summary>
/// An explainer: documents in, one explanation each (a score per token and per distinct word) out. Implementations
/// batch over documents where the method allows it. A new explainer is one file: a class deriving from
/// <see cref="TokenExplainer"/> or <see cref="WordExplainer"/> that declares its catalogue entry
/// (<see cref="ICataloguedExplainer"/>); the <see cref="ExplainerRegistry"/> finds it by name, in AttnXai.Explain and in
/// any loaded assembly (a script's, a test's) without a registration call, and an instance made with <c>new</c> uses
/// its class's entry (src/AttnXai.Explain/README.md, "Adding a method").
/// </summary>
public interface IExplainer
{
    /// <summary>The method name explanations carry ("alpha-avg", "lime-unk").</summary>
    string Name { get; }

    /// <summary>What the method is (signed, what it needs...): the catalogue's entry of <see cref="Name"/>, or the
    /// entry its own class declares (<see cref="ExplainerRegistry.InfoOf(IExplainer)"/>).</summary>
    ExplainerInfo Info => ExplainerRegistry.InfoOf(this);

    /// <summary>True when the method scores words (all occurrences at once): every occurrence gets its word's score.</summary>
    bool PerWord { get; }
    IReadOnlyDictionary<string, string> Settings { get; }
    IReadOnlyList<Explanation> Explain(ExplainTarget target, IReadOnlyList<ExplainDocument> documents);
}
