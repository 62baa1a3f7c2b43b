namespace AttnXai.Data.Labelled;

public enum TextFileFormat
{
    /// <summary>From the extension: .csv, .tsv/.tab, .jsonl/.ndjson, .txt (one text per line, no labels).</summary>
    Auto,
    Csv,
    Tsv,
    JsonLines,
    /// <summary>One text per non-blank line, no labels (<see cref="LabelledTextLoader.LoadTexts"/> only).</summary>
    Lines,
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

    /// <summary>CSV/TSV: RFC 4180 quoting (true) or none: every line is a record and '"' an ordinary character
    /// (see <see cref="DelimitedReader"/>).</summary>
    public bool Quoting { get; init; } = true;

    public string TextColumn { get; init; } = "text";
    public string LabelColumn { get; init; } = "label";
    public int TextIndex { get; init; } = 0;
    public int LabelIndex { get; init; } = 1;

    /// <summary>
    /// The label → class mapping; a label outside it is an error naming the label, the file and the line. When null,
    /// the labels must be the class ids themselves (every one of 0, 1, ..., C - 1 with C >= 2); anything else is an
    /// error that lists the labels found and asks for their order: a mapping is never guessed.
    /// </summary>
    public LabelMap? Labels { get; init; }

    /// <summary>Where <see cref="Labels"/> came from, for messages ("--labels", "the model's labels").</summary>
    public string LabelsOrigin { get; init; } = "the given labels";

    /// <summary>Appended to the message of a label outside <see cref="Labels"/> (e.g. how to give another mapping).</summary>
    public string? LabelsHint { get; init; }

    /// <summary>The format <see cref="Format"/> stands for with this file (Auto: from the extension).</summary>
    public TextFileFormat FormatOf(string path) => Format == TextFileFormat.Auto ? LabelledTextLoader.FromExtension(path) : Format;
}
