using ADRaffy.ENSNormalize;

namespace AttnXai.Data.Text.WordPiece;

/// <summary>
/// Unicode canonical decomposition (NFD) without ICU. AttnXai runs with InvariantGlobalization, where
/// string.Normalize leaves every non-ASCII string unchanged (no error), so accent stripping cannot use it; the
/// managed tables of ADRaffy.ENSNormalize (MIT, Unicode <see cref="UnicodeVersion"/>) decompose instead. Thread-safe.
/// </summary>
internal static class UnicodeNfd
{
    /// <summary>The Unicode version of the decomposition tables.</summary>
    public static string UnicodeVersion => ENSNormalize.NF.UnicodeVersion;

    /// <summary>The NFD of <paramref name="text"/> (canonical decomposition and ordering).</summary>
    public static string Decompose(string text) => ENSNormalize.NF.NFD(text);
}
