namespace AttnXai.Data.Text;

/// <summary>
/// A reusable list of tokens that a tokenizer writes into without allocating a string per token: the tokens' chars
/// sit one after another in one array and each token is a (start, length) range. Not thread-safe: use one per
/// thread. Reading a token gives a span that stays valid until the buffer is cleared or reused.
/// </summary>
public sealed class TokenBuffer
{
    private char[] _chars = new char[4096];
    private int _charCount;
    private int[] _starts = new int[512];
    private int[] _lengths = new int[512];
    private int _count;
    private int _open = -1; // start of the token being written, or -1
    private char[] _scratch = new char[4096];

    /// <summary>Number of tokens.</summary>
    public int Count => _count;

    /// <summary>True when the tokenizer stopped at its token limit while the text had more tokens.</summary>
    public bool Truncated { get; internal set; }

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
        _charCount = 0;
        _count = 0;
        _open = -1;
        Truncated = false;
    }

    // ---- writer side, for tokenizers ----

    /// <summary>A scratch array of at least the given length that tokenizers may use for a normalised copy.</summary>
    internal char[] Scratch(int minLength)
    {
        if (_scratch.Length < minLength) _scratch = new char[Math.Max(minLength, _scratch.Length * 2)];
        return _scratch;
    }

    /// <summary>True when a token is being written.</summary>
    internal bool IsOpen => _open >= 0;

    /// <summary>Appends a char to the open token, opening one if none is. Returns false (and sets Truncated)
    /// when opening a token would exceed maxTokens.</summary>
    internal bool Append(char c, int maxTokens)
    {
        if (_open < 0)
        {
            if (_count >= maxTokens) { Truncated = true; return false; }
            _open = _charCount;
        }
        if (_charCount == _chars.Length) Array.Resize(ref _chars, _chars.Length * 2);
        _chars[_charCount++] = c;
        return true;
    }

    /// <summary>Closes the open token, if any.</summary>
    internal void End()
    {
        if (_open < 0) return;
        if (_count == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }
        _starts[_count] = _open;
        _lengths[_count] = _charCount - _open;
        _count++;
        _open = -1;
    }

    /// <summary>Adds a one-char token (closing the open one first). False when over maxTokens.</summary>
    internal bool Single(char c, int maxTokens)
    {
        End();
        if (!Append(c, maxTokens)) return false;
        End();
        return true;
    }
}
