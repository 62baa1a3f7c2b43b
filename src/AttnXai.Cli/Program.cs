using System.CommandLine;
using AttnXai.Cli.Commands;

// attnxai: the AttnXai command-line program. Each command lives in Commands/ and registers itself here.
var root = new RootCommand("AttnXai: do attention weights explain a model, and what do post-hoc explainers see?");
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(FaithfulnessCommand.Create());
root.Subcommands.Add(DepthCommand.Create());
root.Subcommands.Add(SetsCommand.Create());
root.Subcommands.Add(ShortcutsCommand.Create());
return CliRunner.Run(root, args);
