using System.Globalization;
using System.Text;

namespace AttnXai.Data.Text;

/// <summary>
/// The pieces of Python 3's str semantics that torchtext's basic_english depends on: str.lower() and the
/// whitespace of str.split() / re's \s.
/// </summary>
public static class PythonText
{
    /// <summary>
    /// Python's str.isspace() (also what str.split() and re's \s match in a str pattern): \t \n \v \f \r,
    /// the separators U+001C..U+001F, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
    /// U+205F and U+3000. Unlike .NET's char.IsWhiteSpace it includes U+001C..U+001F.
    /// </summary>
    public static bool IsSpace(char c) => c < 0x80
        ? c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f')
        : c == '\x85' || c == '\xa0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200a') || c == '\u2028'
          || c == '\u2029' || c == '\u202f' || c == '\u205f' || c == '\u3000';

    /// <summary>
    /// Python's str.lower(): the simple (one-to-one) invariant lower-case mapping of each code point (.NET's
    /// Rune.ToLowerInvariant, which covers supplementary planes), plus the two rules of Unicode's SpecialCasing that
    /// Python applies and .NET's invariant mapping does not: U+0130 (capital I with dot above) becomes "i" + U+0307
    /// (two chars), and a capital sigma U+03A3 becomes final sigma U+03C2 when it ends a word (preceded by a cased
    /// letter and not followed by one, ignoring case-ignorable characters in between; see <see cref="IsFinalSigma"/>).
    /// Remaining differences can only come from the two Unicode versions' tables.
    /// </summary>
    public static string Lower(string text)
    {
        var buf = new char[text.Length * 2 + 2];
        int n = Lower(text, buf);
        return new string(buf, 0, n);
    }

    /// <summary>
    /// Writes Python's str.lower() of <paramref name="text"/> into <paramref name="destination"/> (at most twice as
    /// long as the input) and returns the length.
    /// </summary>
    internal static int Lower(ReadOnlySpan<char> text, Span<char> destination)
    {
        int o = 0;
        int i = 0;
        while (i < text.Length)
        {
            // ASCII runs: vectorised.
            int run = text[i..].IndexOfAnyExceptInRange('\0', '\x7f');
            int end = run < 0 ? text.Length : i + run;
            if (end > i)
            {
                System.Text.Ascii.ToLower(text[i..end], destination[o..], out int written);
                o += written;
                i = end;
                if (i == text.Length) break;
            }
            char c = text[i];
            if (c == '\u0130')
            {
                destination[o++] = 'i';
                destination[o++] = '\u0307';
            }
            else if (c == '\u03a3')
            {
                destination[o++] = IsFinalSigma(text, i) ? '\u03c2' : '\u03c3';
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var r = Rune.ToLowerInvariant(new Rune(c, text[i + 1]));
                o += r.EncodeToUtf16(destination[o..]);
                i++;
            }
            else
            {
                destination[o++] = char.ToLowerInvariant(c);
            }
            i++;
        }
        return o;
    }

    /// <summary>
    /// Unicode's Final_Sigma condition at index i: a cased character before it (skipping case-ignorable ones) and
    /// no cased character after it (skipping case-ignorable ones).
    /// </summary>
    public static bool IsFinalSigma(ReadOnlySpan<char> text, int i)
    {
        int j = i;
        bool casedBefore = false;
        while (j > 0)
        {
            Rune.DecodeLastFromUtf16(text[..j], out var r, out int used);
            j -= used;
            if (IsCaseIgnorable(r)) continue;
            casedBefore = IsCased(r);
            break;
        }
        if (!casedBefore) return false;
        j = i + 1;
        while (j < text.Length)
        {
            Rune.DecodeFromUtf16(text[j..], out var r, out int used);
            j += used;
            if (IsCaseIgnorable(r)) continue;
            return !IsCased(r);
        }
        return true;
    }

    /// <summary>Unicode's Cased property: letters of categories Lu, Ll, Lt, plus the main Other_Lowercase and
    /// Other_Uppercase ranges (ordinal indicators, modifier letters, Roman numerals, circled letters).</summary>
    internal static bool IsCased(Rune r)
    {
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
                return true;
        }
        int v = r.Value;
        return v == 0xAA || v == 0xBA || (v >= 0x2B0 && v <= 0x2B8) || v == 0x2C0 || v == 0x2C1
               || (v >= 0x2E0 && v <= 0x2E4) || v == 0x345 || v == 0x37A || (v >= 0x1D2C && v <= 0x1D6A)
               || v == 0x1D78 || (v >= 0x1D9B && v <= 0x1DBF) || v == 0x2071 || v == 0x207F
               || (v >= 0x2090 && v <= 0x209C) || (v >= 0x2160 && v <= 0x217F) || (v >= 0x24B6 && v <= 0x24E9);
    }

    /// <summary>Unicode's Case_Ignorable property: categories Mn, Me, Cf, Lm, Sk, plus the Word_Break classes
    /// MidLetter, MidNumLet and Single_Quote (apostrophes, full stops, colons, middle dots).</summary>
    internal static bool IsCaseIgnorable(Rune r)
    {
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.Format:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.ModifierSymbol:
                return true;
        }
        int v = r.Value;
        return v == '\'' || v == '.' || v == ':' || v == 0xB7 || v == 0x387 || v == 0x55F || v == 0x5F4
               || v == 0x2018 || v == 0x2019 || v == 0x2024 || v == 0x2027 || v == 0xFE13 || v == 0xFE52
               || v == 0xFE55 || v == 0xFF07 || v == 0xFF0E || v == 0xFF1A;
    }
}
