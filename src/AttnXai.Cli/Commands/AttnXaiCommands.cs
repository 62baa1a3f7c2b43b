using System.CommandLine;

namespace AttnXai.Cli.Commands;

/// <summary>The attnxai program's commands (each in its own file): the root command, made fresh on each call.</summary>
public static class AttnXaiCommands
{
    public static RootCommand Create()
    {
        var root = new RootCommand("AttnXai: do attention weights explain a model, and what do post-hoc explainers see?");
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(FaithfulnessCommand.Create());
        root.Subcommands.Add(DepthCommand.Create());
        root.Subcommands.Add(SetsCommand.Create());
        root.Subcommands.Add(ShortcutsCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(SlurmCommand.Create(Create));
        root.Options.Add(CliRunner.DebugOption());
        root.Subcommands.Add(CliRunner.InternalErrorCommand());
        return root;
    }
}
