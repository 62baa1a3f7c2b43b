using AttnXai.Common;
using System.CommandLine;
using System.Globalization;
using AttnXai.Common.IO;
using AttnXai.Data.Labelled;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai predict`: the logits and the predicted class (with its label) of one text or of every text of a file.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var cmd = new Command("predict", "The logits and predicted class of one text (--text) or of every text of a file (--file: CSV/TSV/JSONL text column, or .txt one per line)");
        var model = new Option<string>("--model") { Description = "model folder written by attnxai train", Required = true };
        var text = new Option<string?>("--text") { Description = "the text to classify" };
        var file = new Option<string?>("--file") { Description = "classify every text of a file: a CSV/TSV/JSONL file (its text column; a label column, when present, is copied as given_label) or a .txt file (one text per line)" };
        var output = new Option<string?>("--out") { Description = "--file: write the predictions (CSV) to this file instead of standard output" };
        var dataArgs = new DataArgs("", "");
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, text, file, output, threads }.Concat(dataArgs.All(data: false, labels: false))) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var t = r.GetValue(text);
            var f = r.GetValue(file);
            if ((t is null) == (f is null)) throw new UserError("give --text or --file (one of them)");
            if (t is not null && string.IsNullOrWhiteSpace(t)) throw new UserError("--text is empty");
            if (r.GetValue(output) is not null && f is null) throw new UserError("--out goes with --file (--text prints its prediction)");
            var outPath = r.GetValue(output) is { } o ? Output.File(o) : null;
            CliRunner.ApplyThreads(r.GetValue(threads));
            using var loaded = ModelCheckpoint.Load(r.GetValue(model)!);
            var inv = CultureInfo.InvariantCulture;
            if (t is not null)
            {
                var p = Predict(loaded, t);
                Console.WriteLine(string.Create(inv, $"words: {p.Words}{(p.Truncated ? $" (truncated to {loaded.Model.Inputs.Length - 1})" : "")}, unknown: {p.Unknown}"));
                for (int c = 0; c < p.Logits.Length; c++)
                    Console.WriteLine(string.Create(inv, $"logit {loaded.Labels.ClassNames[c]}: {p.Logits[c]:F6}"));
                Console.WriteLine($"class: {p.Class} ({loaded.Labels.ClassNames[p.Class]})");
                return 0;
            }
            var texts = LabelledTextLoader.LoadTexts(f!, dataArgs.Build(r, ModelData.RecordedFileOptions(loaded)));
            bool labelled = texts.Any(x => x.Label is not null);
            var header = new List<string> { "line", "class", "label" };
            header.AddRange(loaded.Labels.ClassNames.Select(n => "logit_" + n));
            header.AddRange(["words", "unknown", "truncated"]);
            if (labelled) header.Add("given_label");
            var table = new CsvTable([.. header]);
            int skipped = 0;
            foreach (var x in texts)
            {
                Prediction p;
                try { p = Predict(loaded, x.Text); }
                catch (Exception e) when (e is ArgumentException or UserError) { skipped++; Console.Error.WriteLine($"{f}: line {x.Line} skipped: {e.Message}"); continue; }
                var row = new List<object?> { x.Line, p.Class, loaded.Labels.ClassNames[p.Class] };
                row.AddRange(p.Logits.Select(v => (object?)v));
                row.AddRange([p.Words, p.Unknown, p.Truncated ? "yes" : "no"]);
                if (labelled) row.Add(x.Label ?? "");
                table.Add([.. row]);
            }
            if (table.Rows.Count == 0) throw new InvalidDataException($"{f}: no text to classify ({texts.Count} read, {skipped} skipped)");
            if (outPath is not null)
            {
                table.Write(outPath);
                Console.Error.WriteLine($"{table.Rows.Count} prediction(s) written to {outPath}{(skipped > 0 ? $"; {skipped} line(s) skipped" : "")}");
            }
            else Console.Write(table.ToString());
            return 0;
        });
        return cmd;
    }

    public sealed record Prediction(double[] Logits, int Class, int Words, int Unknown, bool Truncated);

    /// <summary>Encodes and classifies one text; an empty or all-unknown text is a UserError.</summary>
    public static Prediction Predict(LoadedModel loaded, string text)
    {
        var enc = loaded.Encoder.Encode(text);
        if (enc.IsEmpty) throw new UserError($"the text has no words for the '{loaded.TokenizerName}' tokenizer");
        if (enc.AllUnknown) throw new UserError($"none of the {enc.WordCount} words of the text is in the model's vocabulary");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var dev = loaded.Model.Device;
        var ids = torch.tensor(enc.Ids, [1, enc.Ids.Length], device: dev);
        var mask = enc.Mask is { } m && loaded.Model.Inputs.PaddingMask ? torch.tensor(m, [1, m.Length], device: dev) : null;
        var logits = loaded.Model.LogitsOfIds(ids, mask).ToArray<double>();
        if (logits.Any(v => !double.IsFinite(v)))
            throw new InvalidDataException($"{loaded.Directory}: the model's logits are not finite ({string.Join(", ", logits)})");
        int best = 0;
        for (int c = 1; c < logits.Length; c++) if (logits[c] > logits[best]) best = c;
        return new Prediction(logits, best, enc.WordCount, enc.UnknownCount, enc.Truncated);
    }
}
