// The leak test reads TorchEngine.LiveTensors, which counts every tensor of the process: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
