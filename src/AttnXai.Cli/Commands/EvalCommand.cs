using AttnXai.Common;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Model;
using AttnXai.Engine;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai eval`: accuracy of a trained model on a part (test, val, train) of its data or of other data split the
/// same way, or on the whole of a labelled file. Labels map to classes through the model's labels (or --labels).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("eval", "Accuracy of a trained model on a part (test, val, train) of its data or other data, or on a whole labelled CSV/TSV/JSONL file");
        var model = new Option<string>("--model") { Description = "model folder written by attnxai train", Required = true };
        var dataArgs = new DataArgs("the data the model was trained on", DataArgs.ModelLabelsHelp);
        var split = new Option<string>("--split") { Description = "test, val or train: the part of --data, split as training split it", DefaultValueFactory = _ => "test" }.OneOf([.. ModelData.PartNames]);
        var file = new Option<string?>("--file") { Description = "evaluate on the whole of a labelled CSV/TSV/JSONL file instead (columns and labels as for --data)" };
        var max = new Option<int?>("--max") { Description = "evaluate a seeded subsample of N texts" }.Range(1, Opt.MaxDocuments);
        var batch = new Option<int>("--batch-size") { Description = "evaluation batch size", DefaultValueFactory = _ => 256 }.Range(1, Opt.MaxBatch);
        var device = new Option<string?>("--device") { Description = "cpu (default) or cuda[:N]" };
        var output = new Option<string?>("--out") { Description = "also write the result as JSON to this file (nothing is written otherwise)" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, split, file, max, batch, device, output, threads }.Concat(dataArgs.All())) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(file) is not null && (r.Given(dataArgs.Data) || r.Given(split)))
                throw new UserError("give --file (a whole file) or --data/--split (a part of the data), not both");
            var outPath = r.GetValue(output) is { } o ? Output.File(o) : null;
            var dev = r.GetValue(device) is { } ds ? Devices.Parse(ds) : null;
            CliRunner.ApplyThreads(r.GetValue(threads));
            using var loaded = ModelCheckpoint.Load(r.GetValue(model)!, dev);
            EncodedDataset set;
            string what;
            var fileOptions = dataArgs.Build(r, r.GetValue(file) is null ? ModelData.RecordedFileOptions(loaded) : null);
            var labels = fileOptions.Labels ?? loaded.Labels;
            if (labels.Count != loaded.Model.Classes)
                throw new UserError($"--labels names {labels.Count} labels but the model has {loaded.Model.Classes} classes ({loaded.Labels.Describe()})");
            if (r.GetValue(file) is { } f)
            {
                var texts = LabelledTextLoader.Load(f, fileOptions with
                {
                    Labels = labels,
                    LabelsOrigin = fileOptions.Labels is null ? "the model's labels" : "--labels",
                    LabelsHint = fileOptions.Labels is null ? ModelData.LabelsHint : null,
                });
                if (texts.Items.Count == 0) throw new InvalidDataException($"{f}: the file holds no labelled text");
                set = texts.Encode(loaded.Encoder);
                what = f;
            }
            else
            {
                var name = r.GetValue(split)!;
                var (source, docs) = ModelData.ReadPart(loaded, r.GetValue(dataArgs.Data), fileOptions, name);
                set = loaded.Encoder.EncodeAll(docs.Select(d => d.Text).ToArray(), docs.Select(d => (long)d.Label).ToArray());
                what = $"{name} part of {source.Description}";
            }
            if (r.GetValue(max) is { } m)
                set = set.Subset(DataPreparation.Subsample(Enumerable.Range(0, set.Count).ToArray(), m, 42, 104));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = Evaluation.Evaluate(loaded.Model, set, r.GetValue(batch));
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"model: {loaded.Directory}");
            Console.WriteLine($"data: {what}");
            Console.WriteLine($"labels: {labels.Describe()}{(fileOptions.Labels is null ? " (the model's)" : " (--labels)")}");
            var counts = Enumerable.Range(0, labels.Count).Select(c => $"{labels.ClassNames[c]} {set.Labels.Count(l => l == c)}");
            Console.WriteLine($"texts: {set.Count} ({string.Join(", ", counts)})");
            Console.WriteLine(string.Create(inv, $"accuracy {result.Accuracy:P2} ({result.Correct}/{result.Count}), loss {result.Loss:F4}, {sw.Elapsed.TotalSeconds:F1} s"));
            if (outPath is not null)
            {
                var json = new JsonObject
                {
                    ["model"] = loaded.Directory,
                    ["data"] = what,
                    ["labels"] = new JsonArray(labels.ClassNames.Select(n => (JsonNode)n).ToArray()),
                    ["accuracy"] = result.Accuracy,
                    ["correct"] = result.Correct,
                    ["count"] = result.Count,
                    ["loss"] = double.IsFinite(result.Loss) ? result.Loss : null,
                };
                AtomicFile.WriteAllText(outPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }
            return 0;
        });
        return cmd;
    }
}
