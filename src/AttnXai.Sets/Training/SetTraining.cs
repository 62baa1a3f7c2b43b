using AttnXai.Data.Batching;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Sets.Tasks;

namespace AttnXai.Sets.Training;

/// <summary>
/// The model and recipe for the set tasks: the paper's classifier, small, with the position encoding off (a set
/// function) and the padding mask on (attention over the bag's tokens only, as in attention-based multiple-instance
/// pooling), trained with the project's <see cref="Trainer"/> (AdamW, best validation epoch kept).
/// </summary>
public sealed record SetModelOptions
{
    public int EmbedDim { get; init; } = 32;
    public int AttDim { get; init; } = 16;
    public int OutDim { get; init; } = 16;
    public int Heads { get; init; } = 2;
    public bool PositionEncoding { get; init; }
    public bool PaddingMask { get; init; } = true;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;

    public ModelConfig Config(Vocabulary vocabulary, int length) =>
        new ModelConfig(vocabulary.Count, EmbedDim, AttDim, OutDim, Heads, length, 2, PaddingMask,
            Vocabulary.ClsId, Vocabulary.UnkId, PositionEncoding: PositionEncoding).Validate();

    public TrainingOptions Training(long seed)
    {
        var o = new TrainingOptions { Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, WeightDecay = WeightDecay, Seed = seed };
        o.Validate();
        return o;
    }
}

public static class SetTraining
{
    /// <summary>Bags as the model's input: [CLS], the tokens, UNK padding to <paramref name="length"/>; the mask (when
    /// asked) is true at [CLS] and the tokens.</summary>
    public static EncodedDataset Encode(IReadOnlyList<Bag> bags, int length, bool mask)
    {
        ArgumentNullException.ThrowIfNull(bags);
        var ids = new long[(long)bags.Count * length];
        var m = mask ? new bool[ids.Length] : null;
        var labels = new long[bags.Count];
        var words = new int[bags.Count];
        for (int i = 0; i < bags.Count; i++)
        {
            var b = bags[i];
            if (b.Count > length - 1) throw new ArgumentException($"bag {i} has {b.Count} tokens, more than the model's length {length} minus [CLS]");
            long row = (long)i * length;
            ids[row] = Vocabulary.ClsId;
            for (int t = 0; t < length - 1; t++) ids[row + 1 + t] = t < b.Count ? b.TokenIds[t] : Vocabulary.UnkId;
            if (m is not null) for (int t = 0; t <= b.Count; t++) m[row + t] = true;
            labels[i] = b.Label;
            words[i] = b.Count;
        }
        return new EncodedDataset(ids, labels, length, m, words, new int[bags.Count], new bool[bags.Count]);
    }

    /// <summary>Trains one model (in memory) on the train bags, keeping the best validation epoch; test accuracy on the test bags.</summary>
    public static TrainingOutcome Train(ModelConfig config, TrainingOptions options, EncodedDataset train, EncodedDataset validation, EncodedDataset test) =>
        new Trainer(config, options, train, validation, test).Run();
}
