using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine.Optim;

/// <summary>
/// Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW, single-tensor path, amsgrad and maximize off),
/// written with TorchSharp's in-place operations and an explicit state that checkpoints save and resume bitwise:
/// AdamW first decays the parameter, p *= 1 - lr wd (Adam instead adds wd p to the gradient); then
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
/// Like PyTorch, each parameter counts its own steps t: a parameter without a gradient in a step is left alone.
/// The operations are PyTorch's (m.lerp_, v.mul_().addcmul_, (v.sqrt() / sqrt(1 - b2^t)).add_(eps), p.addcdiv_), the
/// denominator computed in a buffer kept per parameter: a fresh temporary as large as the embedding (50 MB for the
/// paper's model) on every step costs more than the extra copy.
/// </summary>
public class Adam : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private double _lr;
    private readonly bool _decoupled;
    private readonly Tensor?[] _expAvg, _expAvgSq;
    // One buffer per parameter for the denominator, reused by every step (no 50 MB temporary per step).
    private readonly Tensor?[] _denom;
    private readonly long[] _steps;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0) : this(parameters, lr, beta1, beta2, eps, weight_decay, false) { }

    protected Adam(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
    {
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("the optimizer was given no parameters");
        if (!(lr >= 0) || !(eps >= 0) || !(weightDecay >= 0) || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || double.IsNaN(beta1) || double.IsNaN(beta2))
            throw new ArgumentException($"invalid Adam settings: lr={lr}, betas=({beta1}, {beta2}), eps={eps}, weight_decay={weightDecay}");
        (_lr, _beta1, _beta2, _eps, _weightDecay, _decoupled) = (lr, beta1, beta2, eps, weightDecay, decoupled);
        _expAvg = new Tensor?[_parameters.Length];
        _expAvgSq = new Tensor?[_parameters.Length];
        _denom = new Tensor?[_parameters.Length];
        _steps = new long[_parameters.Length];
    }

    /// <summary>The learning rate of the next <see cref="step"/> (a schedule sets it before each step, as PyTorch's
    /// schedulers set a parameter group's lr).</summary>
    public double LearningRate
    {
        get => _lr;
        set => _lr = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the learning rate must be finite and >= 0");
    }

    /// <summary>Steps taken so far (calls of <see cref="step"/>).</summary>
    public long Steps { get; private set; }

    /// <summary>Steps in which parameter <paramref name="k"/> had a gradient (its bias-correction count t).</summary>
    public long ParameterSteps(int k) => _steps[k];

    /// <summary>Drops every parameter's gradient (PyTorch's set_to_none=True behaviour).</summary>
    public void zero_grad()
    {
        foreach (var p in _parameters) p.grad = null;
    }

    public void step()
    {
        Steps++;
        using var noGrad = no_grad();
        for (int k = 0; k < _parameters.Length; k++)
        {
            using var scope = NewDisposeScope();
            var p = _parameters[k];
            var g = p.grad;
            if (g is null) continue;
            var m = _expAvg[k] ??= zeros_like(p).DetachFromDisposeScope();
            var v = _expAvgSq[k] ??= zeros_like(p).DetachFromDisposeScope();
            long t = ++_steps[k];
            double bias1 = 1 - Math.Pow(_beta1, t);
            double bias2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, t));
            double stepSize = _lr / bias1;
            if (_weightDecay != 0)
            {
                if (_decoupled) p.mul_(1 - _lr * _weightDecay);
                else g = g.add(p, alpha: _weightDecay);
            }
            m.lerp_(g, 1 - _beta1);                           // PyTorch: m + (1 - b1)(g - m)
            v.mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            var denom = _denom[k] ??= empty_like(p).DetachFromDisposeScope();
            denom.copy_(v).sqrt_().div_(bias2Sqrt).add_(_eps);
            p.addcdiv_(m, denom, value: -stepSize);
        }
    }

    /// <summary>"step" (a 0-d int64 tensor: calls of step) and, for each parameter K that has state, "K.step",
    /// "K.exp_avg" and "K.exp_avg_sq" (aliases of the live state: save them, do not modify them).</summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["step"] = tensor(Steps) };
        for (int k = 0; k < _parameters.Length; k++)
        {
            if (_expAvg[k] is not { } m || _expAvgSq[k] is not { } v) continue;
            d[$"{k}.step"] = tensor(_steps[k]);
            d[$"{k}.exp_avg"] = m.alias();
            d[$"{k}.exp_avg_sq"] = v.alias();
        }
        return d;
    }

    /// <summary>Restores a state written by <see cref="state_dict"/> (copies, moved to each parameter's device).</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var stepTensor)) throw new ArgumentException("optimizer state has no 'step'");
        Steps = stepTensor.item<long>();
        using var noGrad = no_grad();
        for (int k = 0; k < _parameters.Length; k++)
        {
            _expAvg[k]?.Dispose(); _expAvgSq[k]?.Dispose();
            _expAvg[k] = _expAvgSq[k] = null;
            if (state.TryGetValue($"{k}.exp_avg", out var m)) _expAvg[k] = Copy(m, k, "exp_avg");
            if (state.TryGetValue($"{k}.exp_avg_sq", out var v)) _expAvgSq[k] = Copy(v, k, "exp_avg_sq");
            if ((_expAvg[k] is null) != (_expAvgSq[k] is null))
                throw new ArgumentException($"optimizer state of parameter {k} has only one of exp_avg and exp_avg_sq");
            // States saved before per-parameter counts existed have only the global count.
            _steps[k] = _expAvg[k] is null ? 0
                : state.TryGetValue($"{k}.step", out var st) ? st.item<long>() : Steps;
        }
    }

    private Tensor Copy(Tensor t, int k, string what)
    {
        var p = _parameters[k];
        if (!t.shape.SequenceEqual(p.shape))
            throw new ArgumentException($"optimizer state {k}.{what} has shape [{string.Join(", ", t.shape)}], parameter has [{string.Join(", ", p.shape)}]");
        if (t.dtype != p.dtype)
            throw new ArgumentException($"optimizer state {k}.{what} is {t.dtype}, parameter is {p.dtype}");
        using var scope = NewDisposeScope();
        return t.to(p.device).clone().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t?.Dispose();
        foreach (var t in _expAvgSq) t?.Dispose();
        foreach (var t in _denom) t?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Adam with decoupled weight decay (Loshchilov and Hutter), PyTorch's defaults: lr 1e-3, weight decay 0.01.</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0.01) : base(parameters, lr, beta1, beta2, eps, weight_decay, true) { }
}
