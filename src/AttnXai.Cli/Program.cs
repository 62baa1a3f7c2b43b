using AttnXai.Cli.Commands;

// attnxai: the AttnXai command-line program. Each command lives in Commands/ and registers itself in AttnXaiCommands.
return CliRunner.Run(AttnXaiCommands.Create(), args);
