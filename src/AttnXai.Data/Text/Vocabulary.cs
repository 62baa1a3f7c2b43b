using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Data.Text;

/// <summary>Options for <see cref="Vocabulary.Build(IReadOnlyList{string}, ITokenizer, VocabularyOptions?)"/>.</summary>
public sealed record VocabularyOptions
{
    /// <summary>Tokens seen fewer times than this are left out (the paper: 1, every token).</summary>
    public int MinFrequency { get; init; } = 1;

    /// <summary>Maximum number of entries, the two specials included; null for no limit (the paper).</summary>
    public int? MaxSize { get; init; }
}

/// <summary>
/// Token ↔ id table. Id 0 is <c>[cls]</c>, id 1 is <c>UNK</c>, then the training tokens by descending frequency,
/// ties broken by ordinal string order, so that a build is a deterministic function of the texts. Unknown tokens
/// map to UNK.
/// <para>
/// File format (<see cref="Save"/> / <see cref="Load"/>): UTF-8 without BOM, one token per line, lines ended by
/// "\n"; the 0-based line number is the id. Line 1 must be <c>[cls]</c> and line 2 <c>UNK</c>. Empty lines and
/// duplicate tokens are rejected (a final "\n" is not an empty line; a "\r" before a "\n" is ignored, and a leading
/// BOM is skipped). Tokens never contain line breaks (tokenizers split on whitespace).
/// </para>
/// </summary>
public sealed class Vocabulary
{
    public const string ClsToken = "[cls]";
    public const string UnkToken = "UNK";
    public const int ClsId = 0;
    public const int UnkId = 1;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private Vocabulary(string[] tokens, Dictionary<string, int> ids)
    {
        _tokens = tokens;
        _ids = ids;
        _lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _tokens.Length;

    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The token of an id.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>The id of a token, or <see cref="UnkId"/> when the token is unknown.</summary>
    public int GetId(ReadOnlySpan<char> token) => _lookup.TryGetValue(token, out int id) ? id : UnkId;

    public int GetId(string token) => _ids.TryGetValue(token, out int id) ? id : UnkId;

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _lookup.TryGetValue(token, out id);

    /// <summary>The id of a word of a text: as <see cref="TryGetId"/>, but a word spelled as a special token (the
    /// typed text "[cls]") is an ordinary word, which the vocabulary does not hold (false), never the special token.</summary>
    public bool TryGetWordId(ReadOnlySpan<char> word, out int id)
    {
        if (_lookup.TryGetValue(word, out id) && id != ClsId && id != UnkId) return true;
        id = UnkId;
        return false;
    }

    public bool Contains(ReadOnlySpan<char> token) => _lookup.ContainsKey(token);

    /// <summary>
    /// Builds a vocabulary from tokens in id order; the first two must be the specials. Throws ArgumentException
    /// on a duplicate, an empty token or a token containing a line break.
    /// </summary>
    public static Vocabulary FromTokens(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var list = tokens.ToArray();
        var error = Validate(list, out _);
        if (error != null) throw new ArgumentException(error, nameof(tokens));
        return Create(list);
    }

    private static Vocabulary Create(string[] tokens)
    {
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) ids.Add(tokens[i], i);
        return new Vocabulary(tokens, ids);
    }

    /// <summary>Returns null when valid, else the problem; <paramref name="line"/> is the 1-based offending line.</summary>
    private static string? Validate(IReadOnlyList<string> tokens, out int line)
    {
        line = 1;
        if (tokens.Count < 1 || tokens[0] != ClsToken)
            return $"the first line must be the special token '{ClsToken}' (id {ClsId}), found " +
                   (tokens.Count < 1 ? "nothing" : $"'{tokens[0]}'");
        line = 2;
        if (tokens.Count < 2 || tokens[1] != UnkToken)
            return $"the second line must be the special token '{UnkToken}' (id {UnkId}), found " +
                   (tokens.Count < 2 ? "nothing" : $"'{tokens[1]}'");
        var seen = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            line = i + 1;
            var t = tokens[i];
            if (t is null || t.Length == 0) return "empty token (empty line)";
            if (t.AsSpan().IndexOfAny('\n', '\r') >= 0) return "token contains a line break";
            if (!seen.TryAdd(t, line)) return $"duplicate token '{t}' (first on line {seen[t]})";
        }
        return null;
    }

    /// <summary>
    /// Builds the vocabulary of the given texts (the paper: the 25,000 train reviews, basic_english, min frequency 1).
    /// Texts are counted in parallel; the result does not depend on the partitioning.
    /// </summary>
    public static Vocabulary Build(IReadOnlyList<string> texts, ITokenizer tokenizer, VocabularyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var counters = new List<TokenCounter>();
        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(0, texts.Count, Math.Max(64, texts.Count / (4 * Environment.ProcessorCount) + 1)),
            () => new TokenCounter(tokenizer),
            (range, _, counter) =>
            {
                for (int i = range.Item1; i < range.Item2; i++) counter.Add(texts[i]);
                return counter;
            },
            counter => { lock (counters) counters.Add(counter); });
        var total = new TokenCounter(tokenizer);
        foreach (var c in counters) total.Merge(c);
        return total.ToVocabulary(options);
    }

    /// <summary>The vocabulary of pre-computed counts (see <see cref="TokenCounter"/>).</summary>
    public static Vocabulary FromCounts(IEnumerable<KeyValuePair<string, long>> counts, VocabularyOptions? options = null)
    {
        options ??= new VocabularyOptions();
        if (options.MinFrequency < 1) throw new ArgumentOutOfRangeException(nameof(options), "MinFrequency must be at least 1");
        if (options.MaxSize is < 2) throw new ArgumentOutOfRangeException(nameof(options), "MaxSize must be at least 2 (the specials)");
        var kept = counts
            .Where(kv => kv.Value >= options.MinFrequency && kv.Key != ClsToken && kv.Key != UnkToken)
            .OrderByDescending(kv => kv.Value)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key);
        if (options.MaxSize is int max) kept = kept.Take(max - 2);
        var tokens = new List<string> { ClsToken, UnkToken };
        tokens.AddRange(kept);
        return Create(tokens.ToArray());
    }

    /// <summary>Saves in the documented text format, atomically (temporary name, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.WriteText(path, w =>
        {
            foreach (var t in _tokens) { w.Write(t); w.Write('\n'); }
        });
    }

    /// <summary>
    /// Loads a vocabulary file; throws <see cref="DataException"/> naming the file and the line on a missing file,
    /// invalid UTF-8, an empty line, a duplicate token or missing specials.
    /// </summary>
    public static Vocabulary Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(path, null, $"cannot read the vocabulary file: {e.Message}", e);
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            int line = 1 + bytes.AsSpan(0, Math.Clamp(e.Index, 0, bytes.Length)).Count((byte)'\n');
            throw DataException.AtLine(path, line, "not valid UTF-8", e);
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');
        int count = lines.Length;
        if (count > 0 && lines[^1].Length == 0) count--; // the final line end
        var tokens = new string[count];
        for (int i = 0; i < count; i++)
        {
            var l = lines[i];
            tokens[i] = l.EndsWith('\r') ? l[..^1] : l;
        }
        if (count == 0) throw new DataException(path, null, "the vocabulary file is empty (expected '[cls]' and 'UNK' first)");
        var error = Validate(tokens, out int bad);
        if (error != null) throw DataException.AtLine(path, bad, error);
        return Create(tokens);
    }
}

/// <summary>Counts tokens of texts without allocating a string per occurrence (one string per distinct token).
/// Not thread-safe: use one per thread and <see cref="Merge"/>.</summary>
public sealed class TokenCounter
{
    private readonly ITokenizer _tokenizer;
    private readonly TokenBuffer _buffer = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public TokenCounter(ITokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        _lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Add(ReadOnlySpan<char> text)
    {
        _tokenizer.Tokenize(text, _buffer);
        for (int i = 0; i < _buffer.Count; i++)
        {
            ref long n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_lookup, _buffer[i], out _);
            n++;
        }
    }

    public void Merge(TokenCounter other)
    {
        foreach (var (k, v) in other._counts)
            _counts[k] = _counts.TryGetValue(k, out long n) ? n + v : v;
    }

    public Vocabulary ToVocabulary(VocabularyOptions? options = null) => Vocabulary.FromCounts(_counts, options);
}
