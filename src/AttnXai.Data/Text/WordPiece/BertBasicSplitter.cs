using System.Globalization;
using System.Text;

namespace AttnXai.Data.Text.WordPiece;

/// <summary>
/// Hugging Face's BERT text to words, before WordPiece: the special tokens written in the raw text (AddedVocabulary),
/// then per remaining segment the BertNormalizer (clean text, CJK spacing, accent stripping, lower-casing, in that
/// order) and the BertPreTokenizer (split at whitespace, isolate each punctuation character). Written after the Rust
/// crate <c>tokenizers</c> (what BertTokenizerFast runs), not after Microsoft.ML.Tokenizers' BertNormalizer and
/// pre-tokenizer, which differ (see the README). Immutable, thread-safe.
/// </summary>
internal sealed class BertBasicSplitter
{
    private readonly BertWordPieceOptions _options;
    private readonly string[] _specials;

    public BertBasicSplitter(BertWordPieceOptions options, IEnumerable<string> specialTokens)
    {
        _options = options;
        _specials = options.SplitSpecialTokens
            ? []
            : specialTokens.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
    }

    /// <summary>Appends the words of <paramref name="text"/>: (word, true) for a special token found in the raw
    /// text, (word, false) for a normalised word.</summary>
    public void Split(string text, List<(string Word, bool Special)> words)
    {
        int from = 0;
        while (from < text.Length)
        {
            var (at, special) = NextSpecial(text, from);
            if (at < 0)
            {
                SplitSegment(text.AsSpan(from), words);
                return;
            }
            if (at > from) SplitSegment(text.AsSpan(from, at - from), words);
            words.Add((special!, true));
            from = at + special!.Length;
        }
    }

    /// <summary>The leftmost special token at or after <paramref name="from"/> (the longest one at that position), as
    /// Hugging Face's leftmost-longest match does; (-1, null) when there is none.</summary>
    private (int At, string? Token) NextSpecial(string text, int from)
    {
        int best = -1;
        string? token = null;
        foreach (var s in _specials) // longest first: a tie keeps the longer token
        {
            int i = text.IndexOf(s, from, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) (best, token) = (i, s);
        }
        return (best, token);
    }

    private void SplitSegment(ReadOnlySpan<char> segment, List<(string Word, bool Special)> words)
    {
        var normalized = Normalize(segment);
        int start = -1;
        int i = 0;
        while (i < normalized.Length)
        {
            Rune.DecodeFromUtf16(normalized.AsSpan(i), out var rune, out int n);
            if (IsWhitespace(rune.Value))
            {
                if (start >= 0) words.Add((normalized[start..i], false));
                start = -1;
            }
            else if (IsPunctuation(rune))
            {
                if (start >= 0) words.Add((normalized[start..i], false));
                words.Add((normalized.Substring(i, n), false));
                start = -1;
            }
            else if (start < 0)
            {
                start = i;
            }
            i += n;
        }
        if (start >= 0) words.Add((normalized[start..], false));
    }

    /// <summary>The BertNormalizer of the Rust crate: clean text, CJK spacing, strip accents (NFD, drop Mn), lower-case.</summary>
    public string Normalize(ReadOnlySpan<char> text)
    {
        var sb = new StringBuilder(text.Length + 16);
        bool ascii = true;
        foreach (var rune in text.EnumerateRunes()) // a lone surrogate comes as U+FFFD
        {
            int cp = rune.Value;
            if (_options.CleanText)
            {
                if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
                if (IsWhitespace(cp))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            if (cp >= 0x80) ascii = false;
            if (_options.TokenizeChineseChars && IsChinese(cp))
            {
                sb.Append(' ').Append(rune).Append(' ');
                continue;
            }
            sb.Append(rune);
        }
        bool strip = _options.StripsAccents, lower = _options.LowerCase;
        if (!strip && !lower) return sb.ToString();
        if (ascii)
        {
            if (lower)
                for (int k = 0; k < sb.Length; k++)
                    if (sb[k] is >= 'A' and <= 'Z') sb[k] = (char)(sb[k] + 32);
            return sb.ToString();
        }
        var s = sb.ToString();
        if (strip) s = UnicodeNfd.Decompose(s);
        sb.Clear();
        foreach (var rune in s.EnumerateRunes())
        {
            if (strip && Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
            if (!lower) sb.Append(rune);
            else if (rune.Value == 0x130) sb.Append("i\u0307"); // Rust's full lower-case mapping; .NET's is 'i'
            else sb.Append(Rune.ToLowerInvariant(rune));
        }
        return sb.ToString();
    }

    /// <summary>The crate's is_control: Unicode's "other" (Cc, Cf, Co; not Cn: an unassigned code point is kept)
    /// except tab, newline and carriage return, which count as whitespace.</summary>
    internal static bool IsControl(Rune rune)
    {
        int cp = rune.Value;
        if (cp is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    /// <summary>Rust's char::is_whitespace (Unicode White_Space), which includes tab, newline, carriage return.</summary>
    internal static bool IsWhitespace(int cp) => cp < 0x80
        ? cp == ' ' || (cp >= '\t' && cp <= '\r')
        : cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
          || cp == 0x202F || cp == 0x205F || cp == 0x3000;

    /// <summary>BertPreTokenizer's punctuation: the ASCII punctuation and symbols (33-47, 58-64, 91-96, 123-126)
    /// and every Unicode P* character.</summary>
    internal static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        return Rune.IsPunctuation(rune);
    }

    /// <summary>The crate's CJK ideograph ranges (note 0x2B920, not 0x2B820, where extension E starts: the Rust
    /// crate's range, which Python's BasicTokenizer and Microsoft.ML.Tokenizers do not share).</summary>
    internal static bool IsChinese(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
