using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using AttnXai.Common.Sharding;

namespace AttnXai.Cli.Tests;

/// <summary>
/// What the command-line tests run on, made once: a small labelled CSV of two classes (neg/pos words among fillers, and
/// a word of its own at the end of each text), a
/// tiny model trained on it by `attnxai train` itself (d_e 8, K 2, L 24, two epochs: a few seconds), the same model
/// with a NaN weight, an incomplete model folder, a tiny aclImdb folder, and assorted bad files.
/// </summary>
public sealed class CliFixture : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "attnxai-cli-tests-" + Guid.NewGuid().ToString("N"));

    public string Data => Path.Combine(Root, "reviews.csv");
    public string Model => Path.Combine(Root, "model");
    public string NanModel => Path.Combine(Root, "model-nan");
    public string Incomplete => Path.Combine(Root, "model-incomplete");
    /// <summary>The trained model with one bit of its weights file flipped (still finite, still parses).</summary>
    public string Altered => Path.Combine(Root, "model-altered");
    public string Imdb => Path.Combine(Root, "aclImdb");
    public string AFile => Path.Combine(Root, "a-file.txt");
    public string TrainOutput { get; }

    /// <summary>The tiny training recipe every test uses.</summary>
    public static readonly string[] TinyRecipe = ["--embed-dim", "8", "--att-dim", "4", "--out-dim", "4", "--heads", "2", "--length", "24", "--epochs", "2", "--lr", "0.01", "--plain"];

    public static readonly string[] Positive = ["good", "great", "fine", "lovely", "superb", "nice"];
    public static readonly string[] Negative = ["bad", "awful", "poor", "boring", "dull", "worse"];
    private static readonly string[] Fillers = ["the", "film", "movie", "a", "was", "plot", "actor", "and", "it", "is"];

    public CliFixture()
    {
        Directory.CreateDirectory(Root);
        var rng = new Random(1);
        var sb = new StringBuilder("text,label\n");
        for (int i = 0; i < 200; i++)
        {
            bool pos = i % 2 == 1;
            var words = Enumerable.Range(0, rng.Next(5, 15)).Select(_ => Fillers[rng.Next(Fillers.Length)])
                .Concat(Enumerable.Range(0, 2).Select(_ => (pos ? Positive : Negative)[rng.Next(6)])).OrderBy(_ => rng.Next())
                .Append($"id{i}").ToList(); // a word of this text only: tells which texts the vocabulary saw
            sb.Append('"').Append(string.Join(' ', words)).Append("\",").Append(pos ? "pos" : "neg").Append('\n');
        }
        File.WriteAllText(Data, sb.ToString());
        File.WriteAllText(AFile, "not a folder\n");

        var train = Cli.Run(Root, ["train", "--data", Data, "--labels", "neg,pos", "--out", Model, .. TinyRecipe]);
        if (train.ExitCode != 0) throw new InvalidOperationException("the fixture's training failed:\n" + train);
        TrainOutput = train.Stdout;

        CopyFolder(Model, NanModel);
        PoisonWeight(Path.Combine(NanModel, "model.safetensors"), "W_v");
        CopyFolder(Model, Altered);
        var weights = File.ReadAllBytes(Path.Combine(Altered, "model.safetensors"));
        weights[^4] ^= 1;   // the lowest mantissa bit of the last float32
        File.WriteAllBytes(Path.Combine(Altered, "model.safetensors"), weights);
        CopyFolder(Model, Path.Combine(Root, "model-bad-json"));
        File.WriteAllText(Path.Combine(Root, "model-bad-json", "config.json"), "{\n  \"format\": \"attnxai.attention-classifier\",\n  oops\n}\n");
        CopyFolder(Model, Incomplete);
        File.Delete(Path.Combine(Incomplete, "config.json"));

        // Hugging Face folders that fail before any weight is read.
        const string bert = "\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 6, \"max_position_embeddings\": 16";
        var vocab = string.Join("\n", new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0, 15).Select(i => "w" + i))) + "\n";
        Write("hf-no-weights/config.json", "{" + bert + ", \"vocab_size\": 20}\n");
        Write("hf-no-weights/vocab.txt", vocab);
        Write("hf-unknown-type/config.json", "{\"model_type\": \"gpt2\", \"vocab_size\": 20}\n");
        Write("hf-vocab-too-big/config.json", "{" + bert + ", \"vocab_size\": 10}\n");
        Write("hf-vocab-too-big/vocab.txt", vocab);
        Write("hf-no-vocab/config.json", "{" + bert + ", \"vocab_size\": 20}\n");
        AttnXai.Tests.Shared.TinyBertFolder.Write(Path.Combine(Root, "hf-tiny"));
        Write("all-positive.csv", "text,label\na good film,positive\ngreat,positive\n");
        Write("latin1.csv", [.. Encoding.ASCII.GetBytes("text,label\ncaf"), 0xE9, .. Encoding.ASCII.GetBytes(",pos\n")]);
        Write("bad-quote.tsv", "text\tlabel\n\"quoted\" start and a lone \" here\tpos\nplain\tneg\n");
        Write("one-label.csv", "text,label\ngood,pos\ngreat,pos\n");
        Write("masks-wrong.txt", "1111\n0101\n1010\n");
        Write("masks-bad.txt", "11\n0x\n");
        Write("unknown.dat", "x\n");
        Write("bad.jsonl", "{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": oops}\n");
        Write("fake.tar.gz", "not an archive\n");
        Directory.CreateDirectory(Path.Combine(Root, "empty-folder"));
        // A reproduction folder whose model stage was computed with another model.
        var run = Path.Combine(Root, "run", ".stages");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "model.json"),
            "{\"Name\": \"model\", \"Seconds\": 1, \"Files\": [], \"Findings\": [], \"Values\": {}, \"Skipped\": false, \"Settings\": {\"model\": \"reused from /elsewhere/model\"}}");

        // Part folders of sharded runs (their shard.json alone: a merge checks them before reading any part file):
        // shards 1/2 and 2/2 of one faithfulness run, a copy of 2/2, and a 2/2 computed with another model.
        WriteShard("parts/one-of-two", 1, "sha256:aaaa");
        WriteShard("parts/two-of-two", 2, "sha256:aaaa");
        WriteShard("parts/two-of-two-copy", 2, "sha256:aaaa");
        WriteShard("parts/two-of-two-other-model", 2, "sha256:bbbb");

        foreach (var (name, text) in new[] { ("train/pos/1_9.txt", "a good film"), ("train/neg/1_1.txt", "a bad film"), ("test/pos/2_8.txt", "great"), ("test/neg/2_2.txt", "awful") })
        {
            foreach (var root in new[] { Imdb, Path.Combine(Root, "aclImdb-incomplete") })
            {
                if (root != Imdb && name.StartsWith("test/neg", StringComparison.Ordinal)) continue;   // a copy without test/neg
                var path = Path.Combine(root, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, text);
            }
        }
    }

    private void WriteShard(string folder, int shard, string fingerprint)
    {
        var dir = Path.Combine(Root, folder);
        Directory.CreateDirectory(dir);
        var slice = new ShardSpec(shard, 2).Slice(20, 5);
        new ShardManifest
        {
            Study = "faithfulness", Shard = shard, Shards = 2, Documents = 20, ChunkSize = 5, First = slice.Start.Value, End = slice.End.Value,
            Model = Path.Combine(Root, "a-model"), ModelFingerprint = fingerprint, Settings = new() { ["seed"] = "0" }, Files = [],
        }.Write(dir);
    }

    /// <summary>A path under the root that does not exist yet (an --out of one test).</summary>
    public string Fresh(string name) => Path.Combine(Root, "out-" + name);

    /// <summary>Writes a file under the root and returns its path.</summary>
    public string Write(string name, string text) { var p = Path.Combine(Root, name); Directory.CreateDirectory(Path.GetDirectoryName(p)!); File.WriteAllText(p, text); return p; }
    public string Write(string name, byte[] bytes) { var p = Path.Combine(Root, name); File.WriteAllBytes(p, bytes); return p; }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    /// <summary>Sets the first float32 of a tensor in a safetensors file to NaN (the format: 8-byte header length, JSON header, data).</summary>
    public static void PoisonWeight(string path, string tensor)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!;
        long offset = header[tensor]!["data_offsets"]![0]!.GetValue<long>();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)(8 + n + offset)), float.NaN);
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
