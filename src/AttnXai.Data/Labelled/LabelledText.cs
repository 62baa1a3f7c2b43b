using AttnXai.Data.Batching;
using AttnXai.Data.Text;

namespace AttnXai.Data.Labelled;

/// <summary>One labelled text and the 1-based line of the file it came from.</summary>
public sealed record LabelledText(string Text, int Label, int Line);

/// <summary>One text of a file, its 1-based line, and its label as written (null when the file has no label column).</summary>
public sealed record RawText(string Text, string? Label, int Line);

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
