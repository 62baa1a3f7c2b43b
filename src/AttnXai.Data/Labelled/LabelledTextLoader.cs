using System.Globalization;
using System.Text;
using System.Text.Json;
using AttnXai.Data.Batching;
using AttnXai.Data.Text;

namespace AttnXai.Data.Labelled;

public enum TextFileFormat
{
    /// <summary>From the extension: .csv, .tsv/.tab, .jsonl/.ndjson.</summary>
    Auto,
    Csv,
    Tsv,
    JsonLines,
}

/// <summary>
/// Options for <see cref="LabelledTextLoader.Load"/>. Columns are named (<see cref="TextColumn"/>,
/// <see cref="LabelColumn"/>) when the file has a header (CSV/TSV) or holds JSON objects; with no header (or JSON
/// arrays) they are given by 0-based index (<see cref="TextIndex"/>, <see cref="LabelIndex"/>).
/// </summary>
public sealed record LabelledTextOptions
{
    public TextFileFormat Format { get; init; } = TextFileFormat.Auto;

    /// <summary>CSV/TSV: the first record names the columns.</summary>
    public bool HasHeader { get; init; } = true;

    public string TextColumn { get; init; } = "text";
    public string LabelColumn { get; init; } = "label";
    public int TextIndex { get; init; } = 0;
    public int LabelIndex { get; init; } = 1;

    /// <summary>
    /// A fixed label → class mapping; a label outside it is an error. When null the mapping is inferred: if every
    /// label is a non-negative integer, the integer is the class (class names "0", "1", ...); otherwise the distinct
    /// label strings sorted ordinally get classes 0, 1, ....
    /// </summary>
    public LabelMap? Labels { get; init; }
}

/// <summary>One labelled text and the 1-based line of the file it came from.</summary>
public sealed record LabelledText(string Text, int Label, int Line);

/// <summary>The texts of a file with their classes and the label mapping used.</summary>
public sealed record LabelledTextSet(string Source, IReadOnlyList<LabelledText> Items, LabelMap Labels)
{
    /// <summary>Encodes every text with the IMDB path (same tokenizer, vocabulary and length).</summary>
    public EncodedDataset Encode(TextEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.EncodeAll(Items.Select(i => i.Text).ToArray(), Items.Select(i => (long)i.Label).ToArray());
    }
}

/// <summary>Loads a researcher's own labelled texts from CSV, TSV or JSON Lines (UTF-8).</summary>
public static class LabelledTextLoader
{
    public static LabelledTextSet Load(string path, LabelledTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new LabelledTextOptions();
        if (!File.Exists(path)) throw new DataException(path, null, Directory.Exists(path) ? "is a folder, not a file" : "no such file");
        var format = options.Format == TextFileFormat.Auto ? FromExtension(path) : options.Format;
        List<(string Text, string Label, int Line)> raw;
        try
        {
            using var reader = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false);
            // skip a UTF-8 BOM
            if (reader.Peek() == '\uFEFF') reader.Read();
            raw = format == TextFileFormat.JsonLines
                ? ReadJsonLines(reader, path, options)
                : ReadDelimited(reader, format == TextFileFormat.Tsv ? '\t' : ',', path, options);
        }
        catch (DecoderFallbackException e)
        {
            throw new DataException(path, null, "not valid UTF-8", e);
        }
        catch (IOException e)
        {
            throw new DataException(path, null, $"cannot read the file: {e.Message}", e);
        }
        var map = options.Labels ?? InferLabels(raw.Select(r => r.Label));
        var items = new LabelledText[raw.Count];
        for (int i = 0; i < raw.Count; i++)
        {
            var (text, label, line) = raw[i];
            if (!map.TryGetClass(label, out int cls))
                throw DataException.AtLine(path, line,
                    $"unknown label '{label}' (known labels: {string.Join(", ", map.ClassNames.Select(n => $"'{n}'"))})");
            items[i] = new LabelledText(text, cls, line);
        }
        return new LabelledTextSet(Path.GetFullPath(path), items, map);
    }

    private static TextFileFormat FromExtension(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => TextFileFormat.Csv,
            ".tsv" or ".tab" => TextFileFormat.Tsv,
            ".jsonl" or ".ndjson" => TextFileFormat.JsonLines,
            _ => throw new DataException(path, null, $"cannot tell the format from the extension '{ext}' (use .csv, .tsv, .jsonl or set Format)"),
        };
    }

    /// <summary>Integers as classes when every label is a non-negative integer, else sorted distinct strings.</summary>
    private static LabelMap InferLabels(IEnumerable<string> labels)
    {
        var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        var ints = new List<int>();
        foreach (var l in distinct)
        {
            if (l.Length > 0 && l.Length <= 6 && l.All(char.IsAsciiDigit) && (l == "0" || l[0] != '0'))
                ints.Add(int.Parse(l, CultureInfo.InvariantCulture));
            else { ints = null; break; }
        }
        if (ints != null && ints.Count > 0)
            return new LabelMap(Enumerable.Range(0, ints.Max() + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        return new LabelMap(distinct.Order(StringComparer.Ordinal));
    }

    private static List<(string, string, int)> ReadDelimited(TextReader reader, char delimiter, string path, LabelledTextOptions o)
    {
        var result = new List<(string, string, int)>();
        int textCol = o.TextIndex, labelCol = o.LabelIndex;
        bool header = o.HasHeader;
        foreach (var rec in DelimitedReader.Read(reader, delimiter, path))
        {
            if (header)
            {
                header = false;
                textCol = Array.IndexOf(rec.Fields, o.TextColumn);
                labelCol = Array.IndexOf(rec.Fields, o.LabelColumn);
                var cols = string.Join(", ", rec.Fields.Select(f => $"'{f}'"));
                if (textCol < 0) throw DataException.AtLine(path, rec.Line, $"missing column '{o.TextColumn}' in the header (columns: {cols})");
                if (labelCol < 0) throw DataException.AtLine(path, rec.Line, $"missing column '{o.LabelColumn}' in the header (columns: {cols})");
                continue;
            }
            int need = Math.Max(textCol, labelCol);
            if (rec.Fields.Length <= need)
                throw DataException.AtLine(path, rec.Line,
                    $"missing column: the record has {rec.Fields.Length} field(s), column {need} is needed (text column {textCol}, label column {labelCol})");
            var label = rec.Fields[labelCol].Trim();
            if (label.Length == 0) throw DataException.AtLine(path, rec.Line, "empty label");
            result.Add((rec.Fields[textCol], label, rec.Line));
        }
        if (header) throw new DataException(path, null, "the file is empty (no header)");
        return result;
    }

    private static List<(string, string, int)> ReadJsonLines(TextReader reader, string path, LabelledTextOptions o)
    {
        var result = new List<(string, string, int)>();
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw DataException.AtLine(path, lineNo, $"not valid JSON: {e.Message}", e);
            }
            using (doc)
            {
                var root = doc.RootElement;
                JsonElement text, label;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (!root.TryGetProperty(o.TextColumn, out text)) throw DataException.AtLine(path, lineNo, $"missing column '{o.TextColumn}'");
                    if (!root.TryGetProperty(o.LabelColumn, out label)) throw DataException.AtLine(path, lineNo, $"missing column '{o.LabelColumn}'");
                }
                else if (root.ValueKind == JsonValueKind.Array)
                {
                    int len = root.GetArrayLength();
                    if (len <= Math.Max(o.TextIndex, o.LabelIndex))
                        throw DataException.AtLine(path, lineNo, $"missing column: the array has {len} item(s), column {Math.Max(o.TextIndex, o.LabelIndex)} is needed");
                    text = root[o.TextIndex];
                    label = root[o.LabelIndex];
                }
                else throw DataException.AtLine(path, lineNo, "expected a JSON object or array on each line");
                if (text.ValueKind != JsonValueKind.String) throw DataException.AtLine(path, lineNo, $"the text is not a JSON string ({text.ValueKind})");
                string labelText = label.ValueKind switch
                {
                    JsonValueKind.String => label.GetString()!.Trim(),
                    JsonValueKind.Number when label.TryGetInt64(out long v) => v.ToString(CultureInfo.InvariantCulture),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => throw DataException.AtLine(path, lineNo, $"the label must be a string, an integer or a boolean, not {label.GetRawText()}"),
                };
                if (labelText.Length == 0) throw DataException.AtLine(path, lineNo, "empty label");
                result.Add((text.GetString()!, labelText, lineNo));
            }
        }
        return result;
    }
}
