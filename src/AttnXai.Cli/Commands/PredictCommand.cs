using System.CommandLine;
using System.Globalization;
using AttnXai.Model;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Cli.Commands;

/// <summary>`attnxai predict`: both logits and the predicted class of one text.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var cmd = new Command("predict", "Both logits and the predicted class of one text");
        var model = new Option<string>("--model") { Description = "model folder written by attnxai train", Required = true };
        var text = new Option<string>("--text") { Description = "the text to classify", Required = true };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { model, text, threads }) cmd.Options.Add(o);
        cmd.SetAction(ModelCommandErrors.Guard(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            var t = r.GetValue(text) ?? "";
            if (string.IsNullOrWhiteSpace(t)) throw new ArgumentException("the text is empty");
            using var loaded = ModelCheckpoint.Load(r.GetValue(model)!);
            var p = Predict(loaded, t);
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"words: {p.Words}{(p.Truncated ? $" (truncated to {loaded.Config.Length - 1})" : "")}, unknown: {p.Unknown}"));
            for (int c = 0; c < p.Logits.Length; c++)
                Console.WriteLine(string.Create(inv, $"logit {ClassName(c, p.Logits.Length)}: {p.Logits[c]:F6}"));
            Console.WriteLine($"class: {p.Class} ({ClassName(p.Class, p.Logits.Length)})");
            return 0;
        }));
        return cmd;
    }

    public static string ClassName(int c, int classes) => classes == 2 ? (c == 1 ? "positive" : "negative") : c.ToString(CultureInfo.InvariantCulture);

    public sealed record Prediction(double[] Logits, int Class, int Words, int Unknown, bool Truncated);

    /// <summary>Encodes and classifies one text; an empty or all-unknown text is an ArgumentException.</summary>
    public static Prediction Predict(LoadedModel loaded, string text)
    {
        var enc = loaded.Encoder.Encode(text);
        if (enc.IsEmpty) throw new ArgumentException($"the text has no words for the '{loaded.Tokenizer.Name}' tokenizer");
        if (enc.AllUnknown) throw new ArgumentException($"none of the {enc.WordCount} words of the text is in the model's vocabulary");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var dev = loaded.Model.Device;
        var ids = torch.tensor(enc.Ids, [1, enc.Ids.Length], device: dev);
        var mask = enc.Mask is { } m && loaded.Config.PaddingMask ? torch.tensor(m, [1, m.Length], device: dev) : null;
        var logits = loaded.Model.Forward(ids, mask).Logits.ToArray<double>();
        int best = 0;
        for (int c = 1; c < logits.Length; c++) if (logits[c] > logits[best]) best = c;
        return new Prediction(logits, best, enc.WordCount, enc.UnknownCount, enc.Truncated);
    }
}
