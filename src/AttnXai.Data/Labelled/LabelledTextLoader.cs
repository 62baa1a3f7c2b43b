using AttnXai.Common.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AttnXai.Data.Batching;
using AttnXai.Data.Text;

namespace AttnXai.Data.Labelled;

/// <summary>Loads a researcher's own labelled texts from CSV, TSV or JSON Lines (UTF-8).</summary>
public static class LabelledTextLoader
{
    /// <summary>The file's texts and classes; see <see cref="LabelledTextOptions.Labels"/> for how labels become classes.</summary>
    public static LabelledTextSet Load(string path, LabelledTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new LabelledTextOptions();
        var raw = ReadLabelled(path, options);
        var (map, classes) = MapLabels([(path, raw)], options);
        return new LabelledTextSet(Path.GetFullPath(path), raw.Select((r, i) => new LabelledText(r.Text, classes[0][i], r.Line)).ToArray(), map);
    }

    /// <summary>The texts of a labelled file with their labels as written (the label column is required).</summary>
    public static IReadOnlyList<RawText> ReadLabelled(string path, LabelledTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new LabelledTextOptions();
        var format = options.FormatOf(path);
        if (format == TextFileFormat.Lines)
            throw new DataException(path, null, "a file of one text per line has no labels: give a CSV, TSV or JSON Lines file with a label column");
        return ReadRaw(path, format, options, requireLabel: true);
    }

    /// <summary>
    /// One label mapping for the texts of one or more files (a folder's train, validation and test files share it):
    /// options.Labels when given (a label outside it is an error naming the file and line), else the class ids
    /// themselves (see <see cref="LabelledTextOptions.Labels"/>). Returns the map and each file's classes.
    /// </summary>
    public static (LabelMap Map, int[][] Classes) MapLabels(IReadOnlyList<(string File, IReadOnlyList<RawText> Texts)> files, LabelledTextOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var where = files.Count == 1 ? files[0].File : string.Join(", ", files.Select(f => f.File));
        var map = options.Labels ?? ClassIdLabels(where, files.SelectMany(f => f.Texts).Select(r => r.Label ?? ""));
        string known = string.Join(", ", map.ClassNames.Select(n => $"'{n}'"));
        var classes = new int[files.Count][];
        for (int f = 0; f < files.Count; f++)
        {
            var texts = files[f].Texts;
            classes[f] = new int[texts.Count];
            for (int i = 0; i < texts.Count; i++)
            {
                var (_, label, line) = texts[i];
                if (!map.TryGetClass(label ?? "", out classes[f][i]))
                    throw DataException.AtLine(files[f].File, line,
                        options.Labels is null
                            ? $"unknown label '{label}' (known labels: {known})"
                            : $"label '{label}' is not one of {options.LabelsOrigin} ({known}){(options.LabelsHint is null ? "" : "; " + options.LabelsHint)}");
            }
        }
        return (map, classes);
    }

    /// <summary>
    /// The texts of a file and, when it has the label column, their labels as written (no mapping): a CSV/TSV/JSON
    /// Lines file by its text column, or a .txt file with one text per non-blank line.
    /// </summary>
    public static IReadOnlyList<RawText> LoadTexts(string path, LabelledTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new LabelledTextOptions();
        return ReadRaw(path, options.FormatOf(path), options, requireLabel: false);
    }

    private static List<RawText> ReadRaw(string path, TextFileFormat format, LabelledTextOptions options, bool requireLabel)
    {
        if (!File.Exists(path)) throw new DataException(path, null, Directory.Exists(path) ? "is a folder, not a file" : "no such file");
        try
        {
            using var reader = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false);
            // skip a UTF-8 BOM
            if (reader.Peek() == '\uFEFF') reader.Read();
            return format switch
            {
                TextFileFormat.JsonLines => ReadJsonLines(reader, path, options, requireLabel),
                TextFileFormat.Lines => ReadLines(reader),
                _ => ReadDelimited(reader, format == TextFileFormat.Tsv ? '\t' : ',', path, options, requireLabel),
            };
        }
        catch (DecoderFallbackException e)
        {
            throw new DataException(path, null, "not valid UTF-8", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(path, null, $"cannot read the file: {e.Message}", e);
        }
    }

    internal static TextFileFormat FromExtension(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => TextFileFormat.Csv,
            ".tsv" or ".tab" => TextFileFormat.Tsv,
            ".jsonl" or ".ndjson" => TextFileFormat.JsonLines,
            ".txt" => TextFileFormat.Lines,
            _ => throw new DataException(path, null, $"cannot tell the format from the extension '{ext}' (use .csv, .tsv, .jsonl or .txt, or give the format)"),
        };
    }

    /// <summary>True when the extension is one <see cref="FromExtension"/> knows.</summary>
    public static bool HasKnownExtension(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".tsv" or ".tab" or ".jsonl" or ".ndjson" or ".txt";

    /// <summary>
    /// Labels read as class ids, which needs no mapping: every label one of "0".."C-1" and each of them present (C >= 2).
    /// Anything else is refused with the labels found, so that no order is ever guessed (sorting "1" and "pos" would
    /// make "1" class 0; a file whose labels are all "positive" would become class 0).
    /// </summary>
    private static LabelMap ClassIdLabels(string path, IEnumerable<string> labels)
    {
        var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        var ids = new HashSet<int>();
        foreach (var l in distinct)
            if (l.Length is > 0 and <= 6 && l.All(char.IsAsciiDigit) && (l == "0" || l[0] != '0')) ids.Add(int.Parse(l, CultureInfo.InvariantCulture));
        int classes = distinct.Length;
        if (classes >= 2 && ids.Count == classes && ids.Min() == 0 && ids.Max() == classes - 1)
            return LabelMap.ClassIds(classes);
        var shown = distinct.Order(StringComparer.Ordinal).Take(10).Select(l => $"'{l}'").ToList();
        string found = string.Join(", ", shown) + (distinct.Length > 10 ? $", ... ({distinct.Length} labels)" : "");
        if (distinct.Length == 0) throw new DataException(path, null, "the file holds no labelled text");
        if (distinct.Length == 1)
            throw new DataException(path, null, $"every label is {found}: a classifier needs at least two classes, and a single label's class cannot be told without the label order (give the labels in class order, e.g. --labels neg,pos)");
        string example = string.Join(",", distinct.Order(StringComparer.Ordinal).Take(3));
        throw new DataException(path, null, $"the labels are {found}: give them in class order (e.g. --labels {example}); only labels 0, 1, ... are taken as classes without it");
    }

    private static List<RawText> ReadLines(TextReader reader)
    {
        var result = new List<RawText>();
        int line = 0;
        string? text;
        while ((text = reader.ReadLine()) != null)
        {
            line++;
            if (!string.IsNullOrWhiteSpace(text)) result.Add(new RawText(text, null, line));
        }
        return result;
    }

    private static List<RawText> ReadDelimited(TextReader reader, char delimiter, string path, LabelledTextOptions o, bool requireLabel)
    {
        var result = new List<RawText>();
        int textCol = o.TextIndex, labelCol = o.LabelIndex;
        bool header = o.HasHeader;
        bool hasLabel = true;
        foreach (var rec in DelimitedReader.Read(reader, delimiter, path, o.Quoting))
        {
            if (header)
            {
                header = false;
                textCol = Array.IndexOf(rec.Fields, o.TextColumn);
                labelCol = Array.IndexOf(rec.Fields, o.LabelColumn);
                var cols = string.Join(", ", rec.Fields.Select(f => $"'{f}'"));
                if (textCol < 0) throw DataException.AtLine(path, rec.Line, $"missing column '{o.TextColumn}' in the header (columns: {cols})");
                if (labelCol < 0 && requireLabel) throw DataException.AtLine(path, rec.Line, $"missing column '{o.LabelColumn}' in the header (columns: {cols})");
                hasLabel = labelCol >= 0;
                continue;
            }
            int need = hasLabel ? Math.Max(textCol, labelCol) : textCol;
            if (rec.Fields.Length <= need)
                throw DataException.AtLine(path, rec.Line,
                    $"missing column: the record has {rec.Fields.Length} field(s), column {need} is needed (text column {textCol}{(hasLabel ? $", label column {labelCol}" : "")})" +
                    (o.Quoting ? "" : "; quoting is off, so a field cannot hold a line break"));
            string? label = null;
            if (hasLabel)
            {
                label = rec.Fields[labelCol].Trim();
                if (label.Length == 0 && requireLabel) throw DataException.AtLine(path, rec.Line, "empty label");
            }
            result.Add(new RawText(rec.Fields[textCol], label, rec.Line));
        }
        if (header) throw new DataException(path, null, "the file is empty (no header)");
        return result;
    }

    private static List<RawText> ReadJsonLines(TextReader reader, string path, LabelledTextOptions o, bool requireLabel)
    {
        var result = new List<RawText>();
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
                throw DataException.AtLine(path, lineNo, $"not valid JSON ({JsonErrors.Describe(e, withLine: false)})", e);
            }
            using (doc)
            {
                var root = doc.RootElement;
                JsonElement text, label = default;
                bool hasLabel;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (!root.TryGetProperty(o.TextColumn, out text)) throw DataException.AtLine(path, lineNo, $"missing column '{o.TextColumn}'");
                    hasLabel = root.TryGetProperty(o.LabelColumn, out label);
                    if (!hasLabel && requireLabel) throw DataException.AtLine(path, lineNo, $"missing column '{o.LabelColumn}'");
                }
                else if (root.ValueKind == JsonValueKind.Array)
                {
                    int len = root.GetArrayLength();
                    int need = requireLabel ? Math.Max(o.TextIndex, o.LabelIndex) : o.TextIndex;
                    if (len <= need)
                        throw DataException.AtLine(path, lineNo, $"missing column: the array has {len} item(s), column {need} is needed");
                    text = root[o.TextIndex];
                    hasLabel = len > o.LabelIndex;
                    if (hasLabel) label = root[o.LabelIndex];
                }
                else throw DataException.AtLine(path, lineNo, "expected a JSON object or array on each line");
                if (text.ValueKind != JsonValueKind.String) throw DataException.AtLine(path, lineNo, $"the text is not a JSON string ({text.ValueKind})");
                string? labelText = !hasLabel ? null : label.ValueKind switch
                {
                    JsonValueKind.String => label.GetString()!.Trim(),
                    JsonValueKind.Number when label.TryGetInt64(out long v) => v.ToString(CultureInfo.InvariantCulture),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => throw DataException.AtLine(path, lineNo, $"the label must be a string, an integer or a boolean, not {label.GetRawText()}"),
                };
                if (labelText is { Length: 0 } && requireLabel) throw DataException.AtLine(path, lineNo, "empty label");
                result.Add(new RawText(text.GetString()!, labelText, lineNo));
            }
        }
        return result;
    }
}
