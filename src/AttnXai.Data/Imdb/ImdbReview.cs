namespace AttnXai.Data.Imdb;

public enum ImdbSplit { Train = 0, Test = 1 }

/// <summary>How bytes that are not valid UTF-8 in a review are handled.</summary>
public enum InvalidUtf8Handling
{
    /// <summary>Throw a <see cref="DataException"/> naming the entry and the byte offset (the default: the official
    /// data is valid UTF-8, so such a byte means a damaged or different copy, and silently changing the text would
    /// change its tokens).</summary>
    Reject,

    /// <summary>Replace each invalid sequence by U+FFFD (as Python's errors="replace" does) and count it in
    /// <see cref="ImdbReview.InvalidUtf8Count"/> and <see cref="ImdbDataset.InvalidUtf8Count"/>.</summary>
    Replace,
}

/// <summary>One labelled IMDB review, from <c>aclImdb/&lt;split&gt;/&lt;pos|neg&gt;/&lt;id&gt;_&lt;rating&gt;.txt</c>.</summary>
/// <param name="Label">1 for pos, 0 for neg.</param>
/// <param name="InvalidUtf8Count">Invalid UTF-8 sequences replaced by U+FFFD (0 unless Replace was chosen).</param>
public sealed record ImdbReview(ImdbSplit Split, int Label, int Id, int Rating, string Text, int InvalidUtf8Count = 0)
{
    /// <summary>The path inside the aclImdb folder, e.g. <c>test/neg/9657_4.txt</c>.</summary>
    public string RelativePath => $"{(Split == ImdbSplit.Train ? "train" : "test")}/{(Label == 1 ? "pos" : "neg")}/{Id}_{Rating}.txt";

    /// <summary>The order every loader returns: split (train first), label (neg first), id.</summary>
    public static int CompareCanonical(ImdbReview a, ImdbReview b)
    {
        int c = a.Split.CompareTo(b.Split);
        if (c != 0) return c;
        c = a.Label.CompareTo(b.Label);
        return c != 0 ? c : a.Id.CompareTo(b.Id);
    }
}
