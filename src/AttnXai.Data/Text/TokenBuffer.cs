namespace AttnXai.Data.Text;

/// <summary>
/// A reusable list of tokens that a tokenizer writes into without allocating a string per token: the tokenizer
/// writes its normalised text into one char array and each token is a (start, length) range of it. Not
/// thread-safe: use one per thread. A token's span stays valid until the buffer is reused.
/// </summary>
public sealed class TokenBuffer
{
    private char[] _chars = new char[4096];
    private int[] _starts = new int[512];
    private int[] _lengths = new int[512];
    private int _count;

    /// <summary>Number of tokens.</summary>
    public int Count => _count;

    /// <summary>True when the tokenizer stopped at its token limit while the text had more tokens.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The token at index i (valid until the buffer is reused).</summary>
    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            return _chars.AsSpan(_starts[index], _lengths[index]);
        }
    }

    public string GetString(int index) => new(this[index]);

    public string[] ToArray()
    {
        var result = new string[_count];
        for (int i = 0; i < _count; i++) result[i] = GetString(i);
        return result;
    }

    public void Clear()
    {
        _count = 0;
        Truncated = false;
    }

    // ---- writer side, for tokenizers ----

    /// <summary>Clears the buffer and writes these tokens into it (a tokenizer that makes strings anyway).</summary>
    internal void Set(IReadOnlyList<string> tokens, bool truncated)
    {
        int chars = 0;
        foreach (var t in tokens) chars += t.Length;
        var buffer = Begin(chars);
        int at = 0;
        foreach (var t in tokens)
        {
            t.CopyTo(buffer.AsSpan(at));
            Add(at, t.Length, int.MaxValue);
            at += t.Length;
        }
        Truncated = truncated;
    }

    /// <summary>Clears the buffer and returns an array of at least minLength chars for the normalised text that
    /// the tokens will be ranges of.</summary>
    internal char[] Begin(int minLength)
    {
        Clear();
        if (_chars.Length < minLength) _chars = new char[Math.Max(minLength, _chars.Length * 2)];
        return _chars;
    }

    /// <summary>Adds the token chars[start..start+length). Returns false, and sets Truncated, when the buffer
    /// already holds maxTokens tokens.</summary>
    internal bool Add(int start, int length, int maxTokens)
    {
        if (_count >= maxTokens)
        {
            Truncated = true;
            return false;
        }
        if (_count == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }
        _starts[_count] = start;
        _lengths[_count] = length;
        _count++;
        return true;
    }
}
