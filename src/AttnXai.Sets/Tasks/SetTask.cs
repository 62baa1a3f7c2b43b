namespace AttnXai.Sets.Tasks;

/// <summary>
/// A synthetic multiple-instance task: a rule that labels a bag of tokens, and which of its tokens are the key
/// instances (the ground truth an explanation should find).
/// <list type="bullet">
/// <item><b>single</b>: positive iff key word A occurs. Keys: every A.</item>
/// <item><b>both</b>: positive iff A and B both occur. Keys: every A and every B (also in a negative bag holding
/// only one of them: they are what the rule looks at).</item>
/// <item><b>count</b>: positive iff A occurs at least k times. Keys: every A.</item>
/// <item><b>negative</b>: positive iff A occurs and N does not. Keys: every A (evidence for the positive class)
/// and every N (evidence for the negative class). An unsigned score (attention) cannot say which way a key pushes;
/// a signed one ranks N low, so the signed score fails the "is it a key?" question by design and |score| is the fair
/// reading.</item>
/// </list>
/// Negative bags of "both" and "negative" are drawn from three equally likely kinds (only one key word, the other, or
/// none), and negatives of "count" hold 0..k-1 A's uniformly, so that a model cannot solve the task by a shortcut
/// such as "any key word present".
/// </summary>
public sealed record SetTask(string Name, string Rule, string Keys)
{
    public static readonly SetTask Single = new("single", "positive iff A occurs", "every A");
    public static readonly SetTask Both = new("both", "positive iff A and B both occur", "every A and every B");
    public static readonly SetTask Count = new("count", "positive iff A occurs at least k times", "every A");
    public static readonly SetTask Negative = new("negative", "positive iff A occurs and N does not", "every A (positive evidence) and every N (negative evidence)");

    /// <summary>Every task, in the order reports list them.</summary>
    public static readonly IReadOnlyList<SetTask> All = [Single, Both, Count, Negative];

    /// <summary>Tasks from a comma-separated list (case-insensitive) or "all". Errors name the bad entry and the known ones.</summary>
    public static IReadOnlyList<SetTask> Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var result = new List<SetTask>();
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Equals("all", StringComparison.OrdinalIgnoreCase)) { result.AddRange(All); continue; }
            var t = All.FirstOrDefault(x => x.Name.Equals(raw, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"unknown task '{raw}'; known: {string.Join(", ", All.Select(x => x.Name))}, or all");
            result.Add(t);
        }
        if (result.Count == 0) throw new ArgumentException("no task chosen (an empty list)");
        return result.Distinct().ToList();
    }

    /// <summary>
    /// The kind of a bag, for per-kind accuracy: which key words it holds ("A+B", "A", "B", "none"...), and for
    /// "count" how many A's ("2 A").
    /// </summary>
    public string Kind(Bag bag)
    {
        ArgumentNullException.ThrowIfNull(bag);
        int a = bag.TokenIds.Count(i => i == SetVocabulary.IdA);
        if (this == Count) return $"{a} A";
        var present = new[] { (SetVocabulary.IdA, "A"), (SetVocabulary.IdB, "B"), (SetVocabulary.IdN, "N") }
            .Where(w => bag.TokenIds.Contains(w.Item1)).Select(w => w.Item2).ToList();
        return present.Count == 0 ? "none" : string.Join('+', present);
    }

    public override string ToString() => Name;
}
