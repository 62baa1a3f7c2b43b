using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai eval`: accuracy of a trained model on an IMDB split or on a labelled CSV/TSV/JSONL file.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("eval", "Accuracy of a trained model on an IMDB split (test, val, train) or a labelled CSV/TSV/JSONL file");
        var model = new Option<string>("--model") { Description = "model folder written by attnxai train", Required = true };
        var data = new Option<string?>("--data") { Description = "IMDB folder or archive (default: $ATTNXAI_DATA, the cache, then ../shared/data)" };
        var split = new Option<string>("--split") { Description = "test, val or train (val/train: the model's own train/validation split)", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val", "train");
        var file = new Option<string?>("--file") { Description = "evaluate on a labelled CSV/TSV/JSONL file instead (labels 0/1, columns 'text' and 'label')" };
        var textColumn = new Option<string>("--text-column") { Description = "--file: the text column", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "--file: the label column", DefaultValueFactory = _ => "label" };
        var max = new Option<int?>("--max") { Description = "evaluate a seeded subsample of N texts" };
        var batch = new Option<int>("--batch-size") { Description = "evaluation batch size", DefaultValueFactory = _ => 256 };
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var output = new Option<string?>("--out") { Description = "also write the result as JSON to this file (nothing is written otherwise)" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, data, split, file, textColumn, labelColumn, max, batch, device, output, threads }) cmd.Options.Add(o);
        cmd.SetAction(ModelCommandErrors.Guard(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            var dev = r.GetValue(device) is { } ds ? new Device(ds) : null;
            using var loaded = ModelCheckpoint.Load(r.GetValue(model)!, dev);
            EncodedDataset set;
            string what;
            if (r.GetValue(file) is { } f)
            {
                LabelledTextSet texts;
                try { texts = LabelledTextLoader.Load(f, new LabelledTextOptions { TextColumn = r.GetValue(textColumn)!, LabelColumn = r.GetValue(labelColumn)! }); }
                catch (DataException e) { throw new InvalidDataException(e.Message, e); }
                if (texts.Items.Count == 0) throw new InvalidDataException($"{f}: no texts");
                var bad = texts.Items.FirstOrDefault(i => i.Label >= loaded.Config.Classes);
                if (bad is not null) throw new InvalidDataException($"{f}: line {bad.Line}: class {bad.Label} but the model has {loaded.Config.Classes} classes");
                set = texts.Encode(loaded.Encoder);
                what = f;
            }
            else
            {
                var source = ImdbDataLoader.Locate(r.GetValue(data));
                var reviews = ImdbDataLoader.Read(source);
                var settings = loaded.Json["training"]?["data"] as JsonObject;
                var options = new ImdbDataOptions
                {
                    Tokenizer = loaded.Tokenizer.Name,
                    Length = loaded.Config.Length,
                    IncludeMask = loaded.Config.PaddingMask,
                    ValidationCount = settings?["validation_count"]?.GetValue<int>() ?? 5000,
                    SplitSeed = settings?["split_seed"]?.GetValue<ulong>() ?? 42,
                };
                var prepared = ImdbDataLoader.Prepare(reviews, options, loaded.Vocabulary);
                var name = r.GetValue(split)!;
                set = name switch { "train" => prepared.Train, "val" => prepared.Validation, _ => prepared.Test };
                what = $"IMDB {name} split ({source})";
            }
            if (r.GetValue(max) is { } m)
                set = set.Subset(ImdbDataLoader.Subsample(Enumerable.Range(0, set.Count).ToArray(), m, 42, 104));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = Evaluation.Evaluate(loaded.Model, set, r.GetValue(batch));
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"model: {loaded.Directory}");
            Console.WriteLine($"data: {what}");
            Console.WriteLine(string.Create(inv, $"accuracy {result.Accuracy:P2} ({result.Correct}/{result.Count}), loss {result.Loss:F4}, {sw.Elapsed.TotalSeconds:F1} s"));
            if (r.GetValue(output) is { } outPath)
            {
                var json = new JsonObject
                {
                    ["model"] = loaded.Directory,
                    ["data"] = what,
                    ["accuracy"] = result.Accuracy,
                    ["correct"] = result.Correct,
                    ["count"] = result.Count,
                    ["loss"] = result.Loss,
                };
                AtomicFile.WriteAllText(outPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }
            return 0;
        }));
        return cmd;
    }
}
