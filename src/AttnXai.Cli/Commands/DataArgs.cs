using System.CommandLine;
using AttnXai.Data.Labelled;

namespace AttnXai.Cli.Commands;

/// <summary>
/// The data options every command that reads labelled texts shares (train, eval, predict --file, explain,
/// faithfulness, shortcuts): where the data is, how a file's columns are read, and how its labels map to classes.
/// </summary>
public sealed class DataArgs
{
    public const string DataHelp =
        "the data: IMDB (an aclImdb folder or archive), a labelled .csv/.tsv/.jsonl file (train, validation and test parts split out of it, seeded), " +
        "or a folder of train/validation/test files (validation and test optional)";

    public Option<string?> Data { get; }
    public Option<string?> TextColumn { get; } = new("--text-column") { Description = "labelled files: the column (or JSON field) of the texts (default text)" };
    public Option<string?> LabelColumn { get; } = new("--label-column") { Description = "labelled files: the column (or JSON field) of the labels (default label)" };
    public Option<string?> Format { get; } = new Option<string?>("--format") { Description = "labelled files: csv, tsv or jsonl (default: from the extension)" }.OneOf("csv", "tsv", "jsonl");
    public Option<bool> NoQuoting { get; } = new("--no-quoting") { Description = "CSV/TSV: read fields without quoting: every line is one record and '\"' an ordinary character (TSV files written without quoting)" };
    public Option<string?> Labels { get; }

    /// <param name="dataDefault">What --data defaults to, for its help text.</param>
    /// <param name="labelsHelp">What --labels means for this command.</param>
    public DataArgs(string dataDefault, string labelsHelp)
    {
        Data = new Option<string?>("--data") { Description = $"{DataHelp} (default: {dataDefault})" };
        Labels = new Option<string?>("--labels") { Description = labelsHelp };
        Labels.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.Tokens[^1].Value is { } s)
                try { LabelMap.Parse(s); }
                catch (ArgumentException e) { r.AddError($"--labels: {e.Message}"); }
        });
    }

    public const string TrainLabelsHelp =
        "the data's labels in class order, e.g. neg,pos (neg is class 0); needed unless the labels are the class ids 0, 1, ... (IMDB: neg,pos)";

    public const string ModelLabelsHelp =
        "the data's labels in the model's class order, e.g. neg,pos (default: the model's own labels, printed by eval and predict)";

    /// <summary>Every option, to add to a command (with or without --data, and with or without the label options).</summary>
    public IEnumerable<Option> All(bool data = true, bool labels = true) =>
        new Option?[] { data ? Data : null, TextColumn, labels ? LabelColumn : null, Format, NoQuoting, labels ? Labels : null }.Where(o => o is not null)!;

    /// <summary>
    /// The file options: each one given overrides <paramref name="recorded"/> (what the model was trained with), which
    /// overrides the defaults. --labels, when given, is the mapping ("--labels" in messages).
    /// </summary>
    public LabelledTextOptions Build(ParseResult r, LabelledTextOptions? recorded = null)
    {
        var o = recorded ?? new LabelledTextOptions();
        if (r.GetValue(TextColumn) is { } t) o = o with { TextColumn = t };
        if (r.GetValue(LabelColumn) is { } l) o = o with { LabelColumn = l };
        if (r.GetValue(Format) is { } f) o = o with { Format = f.Trim().ToLowerInvariant() switch { "csv" => TextFileFormat.Csv, "tsv" => TextFileFormat.Tsv, _ => TextFileFormat.JsonLines } };
        if (r.GetValue(NoQuoting)) o = o with { Quoting = false };
        if (r.GetValue(Labels) is { } labels) o = o with { Labels = LabelMap.Parse(labels), LabelsOrigin = "--labels" };
        return o;
    }
}
