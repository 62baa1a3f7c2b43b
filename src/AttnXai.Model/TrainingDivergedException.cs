namespace AttnXai.Model;

/// <summary>
/// Training diverged: the loss (or the validation loss) stopped being a finite number. The message names the epoch and
/// step; the output folder keeps the state of the last completed epoch (nothing of the diverged epoch is written).
/// </summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);
