namespace AttnXai.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost open scope, and disposes them when it
/// is disposed, except those moved out (<see cref="Tensor.MoveToOuterDisposeScope"/>) or detached.
/// Open with <c>using var scope = torch.NewDisposeScope();</c>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    public DisposeScope? Outer { get; }

    internal DisposeScope()
    {
        Outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor t)
    {
        _tensors.Add(t);
        t.Scope = this;
    }

    internal void Remove(Tensor t)
    {
        _tensors.Remove(t);
        t.Scope = null;
    }

    /// <summary>Moves the given tensors to the enclosing scope (or out of every scope) and returns the first.</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        Remove(t);
        Outer?.Add(t);
        return t;
    }

    /// <summary>Keeps a tensor alive after this scope ends without giving it to any scope (the caller disposes it).</summary>
    public Tensor Detach(Tensor t)
    {
        Remove(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        // Check before marking disposed: a refused call must leave the scope disposable later, in the right order.
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("dispose scopes must be disposed in the reverse order of their creation, on the thread that opened them");
        _disposed = true;
        _current = Outer;
        foreach (var t in _tensors) { t.Scope = null; t.Dispose(); }
        _tensors.Clear();
    }
}
