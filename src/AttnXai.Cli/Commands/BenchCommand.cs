using System.CommandLine;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai bench NAME`: benchmarks that print numbers (binding overhead, data, model, explainers).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks that print measured numbers");
        cmd.Subcommands.Add(TorchBench.Create());
        cmd.Subcommands.Add(ModelBenchCommand.Create());
        cmd.Subcommands.Add(OptimizerBench.Create());
        cmd.Subcommands.Add(ExplainBench.Create());
        cmd.Subcommands.Add(DataBench.Create());
        cmd.Subcommands.Add(PretrainedBench.Create());
        cmd.Subcommands.Add(FineTuneBench.Create());
        return cmd;
    }
}
