using AttnXai.Torch.Interop;

namespace AttnXai.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>torch.nn.functional.</summary>
        public static class functional
        {
            private static Op O(string name, string overload = "") => Op.Get("aten::" + name, overload);

            public enum Reduction { None = 0, Mean = 1, Sum = 2 }

            /// <summary>Softmax cross-entropy of logits (N x C) against class indices (N).</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                O("cross_entropy_loss").Call(input, target, Arg.None, (long)reduction, -100L, 0.0);

            /// <summary>Rows of weight picked by the indices (any shape of int64).</summary>
            public static Tensor embedding(Tensor input, Tensor weight) => O("embedding").Call(weight, input, -1L, false, false);

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) => O("linear").Call(input, weight, bias);
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor dropout(Tensor x, double p, bool training) => O("dropout").Call(x, p, training);
            public static Tensor one_hot(Tensor x, long num_classes = -1) => O("one_hot").Call(x, num_classes);
        }
    }
}
