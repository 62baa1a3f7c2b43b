namespace AttnXai.Slurm.Tests;

/// <summary>
/// A test that runs only when this machine's test cluster answers (SlurmCluster.UnavailableReason is null: .ci/run
/// starts it with scripts/slurm/start-cluster.sh); elsewhere it is reported as skipped, with the reason ("no Slurm
/// cluster: sinfo not found on PATH ...", "the cluster did not answer: ...").
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.UnavailableReason is { } reason) Skip = reason;
    }
}
