namespace AttnXai.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>The optimizer contract: step after backward, zero_grad before the next one, and state to resume.</summary>
        public abstract class Optimizer : IDisposable
        {
            protected readonly Tensor[] Parameters;

            protected Optimizer(IEnumerable<Tensor> parameters)
            {
                Parameters = parameters.ToArray();
                if (Parameters.Length == 0) throw new ArgumentException("the optimizer was given no parameters");
            }

            public abstract void step();

            /// <summary>Drops every parameter's gradient (PyTorch's set_to_none=True behaviour).</summary>
            public void zero_grad()
            {
                foreach (var p in Parameters) p.reset_grad();
            }

            public abstract Dictionary<string, Tensor> state_dict();
            public abstract void load_state_dict(IReadOnlyDictionary<string, Tensor> state);
            public abstract void Dispose();
        }

        /// <summary>
        /// Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW, amsgrad off, maximize off):
        /// AdamW decays the parameter by lr * weight_decay before the Adam step; Adam adds weight_decay * p to the
        /// gradient. Then m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
        /// p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
        /// </summary>
        public class Adam : Optimizer
        {
            private readonly double _lr, _beta1, _beta2, _eps, _weightDecay;
            private readonly bool _decoupled;
            private readonly Tensor?[] _expAvg, _expAvgSq;
            // Like PyTorch, each parameter counts its own steps: a parameter without a gradient in a step is skipped
            // and its bias correction does not advance.
            private readonly long[] _steps;

            /// <summary>Steps taken so far (calls of <see cref="step"/>).</summary>
            public long Steps { get; private set; }

            /// <summary>Steps in which parameter <paramref name="k"/> had a gradient (its bias-correction count t).</summary>
            public long ParameterSteps(int k) => _steps[k];

            public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0) : this(parameters, lr, beta1, beta2, eps, weight_decay, false) { }

            protected Adam(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
                : base(parameters)
            {
                if (lr < 0 || eps < 0 || weightDecay < 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
                    throw new ArgumentException($"invalid Adam settings: lr={lr}, betas=({beta1}, {beta2}), eps={eps}, weight_decay={weightDecay}");
                (_lr, _beta1, _beta2, _eps, _weightDecay, _decoupled) = (lr, beta1, beta2, eps, weightDecay, decoupled);
                _expAvg = new Tensor?[Parameters.Length];
                _expAvgSq = new Tensor?[Parameters.Length];
                _steps = new long[Parameters.Length];
            }

            public override void step()
            {
                Steps++;
                using var noGrad = no_grad();
                for (int k = 0; k < Parameters.Length; k++)
                {
                    using var scope = NewDisposeScope();
                    var p = Parameters[k];
                    var g = p.grad;
                    if (g is null) continue;
                    var m = _expAvg[k] ??= zeros_like(p).DetachFromDisposeScope();
                    var v = _expAvgSq[k] ??= zeros_like(p).DetachFromDisposeScope();
                    long t = ++_steps[k];
                    if (fused && FusedStep(p, m, v, t)) continue;
                    double bias1 = 1 - Math.Pow(_beta1, t);
                    double bias2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, t));
                    double stepSize = _lr / bias1;
                    if (_weightDecay != 0)
                    {
                        if (_decoupled) p.mul_(1 - _lr * _weightDecay);
                        else g = g.add(p, _weightDecay);
                    }
                    m.mul_(_beta1).add_(g, 1 - _beta1);
                    v.mul_(_beta2).addcmul_(g, g, 1 - _beta2);
                    var denom = v.sqrt().div_(bias2Sqrt).add_(_eps);
                    p.addcdiv_(m, denom, -stepSize);
                }
            }

            /// <summary>
            /// Use the shim's one-pass kernel for dense contiguous float32/float64 CPU parameters (same rule and
            /// operation order as the per-op path, which remains for other devices and layouts). Default true.
            /// </summary>
            public bool fused { get; set; } = true;

            private bool FusedStep(Tensor p, Tensor m, Tensor v, long t)
            {
                int r = Interop.Native.atx_adam_step(p.Handle, m.Handle, v.Handle, _lr, _beta1, _beta2, _eps, _weightDecay, _decoupled ? 1 : 0, t);
                GC.KeepAlive(p); GC.KeepAlive(m); GC.KeepAlive(v);
                if (r == 0) throw Interop.Native.Error("Adam step");
                return r != 2;
            }

            /// <summary>"step" (a 0-d int64 tensor: calls of step) and, for each parameter K that has state, "K.step",
            /// "K.exp_avg" and "K.exp_avg_sq".</summary>
            public override Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["step"] = tensor(new[] { Steps }, []) };
                for (int k = 0; k < Parameters.Length; k++)
                {
                    if (_expAvg[k] is not { } m || _expAvgSq[k] is not { } v) continue;
                    d[$"{k}.step"] = tensor(new[] { _steps[k] }, []);
                    d[$"{k}.exp_avg"] = m.alias();
                    d[$"{k}.exp_avg_sq"] = v.alias();
                }
                return d;
            }

            public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                if (!state.TryGetValue("step", out var stepTensor)) throw new ArgumentException("optimizer state has no 'step'");
                Steps = stepTensor.item<long>();
                using var noGrad = no_grad();
                for (int k = 0; k < Parameters.Length; k++)
                {
                    _expAvg[k]?.Dispose(); _expAvgSq[k]?.Dispose();
                    _expAvg[k] = _expAvgSq[k] = null;
                    if (state.TryGetValue($"{k}.exp_avg", out var m)) _expAvg[k] = Check(m, k, "exp_avg").clone().DetachFromDisposeScope();
                    if (state.TryGetValue($"{k}.exp_avg_sq", out var v)) _expAvgSq[k] = Check(v, k, "exp_avg_sq").clone().DetachFromDisposeScope();
                    if ((_expAvg[k] is null) != (_expAvgSq[k] is null))
                        throw new ArgumentException($"optimizer state of parameter {k} has only one of exp_avg and exp_avg_sq");
                    // States saved before per-parameter counts existed have only the global count.
                    _steps[k] = _expAvg[k] is null ? 0
                        : state.TryGetValue($"{k}.step", out var st) ? st.item<long>() : Steps;
                }
            }

            private Tensor Check(Tensor t, int k, string what) =>
                t.shape.SequenceEqual(Parameters[k].shape) ? t
                    : throw new ArgumentException($"optimizer state {k}.{what} has shape [{string.Join(", ", t.shape)}], parameter has [{string.Join(", ", Parameters[k].shape)}]");

            public override void Dispose()
            {
                foreach (var t in _expAvg) t?.Dispose();
                foreach (var t in _expAvgSq) t?.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter), PyTorch's defaults: lr 1e-3, weight decay 0.01.</summary>
        public sealed class AdamW : Adam
        {
            public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0.01) : base(parameters, lr, beta1, beta2, eps, weight_decay, true) { }
        }
    }
}
