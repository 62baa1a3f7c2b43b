using AttnXai.Data.Batching;
using AttnXai.Data.Imdb;

namespace AttnXai.Data.Tests;

public class SplitTests
{
    [Fact]
    public void SameSeedSameSplitDifferentSeedDifferentSplit()
    {
        var a = DataSplits.TrainValidationIndices(25_000, 5_000, 42);
        var b = DataSplits.TrainValidationIndices(25_000, 5_000, 42);
        var c = DataSplits.TrainValidationIndices(25_000, 5_000, 43);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
    }

    [Fact]
    public void TrainAndValidationAreDisjointAndCover()
    {
        var (train, validation) = DataSplits.TrainValidationIndices(25_000, 5_000, 42);
        Assert.Equal(20_000, train.Length);
        Assert.Equal(5_000, validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 25_000), train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);           // each part ascending
        Assert.Equal(validation.Order(), validation);
    }

    [Fact]
    public void SplitOfItemsFollowsTheIndices()
    {
        var items = Enumerable.Range(100, 50).ToArray();
        var s = DataSplits.TrainValidation(items, 10, 1);
        Assert.Equal(s.TrainIndices.Select(i => items[i]), s.Train);
        Assert.Equal(s.ValidationIndices.Select(i => items[i]), s.Validation);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.TrainValidation(items, 51, 1));
    }
}

public class BatchTests
{
    private static EncodedDataset Data(int n, int len, bool mask = false)
    {
        var ids = new long[n * len];
        for (int i = 0; i < n; i++) for (int t = 0; t < len; t++) ids[i * len + t] = i * 100 + t;
        var m = mask ? Enumerable.Range(0, n * len).Select(k => k % len < 2).ToArray() : null;
        return new EncodedDataset(ids, Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray(), len, m,
            new int[n], new int[n], new bool[n]);
    }

    [Fact]
    public void BatchesHoldTheRowsTheySay()
    {
        var data = Data(10, 3, mask: true);
        var batcher = new MiniBatcher(data, batchSize: 4, seed: 42);
        var batches = batcher.Epoch(0).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.BatchSize));
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.Indices).Order());
        foreach (var b in batches)
        {
            Assert.Equal(3, b.Length);
            Assert.Equal(b.BatchSize * 3, b.Ids.Length);
            for (int k = 0; k < b.BatchSize; k++)
            {
                Assert.Equal(data.Row(b.Indices[k]).ToArray(), b.Ids.AsSpan(k * 3, 3).ToArray());
                Assert.Equal(data.Labels[b.Indices[k]], b.Labels[k]);
                Assert.Equal([true, true, false], b.Mask!.AsSpan(k * 3, 3).ToArray());
            }
        }
    }

    [Fact]
    public void DropLastDropsTheShortBatch()
    {
        var batcher = new MiniBatcher(Data(10, 2), batchSize: 4, seed: 1, dropLast: true);
        Assert.Equal(2, batcher.BatchesPerEpoch);
        Assert.All(batcher.Epoch(3), b => Assert.Equal(4, b.BatchSize));
    }

    [Fact]
    public void EpochOrderDependsOnlyOnSeedAndEpoch()
    {
        var data = Data(100, 1);
        var a = new MiniBatcher(data, 16, seed: 42);
        var b = new MiniBatcher(data, 16, seed: 42);
        Assert.Equal(a.EpochOrder(5), b.EpochOrder(5));          // fresh instance, same order
        Assert.NotEqual(a.EpochOrder(0), a.EpochOrder(1));       // epochs differ
        Assert.NotEqual(a.EpochOrder(0), new MiniBatcher(data, 16, seed: 43).EpochOrder(0));
        // Resuming mid-epoch gives the same remaining batches.
        var full = a.Epoch(2).ToList();
        var resumed = b.Epoch(2, startBatch: 3).ToList();
        Assert.Equal(full.Skip(3).Select(x => x.Indices), resumed.Select(x => x.Indices));
        Assert.Equal(full[4].Ids, b.GetBatch(2, 4).Ids);
    }

    [Fact]
    public void NoShuffleKeepsOrder()
    {
        var batcher = new MiniBatcher(Data(5, 1), 2, seed: 0, shuffle: false);
        Assert.Equal([[0, 1], [2, 3], [4]], batcher.Epoch(0).Select(b => b.Indices));
    }
}
