using System.Text;
using Microsoft.ML.Tokenizers;

namespace AttnXai.Data.Text.WordPiece;

/// <summary>
/// A BERT-family WordPiece tokenizer that gives the ids of Hugging Face's BertTokenizerFast. The basic split (special
/// tokens written in the text, BertNormalizer, BertPreTokenizer) is AttnXai's own, written after the Rust crate
/// <c>tokenizers</c>; each word then goes to Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/> (greedy longest
/// match with the <c>##</c> continuation), with the word-length limit counted in code points here. Microsoft.ML's own
/// BertTokenizer normalisation and pre-tokenisation are not used: they differ from Hugging Face's (src/AttnXai.Data
/// README, "BERT WordPiece"). Immutable and thread-safe.
/// </summary>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    private readonly WordPieceTokenizer _wordPiece;
    private readonly BertBasicSplitter _splitter;
    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _tokens;

    private BertWordPieceTokenizer(string vocabularyPath, string[] tokens, Dictionary<string, int> vocab, BertWordPieceOptions options)
    {
        VocabularyPath = vocabularyPath;
        Options = options;
        _tokens = tokens;
        _vocab = vocab;
        long Id(string token, string what) => _vocab.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"{vocabularyPath}: the vocabulary has no {what} token '{token}'");
        Special = new SpecialTokens(
            Cls: Id(options.ClsToken, "[CLS]"), Unk: Id(options.UnkToken, "unknown"), Pad: Id(options.PadToken, "padding"),
            Sep: Id(options.SepToken, "[SEP]"), Mask: Id(options.MaskToken, "[MASK]"));
        if (options.MaxInputCharsPerWord < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxInputCharsPerWord, "MaxInputCharsPerWord must be at least 1");

        // Microsoft.ML.Tokenizers' vocabulary: the lines as read, a duplicate's earlier line blanked (it skips empty
        // lines but counts them), so that a repeated token keeps its last line's id as in Hugging Face's load_vocab.
        var lines = new StringBuilder();
        for (int i = 0; i < tokens.Length; i++)
            lines.Append(_vocab.TryGetValue(tokens[i], out int id) && id == i ? tokens[i] : "").Append('\n');
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString()));
        _wordPiece = WordPieceTokenizer.Create(stream, new WordPieceOptions
        {
            UnknownToken = options.UnkToken,
            ContinuingSubwordPrefix = "##",
            // The limit is Hugging Face's, in code points, checked before the word reaches Microsoft.ML, which counts
            // UTF-16 units: a word within the limit has at most twice as many units.
            MaxInputCharsPerWord = checked(options.MaxInputCharsPerWord * 2),
        });
        _splitter = new BertBasicSplitter(options, [options.PadToken, options.UnkToken, options.ClsToken, options.SepToken, options.MaskToken]);
        Name = options.LowerCase ? "wordpiece-uncased" : "wordpiece-cased";
    }

    /// <summary>The tokenizer of a vocab.txt (one token per line, the 0-based line number is the id; UTF-8).
    /// A missing file throws FileNotFoundException, an empty one InvalidDataException, both naming the file.</summary>
    public static BertWordPieceTokenizer FromVocabulary(string vocabPath, BertWordPieceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        options ??= BertWordPieceOptions.Uncased;
        var tokens = ReadVocabulary(vocabPath);
        var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i].Length > 0) vocab[tokens[i]] = i; // a repeated token: the last line wins, as in Hugging Face
        return new BertWordPieceTokenizer(Path.GetFullPath(vocabPath), tokens, vocab, options);
    }

    /// <summary>
    /// The tokenizer of a Hugging Face checkpoint folder: its vocab.txt and, when present, its tokenizer_config.json
    /// (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>, <c>split_special_tokens</c>, the
    /// special token strings, <c>model_max_length</c>); without a config the uncased defaults apply. A tokenizer.json in
    /// the folder is not read. Errors (no vocab.txt, an empty one, a config that is not JSON or has a field of the wrong
    /// type, a special token missing from the vocabulary) name the file and the line or field.
    /// </summary>
    public static BertWordPieceTokenizer FromCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: no such checkpoint folder");
        var options = BertWordPieceOptions.Uncased;
        var config = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(config)) options = TokenizerConfigReader.Read(config, options);
        return FromVocabulary(Path.Combine(directory, "vocab.txt"), options);
    }

    private static string[] ReadVocabulary(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a folder, not a vocab.txt" : $"{path}: no such vocabulary file", path);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 ({e.Message})", e);
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = new List<string>();
        using (var reader = new StringReader(text))
            for (string? line; (line = reader.ReadLine()) != null;)
                lines.Add(line);
        if (lines.All(l => l.Length == 0))
            throw new InvalidDataException($"{path}: the vocabulary is empty");
        return lines.ToArray();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public SpecialTokens Special { get; }

    /// <summary>The options in force (from the checkpoint's tokenizer_config.json or the caller).</summary>
    public BertWordPieceOptions Options { get; }

    /// <summary>The full path of the vocab.txt read.</summary>
    public string VocabularyPath { get; }

    /// <summary>Lines of the vocabulary (ids run from 0 to this minus 1).</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>The id of a token string, or null when the vocabulary lacks it.</summary>
    public long? IdOf(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>The token string of an id.</summary>
    public string TokenOf(long id) => id >= 0 && id < _tokens.Length
        ? _tokens[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"not an id of the vocabulary (0..{_tokens.Length - 1})");

    /// <inheritdoc />
    public TokenizedText Tokenize(string text, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var words = new List<(string Word, bool Special)>();
        _splitter.Split(text, words);
        var tokens = new List<string>();
        var ids = new List<long>();
        var wordOf = new List<int>();
        int total = 0;
        for (int w = 0; w < words.Count; w++)
        {
            var (word, special) = words[w];
            if (special)
            {
                total++;
                if (tokens.Count < maxTokens) Add(word, _vocab[word], w);
            }
            else if (CodePoints(word) > Options.MaxInputCharsPerWord)
            {
                total++;
                if (tokens.Count < maxTokens) Add(Options.UnkToken, Special.Unk, w);
            }
            else
            {
                foreach (var t in _wordPiece.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false))
                {
                    total++;
                    if (tokens.Count < maxTokens) Add(t.Value, t.Id, w);
                }
            }
        }
        int keptWords = wordOf.Count == 0 ? 0 : wordOf[^1] + 1; // every word has at least one token
        return new TokenizedText(
            words.Take(keptWords).Select(x => x.Word).ToArray(), tokens.ToArray(), ids.ToArray(), wordOf.ToArray(),
            total, words.Count);

        void Add(string token, long id, int word)
        {
            tokens.Add(token);
            ids.Add(id);
            wordOf.Add(word);
        }
    }

    /// <summary>
    /// Hugging Face's encoding of a single text: [CLS], the first <paramref name="maxLength"/> - 2 tokens, [SEP] (the
    /// <c>truncation=True, max_length=maxLength</c> of BertTokenizerFast: [SEP] is always kept). No padding.
    /// </summary>
    public long[] EncodeWithSpecials(string text, int maxLength = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var t = Tokenize(text, maxLength - 2);
        var ids = new long[t.Ids.Length + 2];
        Special.Write(t.Ids, ids);
        return ids;
    }

    private static int CodePoints(string s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++, n++)
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        return n;
    }
}
