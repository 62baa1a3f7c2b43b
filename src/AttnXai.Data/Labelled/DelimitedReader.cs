using System.Text;

namespace AttnXai.Data.Labelled;

/// <summary>One record of a delimited file and the 1-based line where it starts.</summary>
public readonly record struct DelimitedRecord(string[] Fields, int Line);

/// <summary>
/// A small RFC 4180 reader for CSV (delimiter ',') and TSV (delimiter '\t', same quoting rules): records end at
/// CRLF, LF or CR outside quotes; a field that starts with '"' is quoted, may contain delimiters, line breaks and
/// doubled quotes ("" for "), and must be followed by a delimiter or a line end; a '"' inside an unquoted field is
/// kept as a literal char. Blank lines are skipped. An unterminated quoted field, or a character right after a
/// closing quote, is a <see cref="DataException"/> naming the file and line.
/// <para>
/// Without quoting (<c>quoting: false</c>, for TSV files written without it, as Python's
/// <c>csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE)</c> reads them): every line is one record, split at each
/// delimiter; '"' is an ordinary character.
/// </para>
/// </summary>
public static class DelimitedReader
{
    public static IEnumerable<DelimitedRecord> Read(TextReader reader, char delimiter, string fileName, bool quoting = true)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return quoting ? ReadQuoted(reader, delimiter, fileName) : ReadUnquoted(reader, delimiter);
    }

    private static IEnumerable<DelimitedRecord> ReadUnquoted(TextReader reader, char delimiter)
    {
        int line = 0;
        string? text;
        while ((text = reader.ReadLine()) != null)
        {
            line++;
            if (text.Length == 0) continue;
            yield return new DelimitedRecord(text.Split(delimiter), line);
        }
    }

    private static IEnumerable<DelimitedRecord> ReadQuoted(TextReader reader, char delimiter, string fileName)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1;
        int recordLine = 1;
        bool inRecord = false; // something (even an empty field before a delimiter) has been read for this record
        int c;
        while ((c = reader.Read()) != -1)
        {
            if (!inRecord)
            {
                recordLine = line;
                if (c == '\r' || c == '\n')
                {
                    if (c == '\r' && reader.Peek() == '\n') reader.Read();
                    line++;
                    continue; // blank line
                }
                inRecord = true;
            }
            if (c == '"' && field.Length == 0)
            {
                int quoteLine = line;
                // quoted field
                while (true)
                {
                    int d = reader.Read();
                    if (d == -1)
                        throw DataException.AtLine(fileName, quoteLine, "unterminated quoted field (a '\"' opened here is never closed)");
                    if (d == '"')
                    {
                        if (reader.Peek() == '"') { reader.Read(); field.Append('"'); continue; }
                        break;
                    }
                    if (d == '\n' || (d == '\r' && reader.Peek() != '\n')) line++;
                    field.Append((char)d);
                }
                int next = reader.Peek();
                if (next != -1 && next != delimiter && next != '\r' && next != '\n')
                    throw DataException.AtLine(fileName, line, $"unexpected character '{(char)next}' after a closing quote (expected a delimiter or a line end)");
                // mark the field as quoted-complete: following char handled by the loop
                fields.Add(field.ToString());
                field.Clear();
                int after = reader.Read();
                if (after == -1) { inRecord = false; yield return new DelimitedRecord(fields.ToArray(), recordLine); fields.Clear(); yield break; }
                if (after == delimiter) { if (reader.Peek() is -1 or '\r' or '\n') fields.Add(""); continue; }
                if (after == '\r' && reader.Peek() == '\n') reader.Read();
                line++;
                inRecord = false;
                yield return new DelimitedRecord(fields.ToArray(), recordLine);
                fields.Clear();
                continue;
            }
            if (c == delimiter)
            {
                fields.Add(field.ToString());
                field.Clear();
                if (reader.Peek() is -1 or '\r' or '\n') { fields.Add(""); }
                continue;
            }
            if (c == '\r' || c == '\n')
            {
                if (c == '\r' && reader.Peek() == '\n') reader.Read();
                line++;
                if (field.Length > 0 || fields.Count == 0) fields.Add(field.ToString());
                field.Clear();
                inRecord = false;
                yield return new DelimitedRecord(fields.ToArray(), recordLine);
                fields.Clear();
                continue;
            }
            field.Append((char)c);
        }
        if (inRecord)
        {
            if (field.Length > 0 || fields.Count == 0) fields.Add(field.ToString());
            yield return new DelimitedRecord(fields.ToArray(), recordLine);
        }
    }
}
