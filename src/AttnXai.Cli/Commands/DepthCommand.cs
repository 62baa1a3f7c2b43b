using AttnXai.Common;
using System.CommandLine;
using AttnXai.Explain.Explainers;
using System.Globalization;
using AttnXai.Depth;
using AttnXai.Engine;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai depth --out DIR`: the depth study (src/AttnXai.Depth/README.md): the paper's model and Transformers of
/// several depths, trained here or reused (--model NAME=DIR), the same seeded test documents, and per model the
/// agreement between explainers, the violation ratios, the erasure curves and the theorems on the last layer;
/// tidy CSVs, SVG figures and report.html. Resumable: a rerun continues where it stopped; other settings are refused.
/// </summary>
public static class DepthCommand
{
    /// <summary>The --quick preset: tiny models (DepthRecipe.Quick), 10 documents, LIME 200 samples, IG 8 steps.</summary>
    public const int QuickDocs = 10;
    /// <summary>The --quick preset's explainer settings: the study's, with LIME 200 samples and IG 8 steps.</summary>
    public static ExplainerSettings QuickExplainers => new DepthSettings { OutputDirectory = "." }.Explainers with { LimeSamples = 200, IgSteps = 8 };

    public static Command Create()
    {
        var d = new DepthSettings { OutputDirectory = "." };
        var cmd = new Command("depth", "Depth study: do explainer agreement, faithfulness and the paper's theorems carry over from one layer to deeper Transformers?");
        var outDir = new Option<string>("--out") { Description = "run folder (created; completed stages and document chunks are skipped on rerun)", Required = true };
        var data = new Option<string?>("--data") { Description = "IMDB folder or archive (default: as `train` finds it)" };
        var docs = new Option<int?>("--docs") { Description = $"test documents, a seeded sample the same for every model (default {d.Docs}; --quick {QuickDocs})" }.Range(1, Opt.MaxDocuments);
        var layers = new Option<string>("--layers") { Description = "comma list of Transformer depths", DefaultValueFactory = _ => "1,2,4,6" };
        var noPaper = new Option<bool>("--no-paper") { Description = "leave the paper's one-layer model out" };
        var models = new Option<string[]>("--model")
        {
            Description = "reuse a trained model folder instead of training: NAME=DIR with NAME paper or transformer-N, or any NAME for a pretrained (Hugging Face BERT-family) classifier folder, added to the study (repeatable; e.g. --model paper=runs/paper-model --model minilm-ft=runs/minilm-ft-s42)",
            AllowMultipleArgumentsPerToken = false,
        };
        var methods = new Option<string>("--methods") { Description = $"comma list of explainers, random included (default {string.Join(",", DepthSettings.DefaultMethods)})" };
        var explainerOptions = new ExplainerOptions(d.Explainers, QuickExplainers,
            [LimeExplainer.SamplesSetting, LimeExplainer.RunsSetting, IntegratedGradientsExplainer.StepsSetting]);
        var topFraction = new Option<double?>("--top-fraction") { Description = "top-k overlap: k = ceil(fraction x distinct words) (default 0.1)" }.Fraction();
        var erasure = new Option<string>("--erasure-removal") { Description = "how the erasure curves take tokens out: delete (re-encode without them, as ferret and ERASER) or unk (UNK in place)", DefaultValueFactory = _ => "delete" }.OneOf("delete", "unk");
        var chunk = new Option<int?>("--chunk") { Description = $"documents per resumable part file (default {d.ChunkSize})" }.Range(1, Opt.MaxChunk);
        var seed = new Option<ulong>("--seed") { Description = "seed of the document sample, LIME and the random baseline (default 0)" };
        var target = new Option<string?>("--target") { Description = "the class whose logit is explained and tested, a label or a class index that every model has (default: each model's last class, IMDB's pos; the theorems are left out for another class)" };
        var quick = new Option<bool>("--quick") { Description = $"smoke preset: tiny models (d 32) trained for one epoch on 1,000 reviews at L 48, {QuickDocs} documents, LIME {QuickExplainers.LimeSamples} samples, IG {QuickExplainers.IgSteps} steps (options still override)" };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var shard = Opt.ShardOption();
        var plain = new Option<bool>("--plain") { Description = "one progress line per update instead of a line rewritten in place (automatic when output is redirected)" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { outDir, data, docs, layers, noPaper, models, methods }.Concat(explainerOptions.All).Concat([topFraction, erasure, chunk, seed, target, quick, device, shard, plain, threads]))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var settings = Settings(r);
            Output.Folder(settings.OutputDirectory);
            CliRunner.ApplyThreads(r.GetValue(threads));
            bool inPlace = !r.GetValue(plain) && !Console.IsErrorRedirected;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            bool open = false;   // a progress line is being rewritten in place
            var study = new DepthStudy(settings, line =>
            {
                Console.Error.WriteLine($"{(open ? "\n" : "")}{DateTime.Now:HH:mm:ss} {line}");
                open = false;
            })
            {
                Progress = inPlace ? line => { Console.Error.Write($"\r{DateTime.Now:HH:mm:ss} {line}"); open = true; } : null,
            };
            var files = study.Run();
            string part = settings.Shard is { } sh ? $" (shard {sh}; `attnxai merge` of the {sh.Count} part folders writes the outputs)" : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"depth study: {settings.Models.Count} model(s), {settings.Docs} document(s){part}, {sw.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine("wrote:");
            foreach (var f in files) Console.WriteLine("  " + f);
            return 0;
        });
        return cmd;
    }

    /// <summary>The study's settings from a parsed command line, validated (no data read): the run's and, for `attnxai
    /// slurm` and `merge`, <see cref="CheckShard"/>'s.</summary>
    public static DepthSettings Settings(ParseResult r)
    {
        var d = new DepthSettings { OutputDirectory = "." };
        bool q = r.GetValue<bool>("--quick");
        var depths = Opt.Parse("--layers", () => ParseLayers(r.GetValue<string>("--layers")!));
        var reused = Opt.Parse("--model", () => ParseModels(r.GetValue<string[]>("--model") ?? []));
        var list = new List<DepthModel>();
        if (!r.GetValue<bool>("--no-paper")) list.Add(DepthModel.Paper());
        list.AddRange(depths.Select(n => DepthModel.Transformer(n)));
        foreach (var m in reused)
        {
            int i = list.FindIndex(x => x.Name == m.Name);
            if (i < 0 && m.Pretrained) { list.Add(m); continue; }
            if (i < 0) throw new UserError($"--model {m.Name}={m.Directory}: {m.Name} is not one of the study's models ({string.Join(", ", list.Select(x => x.Name))}); see --layers and --no-paper");
            list[i] = m;
        }
        if (list.Count == 0) throw new UserError("--no-paper and an empty --layers leave no model to study");
        var settings = new DepthSettings
        {
            OutputDirectory = r.GetValue<string>("--out")!,
            DataPath = r.GetValue<string?>("--data"),
            Models = list,
            Recipe = q ? DepthRecipe.Quick : new DepthRecipe(),
            Docs = r.GetValue<int?>("--docs") ?? (q ? QuickDocs : d.Docs),
            Seed = r.GetValue<ulong>("--seed"),
            Target = r.GetValue<string?>("--target") is { } t ? (t.Trim().Length > 0 ? t.Trim() : throw new UserError("--target is empty (give a label or a class index)")) : null,
            Methods = r.GetValue<string?>("--methods") is { } ms ? ms.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : DepthSettings.DefaultMethods,
            Explainers = ExplainerOptions.Read(r, q ? QuickExplainers : d.Explainers),
            TopFraction = r.GetValue<double?>("--top-fraction") ?? d.TopFraction,
            ErasureRemoval = Opt.Parse("--erasure-removal", () => RemovalNames.Parse(r.GetValue<string>("--erasure-removal")!)),
            ChunkSize = r.GetValue<int?>("--chunk") ?? d.ChunkSize,
            Device = r.GetValue<string?>("--device") is { } ds ? Opt.Parse("--device", () => Devices.Parse(ds)) : null,
            Shard = r.Shard(),
        };
        Opt.Parse("--methods", () => settings.Validate());   // its messages name their option; unnamed ones are the methods'
        return settings;
    }

    /// <summary>The --shard checks that need no data (before any work, and by `attnxai slurm`): every model reused, at
    /// most one shard per chunk of --docs.</summary>
    public static void CheckShard(ParseResult r)
    {
        if (r.Shard() is not null) Settings(r);
    }

    /// <summary>"1,2,4,6" (distinct positive whole numbers; empty: none).</summary>
    public static int[] ParseLayers(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var depths = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new UserError($"'{p}' is not a number of layers (a whole number of at least 1)");
            if (depths.Contains(n)) throw new UserError($"'{text}' names {n} twice");
            depths.Add(n);
        }
        return [.. depths];
    }

    /// <summary>NAME=DIR pairs; each name at most once.</summary>
    public static List<DepthModel> ParseModels(IEnumerable<string> values)
    {
        var result = new List<DepthModel>();
        foreach (var v in values)
        {
            int eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == v.Length - 1) throw new UserError($"'{v}' is not NAME=DIR (e.g. paper=runs/paper-model, transformer-2=runs/t2 or minilm-ft=runs/minilm-ft)");
            var m = DepthModel.Parse(v[..eq], v[(eq + 1)..]);
            if (result.Any(x => x.Name == m.Name)) throw new UserError($"{m.Name} is given twice");
            result.Add(m);
        }
        return result;
    }
}
