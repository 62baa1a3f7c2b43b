using AttnXai.Common;
using System.CommandLine;
using AttnXai.Reproduce;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai reproduce --out runs/NAME`: the paper's figures, the two studies and report.html, resumable.</summary>
public static class ReproduceCommand
{
    public static Command Create()
    {
        var cmd = new Command("reproduce", "Reproduce the paper: train (or reuse --model), figures 1/3/4/5, gradient and LIME studies, report.html");
        var outDir = new Option<string>("--out") { Description = "run folder (created; completed stages are skipped on rerun)", Required = true };
        var data = new Option<string?>("--data") { Description = "IMDB folder or archive (default: as `train` finds it)" };
        var model = new Option<string?>("--model") { Description = "reuse a trained model folder instead of training" };
        var quick = new Option<bool>("--quick") { Description = "small model, data subset, 100 study documents: a smoke run of a few minutes" };
        var docs = new Option<int?>("--docs") { Description = "cap on the documents of the studies (default: all 25,000 test reviews)" }.Range(1, Opt.MaxDocuments);
        var limit = new Option<long?>("--limit-samples") { Description = $"samples of the large-sample LIME limit per document (0 skips it; 2 to {Opt.MaxLimeSamples:N0} otherwise; default 50000)" }.LimeSamplesOrZero();
        var limitEvery = new Option<int?>("--limit-every") { Description = "compute the LIME limit on every N-th study document (default 10; 1: all)" }.Range(1, Opt.MaxDocuments);
        var noStudies = new Option<bool>("--no-studies") { Description = "figures and report only" };
        var threads = CliRunner.ThreadsOption();
        var chunkSize = Opt.ChunkSizeOption("per resumable chunk of the studies", 250);
        var shard = Opt.ShardOption();
        foreach (var o in new Option[] { outDir, data, model, quick, docs, limit, limitEvery, noStudies, threads, chunkSize, shard }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CheckShard(r);
            Output.Folder(r.GetValue(outDir)!);
            if (r.GetValue(model) is { } m && !File.Exists(Path.Combine(m, AttnXai.Model.ModelCheckpoint.ConfigFile)))
                throw new IOException(Directory.Exists(m) ? $"--model {m}: no config.json: not a model folder, or an incomplete one" : $"--model {m}: no such folder");
            // libtorch threads for training; the LIME study parallelises over documents without libtorch.
            int t = CliRunner.ApplyThreads(r.GetValue(threads));
            Reproduction.Run(new ReproduceRequest
            {
                OutDir = r.GetValue(outDir)!, DataPath = r.GetValue(data), ModelDir = r.GetValue(model), Quick = r.GetValue(quick),
                Docs = r.GetValue(docs), Threads = t, LimitSamples = r.GetValue(limit), LimitEvery = r.GetValue(limitEvery), SkipStudies = r.GetValue(noStudies),
                ChunkSize = r.GetValue(chunkSize), Shard = r.Shard(),
            }, line => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}"));
            return 0;
        });
        return cmd;
    }

    /// <summary>The --shard checks that need no data: a given model, the studies, and I/N fitting --docs (when given) in chunks.</summary>
    public static void CheckShard(ParseResult r)
    {
        if (r.Shard() is not { } shard) return;
        if (r.GetValue<string?>("--model") is null)
            throw new UserError($"--shard {shard} needs --model: every shard must explain the same trained model (train it first: attnxai train, or reproduce --no-studies)");
        if (r.GetValue<bool>("--no-studies")) throw new UserError($"--shard {shard} shards the studies, which --no-studies leaves out");
        bool quick = r.GetValue<bool>("--quick");
        if ((r.GetValue<int?>("--docs") ?? (quick ? 100 : null)) is int docs)
            shard.CheckFits(docs, r.GetValue<int?>("--chunk-size") ?? (quick ? 50 : 250), $"the {docs} documents of --docs");
    }
}
