using AttnXai.Data.Text;

namespace AttnXai.Model;

/// <summary>
/// A whole training recipe: model sizes, data preparation and training settings. <see cref="Paper"/> is the paper's;
/// <see cref="Quick"/> is the smoke preset of both `attnxai train --quick` and `attnxai reproduce --quick`.
/// </summary>
public sealed record TrainingRecipe
{
    public int EmbedDim { get; init; } = 128;
    public int AttDim { get; init; } = 64;
    public int OutDim { get; init; } = 64;
    public int Heads { get; init; } = 6;
    public DataOptions Data { get; init; } = new();
    public TrainingOptions Training { get; init; } = new();

    public static TrainingRecipe Paper => new();

    /// <summary>
    /// A small model on a data subset: about a minute on two cores, and still a usable classifier (81 % test
    /// accuracy on its 5,000 test reviews when measured), so that the quick reproduction's figures mean something.
    /// </summary>
    public static TrainingRecipe Quick => new()
    {
        EmbedDim = 32, AttDim = 16, OutDim = 16, Heads = 2,
        Data = new DataOptions { MaxTrain = 10000, MaxValidation = 1000, MaxTest = 5000 },
        Training = new TrainingOptions { Epochs = 3, LearningRate = 1e-3 },
    };

    /// <summary>The model's configuration for a vocabulary of <paramref name="vocabularySize"/> tokens and
    /// <paramref name="classes"/> classes.</summary>
    public ModelConfig Config(int vocabularySize, int classes = 2) =>
        new ModelConfig(vocabularySize, EmbedDim, AttDim, OutDim, Heads, Data.Length, classes, Data.IncludeMask, Vocabulary.ClsId, Vocabulary.UnkId).Validate();

    public override string ToString() =>
        $"d_e {EmbedDim}, d_att {AttDim}, d_out {OutDim}, K {Heads}, L {Data.Length}, {Training.Epochs} epochs, batch {Training.BatchSize}, " +
        $"lr {Training.LearningRate}, weight decay {Training.WeightDecay}, seed {Training.Seed}, validation {Data.ValidationCount?.ToString() ?? "default count"}, " +
        $"max train/val/test {Data.MaxTrain?.ToString() ?? "all"}/{Data.MaxValidation?.ToString() ?? "all"}/{Data.MaxTest?.ToString() ?? "all"}";
}
