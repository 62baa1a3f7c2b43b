using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Faithfulness;

/// <summary>One document to score: as it is (<see cref="Word"/> = -1), or without one distinct word (all its occurrences).</summary>
public readonly record struct RemovalRequest(ExplainDocument Document, int Word, FeatureRemoval Removal)
{
    public static RemovalRequest Original(ExplainDocument document) => new(document, -1, FeatureRemoval.Delete);
}

/// <summary>
/// The model's logits on documents with one word removed in one of the three ways of <see cref="FeatureRemoval"/>, through
/// <see cref="BatchedPass"/>: deleted words are removed from the ids before encoding (as
/// <see cref="ExplainDocument.PerturbedIds"/> does); a zeroed word keeps its position encoding only
/// (<see cref="BatchRow.Blank"/>, e_t = PE(t)); a masked word is left out of attention (<see cref="BatchRow.Hidden"/>),
/// the other weights renormalised. Any model: the contract splits e into its word and position parts.
/// </summary>
public sealed class RemovalModel
{
    public RemovalModel(ITextClassifier model, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        if (model.Classes != 2) throw new ArgumentException($"the faithfulness test needs a binary classifier, the model has {model.Classes} classes");
        Model = model;
        BatchSize = batchSize;
    }

    public ITextClassifier Model { get; }
    public int BatchSize { get; }

    /// <summary>The 1-based positions (as the model sees them, [CLS] at 0) of the occurrences of word j.</summary>
    public static int[] Positions(ExplainDocument document, int word)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (word < 0 || word >= document.WordCount) throw new ArgumentOutOfRangeException(nameof(word), word, $"the document has {document.WordCount} distinct words");
        var p = new List<int>();
        for (int t = 0; t < document.TokenCount; t++) if (document.WordOfToken[t] == word) p.Add(t + 1);
        return p.ToArray();
    }

    /// <summary>(negative, positive) logits of each request, in float64.</summary>
    public (double Negative, double Positive)[] Logits(IReadOnlyList<RemovalRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var logits = BatchedPass.Logits(Model, requests.Count, BatchSize, (int i, ref BatchRow row) => Fill(requests[i], i, ref row));
        var result = new (double, double)[requests.Count];
        for (int b = 0; b < result.Length; b++) result[b] = (logits[2 * b], logits[2 * b + 1]);
        return result;
    }

    private void Fill(RemovalRequest r, int index, ref BatchRow row)
    {
        var doc = r.Document ?? throw new ArgumentException($"request {index} has no document");
        int L = Model.Inputs.Length;
        if (doc.Length != L) throw new ArgumentException($"document '{doc.Label}' was encoded for length {doc.Length}, the model has {L}");
        if (r.Word < -1 || r.Word >= doc.WordCount)
            throw new ArgumentException($"request {index}: word {r.Word} is outside document '{doc.Label}' (d = {doc.WordCount})");
        row.RealLength = doc.RealLength;
        if (r.Word >= 0 && r.Removal == FeatureRemoval.Delete)
        {
            var keepWords = new bool[doc.WordCount];
            keepWords.AsSpan().Fill(true);
            keepWords[r.Word] = false;
            row.RealLength = doc.PerturbedIds(keepWords, RemovalMode.Delete, row.Ids);
            return;
        }
        doc.Ids.CopyTo(row.Ids);
        if (r.Word >= 0)
            foreach (int t in Positions(doc, r.Word))
            {
                if (r.Removal == FeatureRemoval.ZeroEmbedding) row.Blank[t] = true;
                else row.Hidden[t] = true;
            }
    }
}
