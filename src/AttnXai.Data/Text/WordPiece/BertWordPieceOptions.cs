namespace AttnXai.Data.Text.WordPiece;

/// <summary>
/// How a BERT-family checkpoint tokenizes, with Hugging Face's names in the comments (tokenizer_config.json). The
/// defaults are an uncased BERT (bert-base-uncased, all-MiniLM-L6-v2).
/// </summary>
public sealed record BertWordPieceOptions
{
    /// <summary>Lower-case the text (<c>do_lower_case</c>, default true). False for a cased vocabulary.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Strip accents: NFD, then drop the non-spacing marks (<c>strip_accents</c>); null follows
    /// <see cref="LowerCase"/>, as in Hugging Face.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>Put spaces around CJK ideographs so that each is a word (<c>tokenize_chinese_chars</c>, default true).</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>Remove control and format characters and turn every whitespace into a space (BertNormalizer's
    /// <c>clean_text</c>, default true; not in tokenizer_config.json).</summary>
    public bool CleanText { get; init; } = true;

    /// <summary>Treat the special tokens written in the text ("[SEP]") as text, not as the special ids
    /// (<c>split_special_tokens</c>, default false: Hugging Face recognises them, matched exactly, case-sensitive).</summary>
    public bool SplitSpecialTokens { get; init; }

    /// <summary>A word longer than this (in Unicode code points) becomes the unknown token (WordPiece's
    /// <c>max_input_chars_per_word</c>, 100).</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>The longest input the model takes, specials included (<c>model_max_length</c>), or null when the
    /// checkpoint does not say. Informative: <see cref="BertWordPieceTokenizer"/> truncates only where asked.</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary><c>cls_token</c>.</summary>
    public string ClsToken { get; init; } = "[CLS]";

    /// <summary><c>sep_token</c>.</summary>
    public string SepToken { get; init; } = "[SEP]";

    /// <summary><c>pad_token</c>.</summary>
    public string PadToken { get; init; } = "[PAD]";

    /// <summary><c>unk_token</c>.</summary>
    public string UnkToken { get; init; } = "[UNK]";

    /// <summary><c>mask_token</c>.</summary>
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>The uncased defaults.</summary>
    public static BertWordPieceOptions Uncased { get; } = new();

    /// <summary>A cased vocabulary: no lower-casing, no accent stripping.</summary>
    public static BertWordPieceOptions Cased { get; } = new() { LowerCase = false };

    /// <summary>Whether accents are stripped: <see cref="StripAccents"/>, or <see cref="LowerCase"/> when unset.</summary>
    public bool StripsAccents => StripAccents ?? LowerCase;
}
