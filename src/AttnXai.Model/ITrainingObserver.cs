namespace AttnXai.Model;

/// <summary>One completed epoch. Train loss and accuracy are means over the epoch's batches as they were trained.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>Receives training progress (the CLI draws a progress bar).</summary>
public interface ITrainingObserver
{
    void Started(int firstEpoch, int epochs, int batchesPerEpoch) { }
    void Step(int epoch, int batch, double meanLoss, double meanAccuracy) { }
    void EpochCompleted(EpochMetrics metrics, bool best) { }
    void Message(string text) { }
}
