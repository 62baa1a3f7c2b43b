// The converter's tests hold a 90 MB model in two engines at once: run the test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
