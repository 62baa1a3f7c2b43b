using System.Globalization;
using System.Text;

namespace AttnXai.Common.IO;

/// <summary>Tidy (long-format) CSV tables: a header and rows of invariant-culture cells, quoted when needed.</summary>
public sealed class CsvTable
{
    private readonly List<string[]> _rows = new();

    public CsvTable(params string[] header) { Header = header; }

    public string[] Header { get; }
    public IReadOnlyList<string[]> Rows => _rows;

    public CsvTable Add(params object?[] cells)
    {
        if (cells.Length != Header.Length) throw new ArgumentException($"a row holds {cells.Length} cells, the header {Header.Length}");
        _rows.Add(cells.Select(Csv.Cell).ToArray());
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Csv.Line(Header)).Append('\n');
        foreach (var r in _rows) sb.Append(Csv.Line(r)).Append('\n');
        return sb.ToString();
    }

    public void Write(string path) => AtomicFile.WriteAllText(path, ToString());
}

/// <summary>CSV cells and lines (invariant culture, RFC 4180 quoting) and a parser for what they write.</summary>
public static class Csv
{
    /// <summary>A cell for any value: numbers in invariant round-trip form (NaN as "NaN"), null as empty.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A number in invariant round-trip form; NaN and infinities as empty cells (undefined values).</summary>
    public static string Num(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    public static string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(Quote));

    public static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Parses CSV text written by <see cref="CsvTable"/> (quoted cells allowed): header and rows.</summary>
    public static (string[] Header, List<string[]> Rows) Parse(string text)
    {
        var rows = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"') { if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; } else quoted = false; }
                else cell.Append(c);
                continue;
            }
            if (c == '"') { quoted = true; any = true; }
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); any = true; }
            else if (c == '\n') { cells.Add(cell.ToString()); cell.Clear(); rows.Add(cells.ToArray()); cells.Clear(); any = false; }
            else if (c != '\r') { cell.Append(c); any = true; }
        }
        if (any || cell.Length > 0) { cells.Add(cell.ToString()); rows.Add(cells.ToArray()); }
        if (rows.Count == 0) return (Array.Empty<string>(), rows);
        return (rows[0], rows.Skip(1).ToList());
    }

    public static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
