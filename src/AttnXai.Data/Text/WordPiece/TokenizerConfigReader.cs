using System.Text.Json;

namespace AttnXai.Data.Text.WordPiece;

/// <summary>
/// Reads the fields of a Hugging Face <c>tokenizer_config.json</c> that a BERT WordPiece tokenizer uses:
/// <c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>, <c>split_special_tokens</c>, the five
/// special token strings (a string or an AddedToken object with "content") and <c>model_max_length</c> (a number;
/// transformers' "no limit" sentinel 1e30 and anything beyond int reads as null). Other fields are ignored. A file
/// that is not JSON, or a field of the wrong type, throws InvalidDataException naming the file and the line or field.
/// </summary>
internal static class TokenizerConfigReader
{
    public static BertWordPieceOptions Read(string path, BertWordPieceOptions defaults)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}: " : "";
            throw new InvalidDataException($"{path}: {where}not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object, found {Kind(root)}");
            var o = defaults;
            if (Bool(path, root, "do_lower_case") is { } lower) o = o with { LowerCase = lower };
            if (root.TryGetProperty("strip_accents", out var sa))
                o = o with { StripAccents = sa.ValueKind == JsonValueKind.Null ? null : Bool(path, root, "strip_accents") };
            if (Bool(path, root, "tokenize_chinese_chars") is { } cjk) o = o with { TokenizeChineseChars = cjk };
            if (Bool(path, root, "split_special_tokens") is { } split) o = o with { SplitSpecialTokens = split };
            if (Token(path, root, "cls_token") is { } cls) o = o with { ClsToken = cls };
            if (Token(path, root, "sep_token") is { } sep) o = o with { SepToken = sep };
            if (Token(path, root, "pad_token") is { } pad) o = o with { PadToken = pad };
            if (Token(path, root, "unk_token") is { } unk) o = o with { UnkToken = unk };
            if (Token(path, root, "mask_token") is { } mask) o = o with { MaskToken = mask };
            if (root.TryGetProperty("model_max_length", out var mml) && mml.ValueKind != JsonValueKind.Null)
            {
                if (mml.ValueKind != JsonValueKind.Number || !mml.TryGetDouble(out double d) || d < 1 || d != Math.Floor(d))
                    throw new InvalidDataException($"{path}: field 'model_max_length': expected a positive integer, found {Kind(mml)} {Raw(mml)}");
                o = o with { ModelMaxLength = d > int.MaxValue ? null : (int)d };
            }
            return o;
        }
    }

    private static bool? Bool(string path, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"{path}: field '{name}': expected true or false, found {Kind(e)} {Raw(e)}"),
        };
    }

    private static string? Token(string path, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind == JsonValueKind.String) return NonEmpty(path, name, e.GetString()!);
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            return NonEmpty(path, name, c.GetString()!);
        throw new InvalidDataException($"{path}: field '{name}': expected a string or an object with a string \"content\", found {Kind(e)} {Raw(e)}");
    }

    private static string Raw(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 60 ? raw : raw[..57] + "...";
    }

    private static string NonEmpty(string path, string name, string s) =>
        s.Length > 0 ? s : throw new InvalidDataException($"{path}: field '{name}': the token is empty");

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
