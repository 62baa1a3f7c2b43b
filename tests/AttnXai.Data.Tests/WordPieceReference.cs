extern alias HfTokenizers;

using System.Text.Json.Nodes;
using AttnXai.Data.Pretrained;

namespace AttnXai.Data.Tests;

/// <summary>
/// Hugging Face's own tokenizer (the Rust crate <c>tokenizers</c>, through Tokenizers.DotNet) for a vocab.txt: a
/// tokenizer.json written as transformers writes BertTokenizerFast's (BertNormalizer, BertPreTokenizer, WordPiece with
/// [UNK], ## and 100 characters per word, TemplateProcessing [CLS] $A [SEP], the five specials as added tokens),
/// optionally with truncation to a maximum length.
/// </summary>
public sealed class WordPieceReference : IDisposable
{
    private readonly HfTokenizers::Tokenizers.DotNet.Tokenizer _tokenizer;
    private readonly TempDir _dir = new();

    public WordPieceReference(string vocabPath, bool lowercase = true, int? truncateTo = null)
    {
        Lines = File.ReadAllLines(vocabPath);
        var path = _dir.Write("tokenizer.json", TokenizerJson(Lines, lowercase, truncateTo).ToJsonString());
        _tokenizer = new HfTokenizers::Tokenizers.DotNet.Tokenizer(path);
    }

    /// <summary>The vocabulary lines (id = index).</summary>
    public string[] Lines { get; }

    /// <summary>The MiniLM vocabulary (all-MiniLM-L6-v2's vocab.txt, bert-base-uncased's 30,522 WordPieces).</summary>
    public static string MiniLmVocab() => MiniLmPackage.VocabPath();

    /// <summary>[CLS] ids [SEP] as Hugging Face encodes the text (add_special_tokens=True).</summary>
    public long[] Encode(string text) => _tokenizer.Encode(text).Select(i => (long)i).ToArray();

    /// <summary>Ids as token strings, for messages.</summary>
    public string Show(IEnumerable<long> ids) => string.Join(" ", ids.Select(i => i >= 0 && i < Lines.Length ? Lines[i] : $"#{i}"));

    public void Dispose()
    {
        _tokenizer.Dispose();
        _dir.Dispose();
    }

    private static JsonObject TokenizerJson(string[] vocab, bool lowercase, int? truncateTo)
    {
        var ids = new JsonObject();
        for (int i = 0; i < vocab.Length; i++) ids[vocab[i]] = i;
        int Id(string t) => Array.IndexOf(vocab, t);
        JsonObject Added(string t) => new()
        {
            ["id"] = Id(t), ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        };
        JsonObject Special(string t) => new() { ["SpecialToken"] = new JsonObject { ["id"] = t, ["type_id"] = 0 } };
        JsonObject Sequence(string s, int type) => new() { ["Sequence"] = new JsonObject { ["id"] = s, ["type_id"] = type } };
        JsonObject SpecialEntry(string t) => new() { ["id"] = t, ["ids"] = new JsonArray(Id(t)), ["tokens"] = new JsonArray(t) };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = truncateTo is { } max
                ? new JsonObject { ["direction"] = "Right", ["max_length"] = max, ["strategy"] = "LongestFirst", ["stride"] = 0 }
                : null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added("[PAD]"), Added("[UNK]"), Added("[CLS]"), Added("[SEP]"), Added("[MASK]")),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true,
                ["strip_accents"] = null, ["lowercase"] = lowercase,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Special("[CLS]"), Sequence("A", 0), Special("[SEP]")),
                ["pair"] = new JsonArray(Special("[CLS]"), Sequence("A", 0), Special("[SEP]"), Sequence("B", 1), Special("[SEP]")),
                ["special_tokens"] = new JsonObject { ["[CLS]"] = SpecialEntry("[CLS]"), ["[SEP]"] = SpecialEntry("[SEP]") },
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##",
                ["max_input_chars_per_word"] = 100, ["vocab"] = ids,
            },
        };
    }
}
