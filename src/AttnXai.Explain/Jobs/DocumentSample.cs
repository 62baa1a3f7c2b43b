using AttnXai.Common;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;

namespace AttnXai.Explain.Jobs;

/// <summary>Documents ready to explain, where they come from, and how many could not be prepared.</summary>
public sealed record DocumentSampleResult(IReadOnlyList<ExplainDocument> Documents, string Source, int Skipped);

/// <summary>
/// A seeded sample of a part of a model's own data, prepared for the model: what `attnxai explain --split` explains and
/// what scripts want in one line, e.g. <c>DocumentSample.FromPart(loaded, target, "test", 20, seed: 1).Documents</c>.
/// </summary>
public static class DocumentSample
{
    /// <summary>
    /// <paramref name="count"/> documents of part <paramref name="part"/> (test, val or train; split as the model's
    /// training split it) of <paramref name="dataPath"/> (null: the data the model records, or IMDB), a seeded sample
    /// that takes the labels in turn (<see cref="PartSplit.SampleAcrossLabels"/>), each labelled "origin (label L)".
    /// Documents with no word the model knows are skipped with a note to <paramref name="log"/>.
    /// </summary>
    public static DocumentSampleResult FromPart(LoadedModel loaded, ExplainTarget target, string part = "test", int count = 10, ulong seed = 0,
        string? dataPath = null, LabelledTextOptions? fileOptions = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(target);
        fileOptions ??= ModelData.RecordedFileOptions(loaded) ?? new LabelledTextOptions();
        var (source, documents) = ModelData.ReadPart(loaded, dataPath, fileOptions, part);
        var sample = PartSplit.SampleAcrossLabels(documents, count, seed, $"the {part} part of {source.Description}");
        var docs = new List<ExplainDocument>();
        int skipped = 0;
        foreach (var doc in sample)
            if (TryPrepare(target, doc.Text, $"{doc.Origin} (label {loaded.Labels.ClassNames[doc.Label]})", doc.Origin, log) is { } d) docs.Add(d);
            else skipped++;
        if (docs.Count == 0) throw new InvalidDataException($"no document of the sample can be explained ({skipped} skipped)");
        return new DocumentSampleResult(docs, source.Path, skipped);
    }

    /// <summary>The prepared document, or null (with "WHERE skipped: why" to <paramref name="log"/>) when it has no
    /// word the model knows or cannot be prepared.</summary>
    public static ExplainDocument? TryPrepare(ExplainTarget target, string text, string label, string where, Action<string>? log = null)
    {
        try
        {
            var d = target.Prepare(text, label);
            if (d.UnknownCount == d.TokenCount) throw new UserError($"none of its {d.TokenCount} words is in the model's vocabulary");
            return d;
        }
        catch (Exception e) when (e is ArgumentException or UserError)
        {
            log?.Invoke($"{where} skipped: {AttnXai.Common.ErrorText.OneLine(e)}");
            return null;
        }
    }
}
