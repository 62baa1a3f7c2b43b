using System.Text;
using AttnXai.Common.IO;

namespace AttnXai.Data.Labelled;

/// <summary>
/// Class names by class id: label string ↔ class. Saved as UTF-8 text, one label per line, line number (0-based) =
/// class id, so that a trained model records which label each output is. For integer labels used as classes,
/// line i is the string of i.
/// </summary>
public sealed class LabelMap
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _ids;

    public LabelMap(IEnumerable<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        _names = classNames.ToArray();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _names.Length; i++)
        {
            var n = _names[i];
            if (n is null || n.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new ArgumentException($"label {i} is missing or contains a line break");
            if (!_ids.TryAdd(n, i)) throw new ArgumentException($"duplicate label '{n}'");
        }
    }

    /// <summary>Class ids as their own labels: "0", "1", ..., count - 1.</summary>
    public static LabelMap ClassIds(int count) =>
        new(Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// A comma list of labels in class order ("neg,pos": neg is class 0, pos class 1), as a user writes it. Throws
    /// ArgumentException (the message names the problem, not the option) unless there are at least two distinct,
    /// non-empty labels.
    /// </summary>
    public static LabelMap Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var names = list.Split(',').Select(n => n.Trim()).ToArray();
        if (names.Any(n => n.Length == 0)) throw new ArgumentException($"'{list}' has an empty label (write the labels in class order, e.g. neg,pos)");
        if (names.Length < 2) throw new ArgumentException($"'{list}' names one label; a classifier needs at least two, in class order (e.g. neg,pos)");
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"'{list}' names '{duplicate.Key}' twice");
        return new LabelMap(names);
    }

    public IReadOnlyList<string> ClassNames => _names;

    /// <summary>"neg (class 0), pos (class 1)".</summary>
    public string Describe() => string.Join(", ", _names.Select((n, i) => $"{n} (class {i})"));

    /// <summary>The labels as a user writes them: "neg,pos".</summary>
    public override string ToString() => string.Join(",", _names);

    public bool SameAs(LabelMap other) => other is not null && _names.SequenceEqual(other._names, StringComparer.Ordinal);
    public int Count => _names.Length;
    public int this[string label] => _ids[label];
    public bool TryGetClass(string label, out int classId) => _ids.TryGetValue(label, out classId);

    /// <summary>A class as a user names it (a <c>--target</c>): one of the labels, else a class index 0 to Count - 1
    /// (a label that reads as a number wins over the index). Surrounding spaces are ignored.</summary>
    public bool TryParseClass(string text, out int classId)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (_ids.TryGetValue(t, out classId)) return true;
        if (int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out classId) && classId < _names.Length) return true;
        classId = -1;
        return false;
    }
    public IReadOnlyDictionary<string, int> Mapping => _ids;

    public void Save(string path) =>
        AtomicFile.WriteText(path, w => { foreach (var n in _names) { w.Write(n); w.Write('\n'); } });

    public static LabelMap Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(false, true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new DataException(path, null, $"cannot read the label map: {e.Message}", e);
        }
        var lines = text.Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        var names = new string[count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            names[i] = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            if (!seen.TryAdd(names[i], i + 1))
                throw DataException.AtLine(path, i + 1, $"duplicate label '{names[i]}' (first on line {seen[names[i]]})");
        }
        return new LabelMap(names);
    }
}
