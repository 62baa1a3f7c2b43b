using AttnXai.Common;
using System.CommandLine;
using AttnXai.Common.Sharding;
using AttnXai.Depth;
using AttnXai.Explain.Output;
using AttnXai.Faithfulness;
using AttnXai.Reproduce;

namespace AttnXai.Cli.Commands;

/// <summary>A study that runs sharded (--shard I/N) and how `attnxai merge` joins its parts into an unsharded run's outputs.</summary>
/// <param name="Name">The command, also the study name in shard.json.</param>
/// <param name="CheckShard">The checks of a parsed command's --shard that need no data (run before any work, and by `attnxai slurm`).</param>
/// <param name="Merge">Writes the merged outputs into the folder; returns the written files.</param>
public sealed record ShardableStudy(string Name, Action<ParseResult> CheckShard, Func<ShardSet, string, ParseResult, IReadOnlyList<string>> Merge);

/// <summary>
/// `attnxai merge --out DIR PART_DIR...`: checks that the part folders are the shards 1..N of one run (same study,
/// settings and model fingerprint; a missing, duplicated or foreign shard is refused by name, see <see cref="ShardSet"/>),
/// then writes the outputs an unsharded run writes: the per-document tables concatenated in document order (byte for
/// byte the unsharded run's), and the summaries, figures and reports computed from them by the study's own code.
/// </summary>
public static class MergeCommand
{
    /// <summary>The studies that shard: a new one adds a line here (and --shard to its command).</summary>
    public static readonly IReadOnlyList<ShardableStudy> Studies =
    [
        new(ReproduceShards.Study, ReproduceCommand.CheckShard, (set, outDir, r) =>
        {
            var p = Reproduction.Merge(set, outDir, line => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}"), CliRunner.ApplyThreads(r.GetValue<int?>("--threads")));
            return p.Records.SelectMany(x => x.Files).Select(f => Path.Combine(outDir, f)).ToList();
        }),
        new(FaithfulnessStudy.Study, FaithfulnessCommand.CheckShard, (set, outDir, r) =>
        {
            var (summary, erasure, files) = FaithfulnessStudy.Merge(set, outDir);
            FaithfulnessCommand.PrintSummary(summary, erasure);
            return files;
        }),
        new(ExplanationWriters.Study, ExplainCommand.CheckShard, (set, outDir, _) => ExplanationWriters.Merge(set, outDir).Paths),
        new(DepthStudy.Study, DepthCommand.CheckShard, (set, outDir, _) => DepthStudy.Merge(set, outDir, line => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}"))),
    ];

    public static ShardableStudy? Find(string name) => Studies.FirstOrDefault(s => s.Name == name);

    public static Command Create()
    {
        var cmd = new Command("merge", "Join the part folders of a sharded study (--shard 1/N ... N/N) into the outputs of an unsharded run");
        var output = new Option<string>("--out") { Description = "output folder of the whole run", Required = true };
        var parts = new Argument<string[]>("parts") { Description = "the part folders (each holds a shard's shard.json), in any order", Arity = ArgumentArity.OneOrMore };
        var threads = CliRunner.ThreadsOption();
        cmd.Options.Add(output);
        cmd.Options.Add(threads);
        cmd.Arguments.Add(parts);
        cmd.SetAction(r =>
        {
            var outDir = Output.Folder(r.GetValue(output)!);
            var dirs = r.GetValue(parts)!;
            if (dirs.FirstOrDefault(d => Path.GetFullPath(d).TrimEnd('/') == outDir.TrimEnd('/')) is { } same)
                throw new UserError($"--out {r.GetValue(output)} is one of the part folders ({same}): merge into another folder");
            var set = ShardSet.Open(dirs);
            var study = Find(set.Run.Study) ?? throw new InvalidDataException(
                $"{set.Parts[0].Directory}: shards of '{set.Run.Study}', which this AttnXai cannot merge (it merges {string.Join(", ", Studies.Select(s => s.Name))})");
            var files = study.Merge(set, outDir, r);
            Console.WriteLine($"merged {set.Parts.Count} shard(s) of {study.Name} ({set.Run.Documents} documents) into {outDir}; wrote:");
            foreach (var f in files) Console.WriteLine("  " + f);
            return 0;
        });
        return cmd;
    }
}
