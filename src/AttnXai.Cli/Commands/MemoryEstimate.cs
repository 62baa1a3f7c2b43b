using AttnXai.Common;
using System.Globalization;
using AttnXai.Model;

namespace AttnXai.Cli.Commands;

/// <summary>
/// Refuses, before any work, a run whose memory estimate exceeds the machine's memory, naming the options that size
/// it: otherwise libtorch fails deep inside an allocation with a message that names no option, or the kernel kills
/// the process.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>The memory the process may use: the machine's, or a container's limit (what .NET's GC sees).</summary>
    public static long Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Bytes training a model needs, roughly: weights, gradients and AdamW's two moments (16 bytes per float32
    /// parameter, twice that in float64) and one batch's activations kept for the backward pass (a Transformer's:
    /// per layer the H x L x L attention scores, probabilities and dropout mask, and about 8 d + 2 d_ff values per
    /// position; the paper's: its keys, queries and values at every position).</summary>
    public static double TrainingBytes(IModelArchitecture architecture, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        switch (architecture)
        {
            case TransformerConfig t:
                double perDocument = t.Layers * (3.0 * t.Heads * t.Length * t.Length + (double)t.Length * (8.0 * t.ModelDim + 2.0 * t.FeedForwardDim));
                return 16.0 * t.ParameterCount + 4.0 * batchSize * perDocument;
            case ModelConfig m:
                return 16.0 * m.ParameterCount + 4.0 * 2 * batchSize * (double)m.Length * (m.EmbedDim + (double)m.Heads * (2.0 * m.AttDim + m.OutDim));
            default:
                return 0;
        }
    }

    /// <summary>Throws UserError when <paramref name="bytes"/> exceed the available memory: "what needs about X
    /// GB, more than this machine's Y GB; lower OPTIONS".</summary>
    public static void Check(double bytes, string what, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long available = Available;
        if (available <= 0 || bytes <= available) return;
        var inv = CultureInfo.InvariantCulture;
        string lower = options.Count == 0 ? "" : $"; lower {Opt.Choices(options)}";
        throw new UserError(string.Create(inv, $"{what} needs about {Gb(bytes)} of memory, more than this machine's {Gb(available)}{lower}"));
    }

    private static string Gb(double bytes) => bytes >= 1e12
        ? (bytes / (1L << 40)).ToString("G3", CultureInfo.InvariantCulture) + " TiB"
        : (bytes / (1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB";
}
