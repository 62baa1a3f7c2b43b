using System.Text;

namespace AttnXai.Tests.Shared;

/// <summary>
/// A complete 1-layer BERT encoder folder for tests that run the program (d 8, 2 heads, d_ff 6, 16 positions, a
/// vocabulary of 20: [PAD] [UNK] [CLS] [SEP] [MASK] w0..w14) with small deterministic weights; its safetensors file is
/// written here byte by byte (an 8-byte header length, the JSON header, then little-endian float32 data). Linked into
/// the test projects that need it (they do not reference the model library).
/// </summary>
public static class TinyBertFolder
{
    public const string ConfigBody = "\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 6, \"max_position_embeddings\": 16";

    public static readonly string[] Vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, 15).Select(i => "w" + i)];

    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{" + ConfigBody + ", \"vocab_size\": 20, \"type_vocab_size\": 2}\n");
        File.WriteAllText(Path.Combine(dir, "vocab.txt"), string.Join("\n", Vocabulary) + "\n");
        var shapes = new List<(string Name, int[] Shape)>
        {
            ("embeddings.word_embeddings.weight", [20, 8]), ("embeddings.position_embeddings.weight", [16, 8]), ("embeddings.token_type_embeddings.weight", [2, 8]),
            ("embeddings.LayerNorm.weight", [8]), ("embeddings.LayerNorm.bias", [8]),
        };
        foreach (var (part, rows, cols) in new[] { ("attention.self.query", 8, 8), ("attention.self.key", 8, 8), ("attention.self.value", 8, 8), ("attention.output.dense", 8, 8), ("intermediate.dense", 6, 8), ("output.dense", 8, 6) })
        {
            shapes.Add(($"encoder.layer.0.{part}.weight", [rows, cols]));
            shapes.Add(($"encoder.layer.0.{part}.bias", [rows]));
        }
        foreach (var norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
        {
            shapes.Add(($"encoder.layer.0.{norm}.weight", [8]));
            shapes.Add(($"encoder.layer.0.{norm}.bias", [8]));
        }
        var header = new StringBuilder("{");
        long offset = 0;
        var data = new List<byte>();
        int k = 0;
        foreach (var (name, shape) in shapes)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            for (int i = 0; i < n; i++, k++)
            {
                float v = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) ? 1f : (float)(0.3 * Math.Sin(0.7 * k + 1));
                data.AddRange(BitConverter.GetBytes(v));
            }
            header.Append($"{(header.Length > 1 ? "," : "")}\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + 4L * n}]}}");
            offset += 4L * n;
        }
        header.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), [.. BitConverter.GetBytes((ulong)headerBytes.Length), .. headerBytes, .. data]);
    }
}
