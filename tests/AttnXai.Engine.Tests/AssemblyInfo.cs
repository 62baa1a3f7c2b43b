// The leak tests read TorchSharp's per-thread live-tensor statistics: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
