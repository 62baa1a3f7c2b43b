using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AttnXai.Data.Imdb;
using AttnXai.Data.Pretrained;
using AttnXai.Data.Text.WordPiece;
using AttnXai.Engine;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;
using AttnXai.Model;
using AttnXai.Model.Pretrained;
using AttnXai.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using AttnXai.Explain.Perturbation;

namespace AttnXai.Cli.Commands;

/// <summary>
/// `attnxai bench pretrained`: AttnXai's BERT encoder (TorchSharp) against ONNX Runtime running the same
/// all-MiniLM-L6-v2 ONNX file, with the same threads, on the same token ids (IMDB test reviews through the WordPiece
/// tokenizer, or a fixed sentence repeated when the data is absent), in alternation: documents per second of the last
/// hidden state at 128 and 256 tokens, batches of 1 and 32, and their ratio; where AttnXai's time goes (embeddings, each
/// layer, per one batch); and one LIME explanation (1,000 samples, delete) of a 128-token review through the batched
/// forward.
/// </summary>
public static class PretrainedBench
{
    public static Command Create()
    {
        var cmd = new Command("pretrained", "AttnXai's BERT encoder against ONNX Runtime on all-MiniLM-L6-v2 (documents/s, ratio, per-layer time, one LIME explanation)");
        var repeats = new Option<int>("--repeats") { Description = "timed passes per engine and setting (median reported), 1 to 1000", DefaultValueFactory = _ => 5 }.Between(1, 1000);
        var data = new Option<string?>("--data") { Description = "IMDB (folder or archive; default ../shared/data when present)" };
        var skipLime = new Option<bool>("--skip-lime") { Description = "leave out the LIME explanation" };
        var threads = CliRunner.ThreadsOption();
        foreach (var o in new Option[] { repeats, data, skipLime, threads }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CliRunner.ApplyThreads(r.GetValue(threads));
            Run(r.GetValue(repeats), r.GetValue(data), r.GetValue(skipLime));
            return 0;
        });
        return cmd;
    }

    private static void Run(int repeats, string? dataPath, bool skipLime)
    {
        var inv = CultureInfo.InvariantCulture;
        int threads = torch.get_num_threads();
        Console.WriteLine(CpuInfo.Describe());
        var checkpoint = MiniLmCheckpoint.Ensure();
        var tokenizer = BertWordPieceTokenizer.FromCheckpoint(checkpoint);
        var texts = Texts(dataPath);
        Console.WriteLine(string.Create(inv, $"model: all-MiniLM-L6-v2 ({checkpoint}), {threads} threads for both engines; {texts.Count} texts; median of {repeats} passes"));
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(MiniLmPackage.OnnxPath(), options);
        Console.WriteLine("| tokens | batch | AttnXai docs/s | ONNX Runtime docs/s | ONNX Runtime / AttnXai | largest difference |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (int length in new[] { 128, 256 })
        {
            var (model, _, _, _) = PretrainedModel.FromEncoder(checkpoint, BertHead.Mean, 2, length, seed: 1);
            using var _m = model;
            // Documents that fill the length (the reviews' first `length` tokens), so both engines do the same work.
            var rows = texts.Select(t => tokenizer.EncodeWithSpecials(t, length)).Where(r => r.Length == length).Take(32).ToList();
            if (rows.Count < 32) rows = [.. Enumerable.Range(0, 32).Select(i => rows.Count > 0 ? rows[i % rows.Count] : Filler(tokenizer, length))];
            foreach (int batch in new[] { 1, 32 })
            {
                var ids = rows.Take(batch).SelectMany(x => x).ToArray();
                var ours = new List<double>();
                var theirs = new List<double>();
                float[] a = [], b = [];
                for (int k = 0; k < repeats + 1; k++)
                {
                    // Alternate which engine runs first; the first round warms both up and is not counted.
                    double ta, tb;
                    if (k % 2 == 0) { ta = Time(() => a = Ours(model, ids, batch, length)); tb = Time(() => b = Theirs(session, ids, batch, length)); }
                    else { tb = Time(() => b = Theirs(session, ids, batch, length)); ta = Time(() => a = Ours(model, ids, batch, length)); }
                    if (k > 0) { ours.Add(ta); theirs.Add(tb); }
                }
                double diff = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
                double ra = batch / Median(ours), rb = batch / Median(theirs);
                Console.WriteLine(string.Create(inv, $"| {length} | {batch} | {ra:F1} | {rb:F1} | {rb / ra:F2} | {diff:G2} |"));
            }
            if (length == 128) Layers(model, rows, length, repeats);
        }
        if (!skipLime) Lime(checkpoint, texts, tokenizer);
    }

    /// <summary>Where AttnXai's time goes for one batch of 32 at 128 tokens: the embeddings (with LN_emb) and each layer.</summary>
    private static void Layers(BertClassifier model, List<long[]> rows, int length, int repeats)
    {
        var inv = CultureInfo.InvariantCulture;
        var ids = rows.Take(32).SelectMany(x => x).ToArray();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var idT = torch.tensor(ids, [32, length]);
        var mask = torch.ones([32, length], ScalarType.Bool);
        var times = new List<double>[model.Layers + 2];
        for (int i = 0; i < times.Length; i++) times[i] = [];
        for (int k = 0; k < repeats + 1; k++)
        {
            using var inner = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var e = ((ITextClassifier)model).Embed(idT);
            var x = torch.nn.functional.layer_norm(e, [e.shape[2]], model.EmbeddingNorm.weight, model.EmbeddingNorm.bias, model.Architecture.Config.LayerNormEps);
            _ = x.sum().ToDouble();
            double last = clock.Elapsed.TotalMilliseconds;
            if (k > 0) times[0].Add(last);
            var padding = mask.logical_not().view(32, 1, 1, length);
            for (int l = 0; l < model.Layers; l++)
            {
                x = model.LayerAt(l).Forward(x, x, padding, model.Architecture.Config, training: false, maps: false)!.Value.Output;
                _ = x.sum().ToDouble();
                double now = clock.Elapsed.TotalMilliseconds;
                if (k > 0) times[l + 1].Add(now - last);
                last = now;
            }
            if (k > 0) times[^1].Add(last);
        }
        var perLayer = string.Join(", ", Enumerable.Range(1, model.Layers).Select(l => string.Create(inv, $"layer {l} {Median(times[l]):F1}")));
        Console.WriteLine(string.Create(inv, $"AttnXai, one batch of 32 x {length} tokens (median ms): embeddings {Median(times[0]):F1}, {perLayer}; whole {Median(times[^1]):F1}"));
    }

    /// <summary>One LIME explanation (1,000 samples, one run, delete) of a 128-token review, through the batched forward
    /// (batches cut to their longest perturbed document).</summary>
    private static void Lime(string checkpoint, List<string> texts, BertWordPieceTokenizer tokenizer)
    {
        var inv = CultureInfo.InvariantCulture;
        var (model, _, _, _) = PretrainedModel.FromEncoder(checkpoint, BertHead.Mean, 2, 128, seed: 1);
        using var _m = model;
        var target = new ExplainTarget(model, tokenizer, batchSize: 64);
        var text = texts.FirstOrDefault(t => tokenizer.EncodeWithSpecials(t, 1000).Length is >= 128 and < 200) ?? texts[0];
        var doc = target.Prepare(text);
        var lime = ExplainerRegistry.Create(["lime-delete"], new ExplainerSettings { LimeSamples = 1000, LimeRuns = 1 })[0];
        var clock = Stopwatch.StartNew();
        lime.Explain(target, [doc]);
        Console.WriteLine(string.Create(inv,
            $"LIME, 1,000 samples, delete, one {doc.TokenCount}-token review ({doc.WordCount} distinct words): {clock.Elapsed.TotalSeconds:F1} s ({1000 / clock.Elapsed.TotalSeconds:F0} perturbed documents/s)"));
    }

    private static float[] Ours(BertClassifier model, long[] ids, int batch, int length)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var mask = torch.ones([batch, length], ScalarType.Bool);
        return model.Encode(((ITextClassifier)model).Embed(torch.tensor(ids, [batch, length])), mask).ToArray<float>();
    }

    private static float[] Theirs(InferenceSession session, long[] ids, int batch, int length)
    {
        int[] dims = [batch, length];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], dims)),
        ], ["last_hidden_state"]);
        return results.First().AsTensor<float>().ToArray();
    }

    private static List<string> Texts(string? dataPath)
    {
        var path = dataPath ?? AttnXai.Common.IO.RepoPaths.SharedImdbArchive();
        if (path is null) return ["the film was a delight from the first scene to the last and the acting was superb ."];
        var location = DataLocator.Probe(path, DataOrigin.Explicit) ?? throw new FileNotFoundException($"--data: no IMDB data at {Path.GetFullPath(path)}", path);
        return [.. ImdbReader.Read(location.Path).Test.Where((_, i) => i % 250 == 0).Select(r => r.Text)];
    }

    private static long[] Filler(BertWordPieceTokenizer tokenizer, int length) =>
        tokenizer.EncodeWithSpecials(string.Join(' ', Enumerable.Repeat("the film was a delight", length)), length);

    private static double Time(Action a)
    {
        var clock = Stopwatch.StartNew();
        a();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
