using AttnXai.Common;
using AttnXai.Explain.Adapters;
using AttnXai.Explain.Explainers;

namespace AttnXai.Explain.Explainers;

/// <summary>LIME masks given by the user (--lime-masks): rows of 0/1 flags, one per distinct word of the document, true = kept.</summary>
public sealed record LimeMasks(bool[] Flags, int Rows, int Width)
{
    /// <summary>
    /// Reads a mask file: one sample per non-blank line, either a run of 0 and 1 ("1101") or 0/1 values separated by
    /// commas, spaces or tabs ("1,1,0,1"). Every row must have the same width; at least two rows. lime's own runs put
    /// the document itself (all ones) first; the file is used as given.
    /// </summary>
    public static LimeMasks Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--lime-masks {path}: {(Directory.Exists(path) ? "is a folder, not a file" : "no such file")}");
        var flags = new List<bool>();
        int rows = 0, width = -1, lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var cells = line.IndexOfAny([',', ' ', '\t', ';']) >= 0
                ? line.Split([',', ' ', '\t', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : line.Trim().Select(c => c.ToString()).ToArray();
            foreach (var c in cells)
                if (c is not ("0" or "1")) throw new InvalidDataException($"--lime-masks {path}: line {lineNo}: '{c}' is not 0 or 1");
            if (width >= 0 && cells.Length != width)
                throw new InvalidDataException($"--lime-masks {path}: line {lineNo} has {cells.Length} flags, the first row {width}");
            width = cells.Length;
            flags.AddRange(cells.Select(c => c == "1"));
            rows++;
        }
        if (rows < 2) throw new InvalidDataException($"--lime-masks {path}: LIME needs at least 2 samples, the file has {rows}");
        return new LimeMasks(flags.ToArray(), rows, width);
    }
}

/// <summary>LIME fitted once on the user's masks (<see cref="LimeExplainer.ExplainWithMasks"/>), under the sampled
/// explainer's name and settings.</summary>
public sealed class MaskedLime(LimeExplainer inner, LimeMasks masks, string file) : WordExplainer
{
    public override string Name => inner.Name;

    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(inner.Settings)
    {
        ["samples"] = masks.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["runs"] = "1",
        ["masks"] = file,
    };

    protected override (double[] Words, Dictionary<string, double> Diagnostics, Dictionary<string, double[]> Vectors) ScoreWords(ExplainTarget target, ExplainDocument document)
    {
        var r = inner.ExplainWithMasks(target, document, masks.Flags);
        return (r.Coefficients, new Dictionary<string, double> { ["intercept"] = r.Intercept, ["score"] = r.Score, ["output"] = r.FirstRowOutput }, []);
    }

    /// <summary>The explainers with every LIME one fitted on the masks; the masks must have one flag per distinct word.</summary>
    public static IReadOnlyList<IExplainer> Replace(IReadOnlyList<IExplainer> explainers, LimeMasks masks, ExplainDocument document, string file)
    {
        if (masks.Width != document.WordCount)
            throw new InvalidDataException($"--lime-masks {file}: its rows have {masks.Width} flags but the document has {document.WordCount} distinct words ({string.Join(" ", document.Words.Take(8))}{(document.WordCount > 8 ? " ..." : "")})");
        if (!explainers.OfType<LimeExplainer>().Any()) throw new UserError("--lime-masks needs a LIME method among --methods (lime, lime-delete or lime-unk)");
        return explainers.Select(e => e is LimeExplainer l ? new MaskedLime(l, masks, file) : e).ToList();
    }
}
