using AttnXai.Data.Batching;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;
using Voc = AttnXai.Data.Text.Vocabulary;

namespace AttnXai.Shortcuts.Tests;

/// <summary>Small vocabularies, datasets and models for the tests.</summary>
internal static class Tiny
{
    /// <summary>"[cls]", "UNK", "w2" .. "w{n-1}".</summary>
    public static Vocabulary Vocabulary(int n) =>
        Voc.FromTokens(new[] { Voc.ClsToken, Voc.UnkToken }.Concat(Enumerable.Range(2, n - 2).Select(i => $"w{i}")));

    /// <summary>A dataset from word-id lists ([CLS] first, UNK padding to <paramref name="length"/>, words beyond
    /// length - 1 dropped and marked truncated), with a mask when asked.</summary>
    public static EncodedDataset Data(int length, IReadOnlyList<long[]> words, long[]? labels = null, bool mask = false)
    {
        int n = words.Count;
        var ids = new long[n * length];
        var m = mask ? new bool[n * length] : null;
        var counts = new int[n];
        var unknown = new int[n];
        var truncated = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int w = Math.Min(words[i].Length, length - 1);
            ids[i * length] = Voc.ClsId;
            for (int t = 0; t < length - 1; t++) ids[i * length + 1 + t] = t < w ? words[i][t] : Voc.UnkId;
            if (m is not null) for (int t = 0; t <= w; t++) m[i * length + t] = true;
            counts[i] = w;
            unknown[i] = words[i].Take(w).Count(x => x == Voc.UnkId);
            truncated[i] = words[i].Length > w;
        }
        return new EncodedDataset(ids, labels ?? new long[n], length, m, counts, unknown, truncated);
    }

    /// <summary>Random documents of 1..maxWords word ids in [2, vocab) (some UNK), random labels.</summary>
    public static EncodedDataset RandomData(Random rng, int count, int length, int vocab, int maxWords, bool mask = false)
    {
        var words = new List<long[]>();
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            int w = rng.Next(1, maxWords + 1);
            words.Add(Enumerable.Range(0, w).Select(_ => rng.Next(10) == 0 ? 1L : rng.Next(2, vocab)).ToArray());
            labels[i] = rng.Next(2);
        }
        return Data(length, words, labels, mask);
    }

    public static void Set(Tensor parameter, double[] values)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        parameter.copy_(torch.tensor(values, parameter.shape).to(parameter.dtype));
    }

    public static long[] Row(EncodedDataset d, int i) => d.Row(i).ToArray();

    public static InsertionSpec Start(int k) => new() { Count = k };
}
