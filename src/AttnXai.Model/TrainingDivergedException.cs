using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AttnXai.Common.IO;
using AttnXai.Data.Batching;
using AttnXai.Data.Labelled;
using AttnXai.Data.Text;
using AttnXai.Engine;
using AttnXai.Engine.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Model;

/// <summary>
/// Training diverged: the loss (or the validation loss) stopped being a finite number. The message names the epoch and
/// step; the output folder keeps the state of the last completed epoch (nothing of the diverged epoch is written).
/// </summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);
