namespace AttnXai.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A neural-network module: named parameters, buffers and sub-modules, train/eval mode, device moves and
        /// state dictionaries. Parameters belong to the module (never to a dispose scope) and are freed by Dispose.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Tensor Tensor)> _parameters = new();
            private readonly List<(string Name, Tensor Tensor)> _buffers = new();
            private readonly List<(string Name, Module Module)> _modules = new();

            protected Module(string name) { this.name = name; }

            public string name { get; }
            public bool training { get; private set; } = true;

            /// <summary>Registers a trainable tensor: it gets requires_grad and leaves any dispose scope.</summary>
            protected Tensor register_parameter(string name, Tensor tensor)
            {
                CheckName(name);
                tensor.DetachFromDisposeScope();
                tensor.requires_grad = true;
                _parameters.Add((name, tensor));
                return tensor;
            }

            /// <summary>Registers a non-trainable tensor saved in the state dictionary (e.g. a fixed encoding).</summary>
            protected Tensor register_buffer(string name, Tensor tensor)
            {
                CheckName(name);
                tensor.DetachFromDisposeScope();
                _buffers.Add((name, tensor));
                return tensor;
            }

            protected T register_module<T>(string name, T module) where T : Module
            {
                CheckName(name);
                _modules.Add((name, module));
                return module;
            }

            private void CheckName(string n)
            {
                if (string.IsNullOrEmpty(n) || n.Contains('.')) throw new ArgumentException($"bad member name '{n}'");
                if (_parameters.Any(p => p.Name == n) || _buffers.Any(p => p.Name == n) || _modules.Any(p => p.Name == n))
                    throw new ArgumentException($"'{n}' is already registered in {name}");
            }

            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true)
            {
                foreach (var p in _parameters) yield return (p.Name, p.Tensor);
                if (!recurse) yield break;
                foreach (var m in _modules)
                    foreach (var (n, t) in m.Module.named_parameters()) yield return ($"{m.Name}.{n}", t);
            }

            public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                foreach (var b in _buffers) yield return (b.Name, b.Tensor);
                if (!recurse) yield break;
                foreach (var m in _modules)
                    foreach (var (n, t) in m.Module.named_buffers()) yield return ($"{m.Name}.{n}", t);
            }

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(m => (m.Name, m.Module));

            public Module train(bool on = true)
            {
                training = on;
                foreach (var m in _modules) m.Module.train(on);
                return this;
            }

            public Module eval() => train(false);

            public void zero_grad()
            {
                foreach (var p in parameters()) p.reset_grad();
            }

            /// <summary>Moves parameters and buffers to a device (and optionally a floating-point type).</summary>
            public Module to(Device device, ScalarType? dtype = null) => Move(device, dtype);

            /// <summary>Converts floating-point parameters and buffers to dtype, each staying on its device.</summary>
            public Module to(ScalarType dtype) => Move(null, dtype);

            private Module Move(Device? device, ScalarType? dtype)
            {
                if (device is { IsCuda: true }) device.EnsureAvailable();
                Replace(_parameters, t => Convert(t, device, dtype), parameter: true);
                Replace(_buffers, t => Convert(t, device, dtype), parameter: false);
                foreach (var m in _modules) m.Module.Move(device, dtype);
                return this;
            }

            /// <summary>The converted tensor, or null when t is already on that device with that type.</summary>
            private static Tensor? Convert(Tensor t, Device? target, ScalarType? dtype)
            {
                bool retype = dtype is { } st && ScalarTypes.IsFloatingPoint(t.dtype) && t.dtype != st;
                var device = target ?? t.device;
                if (!retype && t.device == device) return null;
                using var d = t.detach();
                return retype ? d.to(device, dtype!.Value) : d.to(device);
            }

            // Tensors that need no change are kept, as PyTorch keeps its Parameter objects, so optimizers and
            // other holders of the module's tensors stay valid.
            private void Replace(List<(string Name, Tensor Tensor)> list, Func<Tensor, Tensor?> convert, bool parameter)
            {
                for (int k = 0; k < list.Count; k++)
                {
                    var old = list[k].Tensor;
                    if (convert(old) is not { } converted) continue;
                    var moved = converted.DetachFromDisposeScope();
                    if (parameter) moved.requires_grad = true;
                    old.Dispose();
                    list[k] = (list[k].Name, moved);
                    OnTensorReplaced(list[k].Name, moved);
                }
            }

            /// <summary>Called when to() replaces a parameter or buffer, so subclasses can refresh their fields.</summary>
            protected virtual void OnTensorReplaced(string name, Tensor tensor) { }

            /// <summary>Parameters and buffers by dotted name (the module's own tensors: do not dispose them).</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (n, t) in named_parameters()) d[n] = t;
                foreach (var (n, t) in named_buffers()) d[n] = t;
                return d;
            }

            /// <summary>Copies values into the module's tensors; with strict, missing and unexpected names are errors.</summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                if (strict)
                {
                    var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                    var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                    if (missing.Count > 0 || unexpected.Count > 0)
                        throw new ArgumentException($"state dictionary does not match {name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
                }
                using var noGrad = no_grad();
                foreach (var (key, target) in own)
                {
                    if (!source.TryGetValue(key, out var src)) continue;
                    var ts = target.shape;
                    var ss = src.shape;
                    if (!ts.SequenceEqual(ss))
                        throw new ArgumentException($"'{key}': shape [{string.Join(", ", ss)}] given, [{string.Join(", ", ts)}] expected");
                    if (src.dtype != target.dtype)
                        throw new ArgumentException($"'{key}': element type {src.dtype} given, {target.dtype} expected");
                    target.copy_(src);
                }
            }

            public virtual void Dispose()
            {
                foreach (var p in _parameters) p.Tensor.Dispose();
                foreach (var b in _buffers) b.Tensor.Dispose();
                foreach (var m in _modules) m.Module.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>A module with one input and one output.</summary>
        public abstract class Module<TIn, TOut> : Module
        {
            protected Module(string name) : base(name) { }
            public abstract TOut forward(TIn input);
            public TOut call(TIn input) => forward(input);
        }

        /// <summary>y = x W^T (+ b). Initialised as PyTorch does: U(-1/sqrt(in), 1/sqrt(in)).</summary>
        public sealed class Linear : Module<Tensor, Tensor>
        {
            public Tensor weight { get; private set; }
            public Tensor? bias { get; private set; }

            public Linear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null, ScalarType dtype = ScalarType.Float32)
                : base("Linear")
            {
                double bound = 1.0 / Math.Sqrt(inFeatures);
                using (no_grad())
                {
                    weight = register_parameter("weight", empty([outFeatures, inFeatures], dtype, device).uniform_(-bound, bound));
                    if (hasBias) bias = register_parameter("bias", empty([outFeatures], dtype, device).uniform_(-bound, bound));
                }
            }

            public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);

            protected override void OnTensorReplaced(string name, Tensor tensor)
            {
                if (name == "weight") weight = tensor; else if (name == "bias") bias = tensor;
            }
        }

        /// <summary>A lookup table of embeddings, initialised N(0, 1) as PyTorch does.</summary>
        public sealed class Embedding : Module<Tensor, Tensor>
        {
            public Tensor weight { get; private set; }

            /// <param name="initialize">false leaves the weight at zero without drawing from the global generator
            /// (for weights about to be loaded, like PyTorch's skip_init).</param>
            public Embedding(long count, long dim, Device? device = null, ScalarType dtype = ScalarType.Float32, bool initialize = true) : base("Embedding")
            {
                using (no_grad()) weight = register_parameter("weight", initialize ? empty([count, dim], dtype, device).normal_() : zeros([count, dim], dtype, device));
            }

            public override Tensor forward(Tensor input) => functional.embedding(input, weight);

            protected override void OnTensorReplaced(string name, Tensor tensor) { if (name == "weight") weight = tensor; }
        }
    }
}
