using System.Globalization;
using System.Text.Json.Nodes;
using AttnXai.Model.Pretrained;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Onnx;

/// <summary>A BERT encoder read out of an ONNX export: its config and its weights under a bare BertModel's Hugging Face
/// names, as CPU float32 tensors. Dispose to free them.</summary>
public sealed class ConvertedBert : IDisposable
{
    internal ConvertedBert(BertConfig config, Dictionary<string, Tensor> weights, bool hasPooler, string lastHiddenState)
    {
        Config = config;
        Weights = weights;
        HasPooler = hasPooler;
        LastHiddenState = lastHiddenState;
    }

    public BertConfig Config { get; }

    /// <summary>embeddings.*, encoder.layer.N.* and (when the export has one) pooler.dense.*, in Hugging Face's layout
    /// (linear weights [out, in]).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary>Whether the export computes BERT's pooler (tanh(dense(first token))).</summary>
    public bool HasPooler { get; }

    /// <summary>The graph value that is the encoder's last hidden state.</summary>
    public string LastHiddenState { get; }

    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
    }
}

/// <summary>
/// Converts an ONNX export of a BERT encoder (PyTorch's exporter of a BertModel, as sentence-transformers ships them) to
/// a Hugging Face checkpoint folder of a bare BertModel. The embeddings keep their initializer names; everything else is
/// found by following the graph from the embeddings: each layer's query/key/value projections are the three MatMul+Add
/// (or Gemm) reading the layer's input, told apart by where they flow (query and key into the scores MatMul, the key
/// through a transpose; the value into the MatMul with the softmax), the heads come from the Reshape that splits the
/// query, the attention output dense is the projection after the context MatMul, followed by the residual Add and a
/// LayerNorm (a LayerNormalization node or its decomposed form, whose epsilon is read from the graph), then the
/// intermediate dense, its activation (erf GELU, tanh GELU or ReLU), the output dense, residual and LayerNorm. ONNX's
/// MatMul weights are [in, out] and are transposed to Hugging Face's [out, in]. See README.md.
/// </summary>
public static class OnnxBertConverter
{
    /// <summary>Reads <paramref name="onnxPath"/>. FileNotFoundException when it is missing; InvalidDataException
    /// naming the file and what is missing or unexpected when it is not a BERT encoder.</summary>
    /// <param name="vocabPath">The vocabulary, for pad_token_id (the line of [PAD]; 0 without one).</param>
    public static ConvertedBert Read(string onnxPath, string? vocabPath = null)
    {
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"ONNX file not found: {onnxPath}", onnxPath);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            // The default recursion limit is ample for a flat graph; file size is what protobuf needs room for.
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{onnxPath}: not an ONNX model ({e.Message})", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new InvalidDataException($"{onnxPath}: not an ONNX model with a graph (no nodes)");
        int pad = vocabPath is null ? 0 : PadIndex(vocabPath);
        return new Walker(new OnnxGraph(onnxPath, model.Graph), pad).Run();
    }

    /// <summary>
    /// Converts <paramref name="onnxPath"/> into the checkpoint folder <paramref name="outputDirectory"/>
    /// (<see cref="HfCheckpoint.Write"/>: config.json with model_type bert and architectures [BertModel], no labels;
    /// model.safetensors; a copy of <paramref name="vocabPath"/>; tokenizer_config.json with
    /// <paramref name="doLowerCase"/> and <paramref name="modelMaxLength"/>) and returns the config.
    /// </summary>
    public static BertConfig Convert(string onnxPath, string vocabPath, string outputDirectory, int modelMaxLength, bool doLowerCase = true)
    {
        using var scope = NewDisposeScope();
        using var converted = Read(onnxPath, vocabPath);
        if (modelMaxLength < 1 || modelMaxLength > converted.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength,
                $"must be between 1 and the model's {converted.Config.MaxPositionEmbeddings} positions");
        int vocabLines = File.ReadLines(vocabPath).Count();
        if (vocabLines != converted.Config.VocabSize)
            throw new InvalidDataException($"{vocabPath} has {vocabLines} tokens but {onnxPath}'s word embeddings have {converted.Config.VocabSize} rows");
        HfCheckpoint.Write(outputDirectory, converted.Config, converted.Weights, vocabPath,
            HfCheckpoint.DefaultTokenizerConfig(doLowerCase, modelMaxLength));
        return converted.Config;
    }

    private static int PadIndex(string vocabPath)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"vocabulary file not found: {vocabPath}", vocabPath);
        int i = 0;
        foreach (var line in File.ReadLines(vocabPath))
        {
            if (line.TrimEnd('\r') == "[PAD]") return i;
            i++;
        }
        return 0;
    }

    /// <summary>A linear layer found in the graph: y = x W + b with W stored [in, out] (MatMul, or Gemm without
    /// transB), or [out, in] (Gemm with transB).</summary>
    private sealed record Linear(string Input, string Output, TensorProto Weight, TensorProto Bias, bool WeightIsOutIn)
    {
        public long In => WeightIsOutIn ? Weight.Dims[1] : Weight.Dims[0];
        public long Out => WeightIsOutIn ? Weight.Dims[0] : Weight.Dims[1];
    }

    private sealed record LayerNorm(TensorProto Weight, TensorProto Bias, double Eps, string Output);

    private sealed class Walker(OnnxGraph g, int padTokenId)
    {
        private static readonly HashSet<string> PassThrough = ["Reshape", "Transpose", "Unsqueeze", "Squeeze", "Identity", "Cast"];
        private readonly Dictionary<string, Tensor> _weights = new(StringComparer.Ordinal);
        private string _prefix = "";

        public ConvertedBert Run()
        {
            using var scope = NewDisposeScope();
            try
            {
                var result = Walk();
                foreach (var t in result.Weights.Values) t.MoveToOuterDisposeScope();
                return result;
            }
            catch
            {
                foreach (var t in _weights.Values) t.Dispose();
                throw;
            }
        }

        private ConvertedBert Walk()
        {
            // The embeddings, by name: the word embeddings are the data of a Gather.
            var wordInit = g.Initializers.FirstOrDefault(t => t.Name.EndsWith("embeddings.word_embeddings.weight", StringComparison.Ordinal))
                ?? throw g.Error("no word embeddings (an initializer named [prefix]embeddings.word_embeddings.weight): not a BERT-family encoder");
            _prefix = wordInit.Name[..^"embeddings.word_embeddings.weight".Length];
            if (wordInit.Dims.Count != 2) throw g.Error($"word embeddings '{wordInit.Name}' are not a matrix (shape [{string.Join(", ", wordInit.Dims)}])");
            long vocab = wordInit.Dims[0], hidden = wordInit.Dims[1];
            var gather = g.Consumers(wordInit.Name).FirstOrDefault(n => n.OpType == "Gather" && n.Input[0] == wordInit.Name)
                ?? throw g.Error($"word embeddings '{wordInit.Name}' are not looked up by a Gather node");
            var posInit = Named("embeddings.position_embeddings.weight", "position embeddings", 2, hidden);
            var typeInit = Named("embeddings.token_type_embeddings.weight", "token type embeddings", 2, hidden);
            AddWeight("embeddings.word_embeddings.weight", wordInit, transpose: false);
            AddWeight("embeddings.position_embeddings.weight", posInit, transpose: false);
            AddWeight("embeddings.token_type_embeddings.weight", typeInit, transpose: false);

            // Word + position + token type (Adds, in any order), then the embeddings' LayerNorm.
            string sum = gather.Output[0];
            LayerNorm? embLn = null;
            for (int step = 0; step < 6 && embLn is null; step++)
            {
                embLn = TryLayerNorm(sum);
                if (embLn is not null) break;
                var add = g.Consumers(sum).FirstOrDefault(n => n.OpType == "Add")
                    ?? throw g.Error($"no LayerNorm after the embeddings (the word embeddings' sum '{sum}' has no Add or LayerNorm after it)");
                sum = add.Output[0];
            }
            if (embLn is null) throw g.Error("no LayerNorm after the embeddings");
            AddLayerNorm("embeddings.LayerNorm", embLn, hidden);
            var eps = new List<double> { embLn.Eps };

            string h = embLn.Output;
            int layers = 0, heads = 0;
            long intermediate = 0;
            string? activation = null;
            while (true)
            {
                var projections = Linears(h);
                if (projections.Count == 0) break;
                var layer = ReadLayer(layers, h, hidden, projections);
                if (layers == 0) { heads = layer.Heads; intermediate = layer.Intermediate; activation = layer.Activation; }
                else if (layer.Heads != heads || layer.Intermediate != intermediate || layer.Activation != activation)
                    throw g.Error($"layer {layers} differs from layer 0 (heads {layer.Heads} vs {heads}, intermediate {layer.Intermediate} vs {intermediate}, activation {layer.Activation} vs {activation})");
                eps.AddRange(layer.Eps);
                h = layer.Output;
                layers++;
            }
            if (layers == 0) throw g.Error($"no encoder layer after the embeddings' LayerNorm (no query/key/value projections read '{h}')");
            if (eps.Distinct().Count() != 1)
                throw g.Error($"the LayerNorms' epsilons differ ({string.Join(", ", eps.Distinct().Select(e => e.ToString("R", CultureInfo.InvariantCulture)))})");

            bool pooler = TryPooler(h, hidden);
            var config = new BertConfig(BertConfig.Bert, (int)vocab, (int)hidden, layers, heads, (int)intermediate,
                (int)posInit.Dims[0], (int)typeInit.Dims[0], RoundToFloat(eps[0]), activation!, padTokenId, [], ["BertModel"]);
            if (config.PadTokenId >= vocab) throw g.Error($"pad token {config.PadTokenId} is outside the {vocab} word embeddings");
            return new ConvertedBert(config, new Dictionary<string, Tensor>(_weights, StringComparer.Ordinal), pooler, h);
        }

        private sealed record LayerInfo(string Output, int Heads, long Intermediate, string Activation, double[] Eps);

        private LayerInfo ReadLayer(int index, string h, long hidden, List<Linear> projections)
        {
            string where = $"layer {index}";
            string hf = $"encoder.layer.{index}.";
            if (projections.Count != 3)
                throw g.Error($"{where}: expected 3 projections (query, key, value) of the layer input '{h}', found {projections.Count}");
            foreach (var p in projections)
                if (p.In != hidden || p.Out != hidden)
                    throw g.Error($"{where}: a projection of the layer input has shape {p.In}x{p.Out}, not {hidden}x{hidden}");

            // Where each projection flows: (MatMul between activations, input slot, the Reshape met on the way).
            var flows = projections.Select(p => (Linear: p, Flow: FollowToMatMul(p.Output))).ToList();
            var query = flows.Where(f => f.Flow.Input == 0).ToList();
            if (query.Count != 1)
                throw g.Error($"{where}: expected one projection flowing into the attention scores as the query, found {query.Count}");
            var scores = query[0].Flow.Node;
            var key = flows.Where(f => f.Flow.Node == scores && f.Flow.Input == 1).ToList();
            var value = flows.Where(f => f.Flow.Node != scores && f.Flow.Input == 1).ToList();
            if (key.Count != 1 || value.Count != 1)
                throw g.Error($"{where}: the attention pattern is not query·keyᵀ then softmax·value (key projections {key.Count}, value projections {value.Count})");
            var context = value[0].Flow.Node;
            var (probsTo, _, _) = FollowToMatMul(scores.Output[0], through: ["Div", "Mul", "Add", "Sub", "Softmax", "Where", "Dropout", "Cast"]);
            if (probsTo != context) throw g.Error($"{where}: the attention scores do not reach the value's MatMul through a softmax");
            if (!OnPath(scores.Output[0], context, "Softmax")) throw g.Error($"{where}: no Softmax between the attention scores and the value's MatMul");

            int heads = Heads(where, query[0].Flow.Reshape, hidden);
            AddLinear(hf + "attention.self.query", query[0].Linear);
            AddLinear(hf + "attention.self.key", key[0].Linear);
            AddLinear(hf + "attention.self.value", value[0].Linear);

            // Context -> (transpose, reshape) -> output dense -> + h -> LayerNorm.
            var ctx = FollowToLinear(context.Output[0])
                ?? throw g.Error($"{where}: no attention output dense after the context MatMul");
            if (ctx.In != hidden || ctx.Out != hidden) throw g.Error($"{where}: the attention output dense has shape {ctx.In}x{ctx.Out}, not {hidden}x{hidden}");
            AddLinear(hf + "attention.output.dense", ctx);
            var ln1 = ResidualLayerNorm(where, "attention output", ctx.Output, h);
            AddLayerNorm(hf + "attention.output.LayerNorm", ln1, hidden);

            // Feed-forward: intermediate dense -> activation -> output dense -> + ln1 -> LayerNorm.
            var ffIn = Linears(ln1.Output);
            if (ffIn.Count != 1) throw g.Error($"{where}: expected one intermediate dense after the attention LayerNorm, found {ffIn.Count}");
            var inter = ffIn[0];
            if (inter.In != hidden) throw g.Error($"{where}: the intermediate dense reads {inter.In} features, not {hidden}");
            AddLinear(hf + "intermediate.dense", inter);
            var (ffOut, activation) = ActivationThenLinear(where, inter.Output);
            if (ffOut.In != inter.Out || ffOut.Out != hidden)
                throw g.Error($"{where}: the output dense has shape {ffOut.In}x{ffOut.Out}, not {inter.Out}x{hidden}");
            AddLinear(hf + "output.dense", ffOut);
            var ln2 = ResidualLayerNorm(where, "feed-forward output", ffOut.Output, ln1.Output);
            AddLayerNorm(hf + "output.LayerNorm", ln2, hidden);
            return new LayerInfo(ln2.Output, heads, inter.Out, activation, [ln1.Eps, ln2.Eps]);
        }

        /// <summary>The heads from the Reshape that splits the query: its target shape ends [heads, head size].</summary>
        private int Heads(string where, NodeProto? reshape, long hidden)
        {
            if (reshape is null) throw g.Error($"{where}: no Reshape splits the query into heads");
            var shape = ConstantShape(reshape.Input[1])
                ?? throw g.Error($"{where}: the query's Reshape target '{reshape.Input[1]}' is not built from constants");
            if (shape.Length < 2 || shape[^1] <= 0 || shape[^2] <= 0)
                throw g.Error($"{where}: the query's Reshape target [{string.Join(", ", shape)}] does not end with [heads, head size]");
            long heads = shape[^2], size = shape[^1];
            if (heads * size != hidden) throw g.Error($"{where}: {heads} heads of {size} do not make the hidden size {hidden}");
            return (int)heads;
        }

        /// <summary>A reshape target as constants: a constant tensor, or a Concat whose parts are constants where it
        /// matters (the dynamic parts, batch and length, become -1).</summary>
        private long[]? ConstantShape(string name)
        {
            if (g.Constant(name) is { } t) return g.Longs(t);
            var node = g.Producer(name);
            if (node?.OpType != "Concat") return null;
            var parts = new List<long>();
            foreach (var input in node.Input)
            {
                if (g.Constant(input) is { } c) parts.AddRange(g.Longs(c));
                else if (g.Producer(input)?.OpType == "Unsqueeze") parts.Add(-1);
                else return null;
            }
            return [.. parts];
        }

        /// <summary>Follows a value through reshapes/transposes (and the listed element-wise ops) to the first MatMul
        /// of two activations; which of its inputs the value reaches, and the first Reshape met.</summary>
        private (NodeProto Node, int Input, NodeProto? Reshape) FollowToMatMul(string value, IReadOnlyCollection<string>? through = null)
        {
            NodeProto? reshape = null;
            var current = value;
            for (int step = 0; step < 16; step++)
            {
                var next = g.Consumers(current).Where(n => n.OpType is not ("Shape" or "Size")).ToList();
                var matmul = next.FirstOrDefault(n => n.OpType == "MatMul" && g.Initializer(n.Input[1]) is null && g.Initializer(n.Input[0]) is null);
                if (matmul is not null) return (matmul, matmul.Input.IndexOf(current), reshape);
                if (next.Count != 1) break;
                var n0 = next[0];
                bool ok = PassThrough.Contains(n0.OpType) && n0.Input[0] == current
                    || (through?.Contains(n0.OpType) ?? false)
                    || n0.OpType is "Div" or "Mul" && n0.Input[0] == current && g.ScalarFloat(n0.Input[1]) is not null;
                if (!ok) break;
                if (n0.OpType == "Reshape") reshape ??= n0;
                current = n0.Output[0];
            }
            throw g.Error($"'{value}' does not flow into an attention MatMul (it reaches '{current}')");
        }

        /// <summary>Whether an op of type <paramref name="op"/> lies between a value and a node (a single chain).</summary>
        private bool OnPath(string value, NodeProto target, string op)
        {
            var current = value;
            bool seen = false;
            for (int step = 0; step < 16; step++)
            {
                var next = g.Consumers(current).Where(n => n.OpType is not ("Shape" or "Size")).ToList();
                if (next.Contains(target)) return seen;
                if (next.Count != 1) return false;
                seen |= next[0].OpType == op;
                current = next[0].Output[0];
            }
            return false;
        }

        /// <summary>Follows a value through reshapes/transposes to the one linear layer reading it.</summary>
        private Linear? FollowToLinear(string value)
        {
            var current = value;
            for (int step = 0; step < 8; step++)
            {
                var lin = Linears(current);
                if (lin.Count == 1) return lin[0];
                var next = g.Consumers(current).Where(n => n.OpType is not ("Shape" or "Size")).ToList();
                if (next.Count != 1 || !PassThrough.Contains(next[0].OpType) || next[0].Input[0] != current) return null;
                current = next[0].Output[0];
            }
            return null;
        }

        /// <summary>The activation between the intermediate dense and the output dense, and the output dense.</summary>
        private (Linear Out, string Activation) ActivationThenLinear(string where, string value)
        {
            var ops = new HashSet<string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal) { value };
            var frontier = new List<string> { value };
            string? approximate = null;
            for (int depth = 0; depth < 10 && frontier.Count > 0; depth++)
            {
                var next = new List<string>();
                foreach (var v in frontier)
                {
                    var lin = Linears(v);
                    if (lin.Count == 1 && v != value)
                    {
                        string act = ops.Contains("Erf") ? "gelu"
                            : ops.Contains("Tanh") || ops.Contains("FastGelu") ? "gelu_new"
                            : ops.Contains("Gelu") ? (approximate == "tanh" ? "gelu_new" : "gelu")
                            : ops.Contains("Relu") ? "relu"
                            : throw g.Error($"{where}: the activation after the intermediate dense is not GELU or ReLU (ops: {string.Join(", ", ops.Order())})");
                        return (lin[0], act);
                    }
                    foreach (var n in g.Consumers(v))
                    {
                        ops.Add(n.OpType);
                        if (n.OpType == "Gelu") approximate = n.Attribute.FirstOrDefault(a => a.Name == "approximate")?.S.ToStringUtf8();
                        foreach (var o in n.Output) if (seen.Add(o)) next.Add(o);
                    }
                }
                frontier = next;
            }
            throw g.Error($"{where}: no output dense after the intermediate dense's activation");
        }

        /// <summary>The residual Add of <paramref name="value"/> and <paramref name="residual"/>, then a LayerNorm.</summary>
        private LayerNorm ResidualLayerNorm(string where, string what, string value, string residual)
        {
            var add = g.Consumers(value).FirstOrDefault(n => n.OpType == "Add" && OnnxGraph.Other(n, value) == residual)
                ?? throw g.Error($"{where}: no residual connection (Add with the block's input '{residual}') after the {what}");
            return TryLayerNorm(add.Output[0]) ?? throw g.Error($"{where}: no LayerNorm after the {what}'s residual connection");
        }

        /// <summary>A LayerNorm over the last axis reading <paramref name="x"/>: a LayerNormalization node, or its
        /// decomposed form (x - mean; / sqrt(mean of squares + eps); * weight; + bias).</summary>
        private LayerNorm? TryLayerNorm(string x)
        {
            var consumers = g.Consumers(x);
            var fused = consumers.FirstOrDefault(n => n.OpType == "LayerNormalization" && n.Input[0] == x);
            if (fused is not null)
            {
                if (fused.Input.Count < 3) throw g.Error($"LayerNormalization '{fused.Name}' has no bias");
                var w = g.Initializer(fused.Input[1]) ?? throw g.Error($"LayerNormalization '{fused.Name}': scale '{fused.Input[1]}' is not an initializer");
                var b = g.Initializer(fused.Input[2]) ?? throw g.Error($"LayerNormalization '{fused.Name}': bias '{fused.Input[2]}' is not an initializer");
                var epsAttr = fused.Attribute.FirstOrDefault(a => a.Name == "epsilon");
                return new LayerNorm(w, b, epsAttr?.F ?? 1e-5f, fused.Output[0]);
            }
            var sub = consumers.FirstOrDefault(n => n.OpType == "Sub" && n.Input[0] == x && g.Producer(n.Input[1])?.OpType == "ReduceMean");
            if (sub is null) return null;
            var div = g.Consumers(sub.Output[0]).FirstOrDefault(n => n.OpType == "Div" && n.Input[0] == sub.Output[0]);
            if (div is null) return null;
            var sqrt = g.Producer(div.Input[1]);
            if (sqrt?.OpType != "Sqrt") return null;
            var addEps = g.Producer(sqrt.Input[0]);
            if (addEps?.OpType != "Add") return null;
            var eps = g.ScalarFloat(addEps.Input[1]) ?? g.ScalarFloat(addEps.Input[0]);
            if (eps is null) return null;
            var mul = g.Consumers(div.Output[0]).FirstOrDefault(n => n.OpType == "Mul" && g.Initializer(OnnxGraph.Other(n, div.Output[0]) ?? "") is not null);
            if (mul is null) return null;
            var weight = g.Initializer(OnnxGraph.Other(mul, div.Output[0])!)!;
            var add = g.Consumers(mul.Output[0]).FirstOrDefault(n => n.OpType == "Add" && g.Initializer(OnnxGraph.Other(n, mul.Output[0]) ?? "") is not null);
            if (add is null) return null;
            var bias = g.Initializer(OnnxGraph.Other(add, mul.Output[0])!)!;
            return new LayerNorm(weight, bias, eps.Value, add.Output[0]);
        }

        /// <summary>The linear layers reading <paramref name="x"/> directly: MatMul by a 2-D initializer then Add of a
        /// 1-D initializer, or Gemm with both.</summary>
        private List<Linear> Linears(string x)
        {
            var result = new List<Linear>();
            foreach (var n in g.Consumers(x))
            {
                if (n.OpType == "MatMul" && n.Input.Count == 2 && n.Input[0] == x && g.Initializer(n.Input[1]) is { Dims.Count: 2 } w)
                {
                    var add = g.Consumers(n.Output[0]).FirstOrDefault(a => a.OpType == "Add"
                        && g.Initializer(OnnxGraph.Other(a, n.Output[0]) ?? "") is { Dims.Count: 1 });
                    if (add is null) throw g.Error($"MatMul '{n.Name}' (weight '{w.Name}') has no bias Add after it");
                    var b = g.Initializer(OnnxGraph.Other(add, n.Output[0])!)!;
                    result.Add(new Linear(x, add.Output[0], w, b, WeightIsOutIn: false));
                }
                else if (n.OpType == "Gemm" && n.Input.Count == 3 && n.Input[0] == x
                    && g.Initializer(n.Input[1]) is { Dims.Count: 2 } gw && g.Initializer(n.Input[2]) is { Dims.Count: 1 } gb)
                {
                    if (n.Attribute.Any(a => a.Name == "transA" && a.I != 0)) throw g.Error($"Gemm '{n.Name}' transposes its input");
                    foreach (var a in n.Attribute)
                        if (a.Name is "alpha" or "beta" && a.F != 1f) throw g.Error($"Gemm '{n.Name}' scales by {a.Name} {a.F}");
                    bool transB = n.Attribute.Any(a => a.Name == "transB" && a.I != 0);
                    result.Add(new Linear(x, n.Output[0], gw, gb, WeightIsOutIn: transB));
                }
            }
            return result;
        }

        /// <summary>BERT's pooler on the last hidden state: Gather(first token) -> dense -> Tanh.</summary>
        private bool TryPooler(string h, long hidden)
        {
            foreach (var gather in g.Consumers(h).Where(n => n.OpType == "Gather" && n.Input[0] == h))
            {
                var axis = gather.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0;
                var index = g.Constant(gather.Input[1]);
                if (axis != 1 || index is null || g.Longs(index) is not [0]) continue;
                var dense = Linears(gather.Output[0]);
                if (dense.Count != 1 || !g.Consumers(dense[0].Output).Any(n => n.OpType == "Tanh")) continue;
                if (dense[0].In != hidden || dense[0].Out != hidden) throw g.Error($"the pooler dense has shape {dense[0].In}x{dense[0].Out}, not {hidden}x{hidden}");
                AddLinear("pooler.dense", dense[0]);
                return true;
            }
            return false;
        }

        private TensorProto Named(string suffix, string what, int rank, long hidden)
        {
            var t = g.Initializer(_prefix + suffix) ?? throw g.Error($"no {what} (an initializer named {_prefix + suffix})");
            if (t.Dims.Count != rank || t.Dims[^1] != hidden)
                throw g.Error($"{what} '{t.Name}' have shape [{string.Join(", ", t.Dims)}], not [*, {hidden}]");
            return t;
        }

        private void AddLayerNorm(string name, LayerNorm ln, long hidden)
        {
            foreach (var t in new[] { ln.Weight, ln.Bias })
                if (t.Dims.Count != 1 || t.Dims[0] != hidden) throw g.Error($"{name}: '{t.Name}' has shape [{string.Join(", ", t.Dims)}], not [{hidden}]");
            AddWeight(name + ".weight", ln.Weight, transpose: false);
            AddWeight(name + ".bias", ln.Bias, transpose: false);
        }

        private void AddLinear(string name, Linear lin)
        {
            AddWeight(name + ".weight", lin.Weight, transpose: !lin.WeightIsOutIn);
            AddWeight(name + ".bias", lin.Bias, transpose: false);
            if (lin.Bias.Dims[0] != lin.Out) throw g.Error($"{name}: bias '{lin.Bias.Name}' has {lin.Bias.Dims[0]} values for {lin.Out} outputs");
        }

        /// <summary>Adds a weight under its Hugging Face name; an initializer whose own name is a Hugging Face name
        /// must be that one (a check of the walk: query, key and value are not swapped, layers not shifted).</summary>
        private void AddWeight(string hfName, TensorProto init, bool transpose)
        {
            var own = init.Name.StartsWith(_prefix, StringComparison.Ordinal) ? init.Name[_prefix.Length..] : init.Name;
            if ((own.StartsWith("embeddings.", StringComparison.Ordinal) || own.StartsWith("encoder.", StringComparison.Ordinal)
                || own.StartsWith("pooler.", StringComparison.Ordinal)) && own != hfName)
                throw g.Error($"initializer '{init.Name}' sits where the graph has {hfName}");
            if (_weights.ContainsKey(hfName)) throw g.Error($"{hfName} found twice");
            var values = g.Floats(init);
            if (values.Any(v => !float.IsFinite(v))) throw g.Error($"initializer '{init.Name}' ({hfName}) holds NaN or infinite values");
            using var scope = NewDisposeScope();
            var t = torch.tensor(values, OnnxGraph.Shape(init), ScalarType.Float32);
            if (transpose) t = t.t().contiguous();
            _weights[hfName] = t.MoveToOuterDisposeScope();
        }

        /// <summary>A float32 epsilon as the decimal it was written as (9.99999996e-13 -> 1e-12).</summary>
        private static double RoundToFloat(double eps) =>
            double.Parse(((float)eps).ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
