using System.Collections.Concurrent;

namespace AttnXai.Data.Text;

/// <summary>The tokenizers by name, so that a saved model records which one it was trained with.</summary>
public static class Tokenizers
{
    /// <summary>torchtext's basic_english, the paper's model tokenizer.</summary>
    public const string BasicEnglish = "basic_english";

    /// <summary>The paper's LIME-compatible cleaning: runs of ASCII letters and digits, lower-cased.</summary>
    public const string Clean = "clean";

    private static readonly ConcurrentDictionary<string, Func<ITokenizer>> Registry = new(StringComparer.Ordinal)
    {
        [BasicEnglish] = () => BasicEnglishTokenizer.Instance,
        [Clean] = () => CleanedTokenizer.Instance,
    };

    /// <summary>The registered names, sorted.</summary>
    public static IReadOnlyList<string> Names => Registry.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The tokenizer registered under a name; throws ArgumentException listing the known names.</summary>
    public static ITokenizer Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Registry.TryGetValue(name, out var factory)) return factory();
        throw new ArgumentException(
            $"unknown tokenizer '{name}'; known tokenizers: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>Registers another tokenizer (names are case-sensitive; an existing name is not replaced).</summary>
    public static void Register(string name, Func<ITokenizer> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!Registry.TryAdd(name, factory))
            throw new ArgumentException($"a tokenizer named '{name}' is already registered", nameof(name));
    }
}
