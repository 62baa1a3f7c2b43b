using System.Text;
using AttnXai.Data.Imdb;
using AttnXai.Data.Labelled;
using AttnXai.Data.Sources;

namespace AttnXai.Data.Tests;

public class DataSourceTests
{
    private static string Csv(int n, Func<int, string> label)
    {
        var sb = new StringBuilder("text,label\n");
        for (int i = 0; i < n; i++) sb.Append($"text number {i},{label(i)}\n");
        return sb.ToString();
    }

    [Fact]
    public void SingleFileIsSplitSeededIntoDisjointPartsThatCoverIt()
    {
        using var dir = new TempDir();
        var path = dir.Write("all.csv", Csv(100, i => i % 3 == 0 ? "neg" : "pos"));
        var options = new LabelledTextOptions { Labels = LabelMap.Parse("neg,pos") };
        var source = DataSource.Read(path, options);
        Assert.Equal(SourceKind.File, source.Kind);
        Assert.Null(source.Test);
        Assert.Null(source.Validation);
        Assert.Equal("all.csv:2", source.Train[0].Origin);

        var parts = PartSplit.Apply(source, null, null, 7);
        Assert.Equal(10, parts.Test.Count);        // a tenth of the file
        Assert.Equal(10, parts.Validation.Count);  // a tenth of the file, out of what is left
        Assert.Equal(80, parts.Train.Count);
        Assert.Equal((10, 10), (parts.TestSplitCount!.Value, parts.ValidationSplitCount!.Value));
        var all = parts.Train.Concat(parts.Validation).Concat(parts.Test).Select(d => d.Origin).ToList();
        Assert.Equal(100, all.Distinct().Count());
        // The vocabulary pool is everything but the test part; each part keeps the file's order.
        Assert.Equal(90, parts.VocabularyPool.Count);
        Assert.DoesNotContain(parts.VocabularyPool, d => parts.Test.Contains(d));
        Assert.Equal(parts.Test.OrderBy(d => int.Parse(d.Origin.Split(':')[1])), parts.Test);
        // Labels follow the mapping: line i + 2 holds text i.
        Assert.All(parts.Train, d => Assert.Equal((int.Parse(d.Origin.Split(':')[1]) - 2) % 3 == 0 ? 0 : 1, d.Label));

        // Same seed, same parts; another seed, other parts; explicit counts are honoured.
        Assert.Equal(parts.Test, PartSplit.Apply(DataSource.Read(path, options), null, null, 7).Test);
        Assert.NotEqual(parts.Test.Select(d => d.Origin), PartSplit.Apply(source, null, null, 8).Test.Select(d => d.Origin));
        var counted = PartSplit.Apply(source, 30, 20, 7);
        Assert.Equal((50, 30, 20), (counted.Train.Count, counted.Validation.Count, counted.Test.Count));
    }

    [Fact]
    public void CountsThatDoNotFitNameTheOption()
    {
        using var dir = new TempDir();
        var path = dir.Write("all.csv", Csv(10, i => (i % 2).ToString()));
        var source = DataSource.Read(path);
        Assert.Equal(["0", "1"], source.Labels.ClassNames);
        Assert.StartsWith("--test-count 9 does not fit 10 texts", Assert.Throws<ArgumentException>(() => PartSplit.Apply(source, null, 9, 1)).Message);
        Assert.StartsWith("--validation-count 9 does not fit the 9 training texts", Assert.Throws<ArgumentException>(() => PartSplit.Apply(source, 9, null, 1)).Message);
    }

    [Fact]
    public void FolderOfPartFilesSharesOneMappingAndSplitsOnlyWhatIsMissing()
    {
        using var dir = new TempDir();
        var folder = dir.File("sst");
        dir.Write("sst/train.tsv", "text\tlabel\ngood\tpos\nbad\tneg\nfine\tpos\nawful\tneg\n");
        dir.Write("sst/test.tsv", "text\tlabel\nnice\tpos\n");
        dir.Write("sst/notes.md", "ignored");
        var options = new LabelledTextOptions { Labels = LabelMap.Parse("neg,pos"), LabelsOrigin = "--labels" };
        Assert.Equal(SourceKind.Folder, DataSource.KindOf(folder));
        var source = DataSource.Read(folder, options);
        Assert.Equal(SourceKind.Folder, source.Kind);
        Assert.Null(source.Validation);
        Assert.Equal(["test.tsv:2"], source.Test!.Select(d => d.Origin));
        var parts = PartSplit.Apply(source, 1, null, 3);
        Assert.Equal((3, 1, 1), (parts.Train.Count, parts.Validation.Count, parts.Test.Count));
        Assert.Equal(4, parts.VocabularyPool.Count); // the whole train file
        Assert.Contains("has its own test part", Assert.Throws<ArgumentException>(() => PartSplit.Apply(source, null, 1, 3)).Message);

        // A validation file: nothing is split, and a validation count is an error.
        dir.Write("sst/dev.tsv", "text\tlabel\nok\tpos\nmeh\tneg\n");
        source = DataSource.Read(folder, options);
        Assert.Equal(2, source.Validation!.Count);
        parts = PartSplit.Apply(source, null, null, 3);
        Assert.Equal((4, 2, 1), (parts.Train.Count, parts.Validation.Count, parts.Test.Count));
        Assert.Contains("has one", Assert.Throws<ArgumentException>(() => PartSplit.Apply(source, 1, null, 3)).Message);

        // A label outside the mapping is named with its file and line, whichever part it is in.
        dir.Write("sst/test.tsv", "text\tlabel\nnice\tpos\nhm\tneutral\n");
        var e = Assert.Throws<DataException>(() => DataSource.Read(folder, options));
        Assert.Equal($"{Path.Combine(folder, "test.tsv")}: line 3: label 'neutral' is not one of --labels ('neg', 'pos')", e.Message);
    }

    [Fact]
    public void ImdbAsASourceKeepsThePapersSplit()
    {
        var train = Enumerable.Range(0, 50).Select(i => new ImdbReview(ImdbSplit.Train, i % 2, i, 7, $"review {i}")).ToList();
        var test = Enumerable.Range(0, 8).Select(i => new ImdbReview(ImdbSplit.Test, i % 2, i, 7, $"test {i}")).ToList();
        var data = new ImdbDataset("x", train, test);
        var source = DataSource.FromImdb(data);
        Assert.Equal(["neg", "pos"], source.Labels.ClassNames);
        var parts = PartSplit.Apply(source, 10, null, 42);
        var paper = data.SplitTrain(10, 42);
        Assert.Equal(paper.Validation.Select(r => r.RelativePath), parts.Validation.Select(d => d.Origin));
        Assert.Equal(paper.Train.Select(r => r.RelativePath), parts.Train.Select(d => d.Origin));
        Assert.Equal(50, parts.VocabularyPool.Count);
        Assert.Equal(8, parts.Test.Count);
        Assert.Null(parts.TestSplitCount);

        // A mapping that swaps the classes is applied; one that lacks IMDB's labels is refused.
        var swapped = DataSource.FromImdb(data, new LabelledTextOptions { Labels = LabelMap.Parse("pos,neg") });
        Assert.All(swapped.Train, d => Assert.Equal(int.Parse(d.Origin.Split('/')[2].Split('_')[0]) % 2 == 1 ? 0 : 1, d.Label));
        var e = Assert.Throws<DataException>(() => DataSource.FromImdb(data, new LabelledTextOptions { Labels = LabelMap.Parse("0,1"), LabelsOrigin = "the model's labels" }));
        Assert.Equal("x: IMDB's label 'neg' is not one of the model's labels ('0', '1')", e.Message);
    }

    [Fact]
    public void SampleAcrossLabelsTakesTurnsIsSeededAndRefusesTooMany()
    {
        var part = Enumerable.Range(0, 40).Select(i => new LabelledDocument($"t{i}", i < 30 ? 0 : 1, $"f:{i}")).ToList();
        var s = PartSplit.SampleAcrossLabels(part, 10, 5, "the test part");
        Assert.Equal(5, s.Count(d => d.Label == 0));
        Assert.Equal(5, s.Count(d => d.Label == 1));
        Assert.Equal(s.OrderBy(d => int.Parse(d.Origin[2..])), s);
        Assert.Equal(s, PartSplit.SampleAcrossLabels(part, 10, 5, "the test part"));
        Assert.NotEqual(s, PartSplit.SampleAcrossLabels(part, 10, 6, "the test part"));
        // Class 1 runs out after 10: the rest comes from class 0.
        var big = PartSplit.SampleAcrossLabels(part, 30, 5, "the test part");
        Assert.Equal((20, 10), (big.Count(d => d.Label == 0), big.Count(d => d.Label == 1)));
        Assert.Equal("--count 41 is more than the 40 documents of the test part",
            Assert.Throws<ArgumentException>(() => PartSplit.SampleAcrossLabels(part, 41, 5, "the test part")).Message);
    }

    [Fact]
    public void KindOfAPath()
    {
        using var dir = new TempDir();
        Assert.Equal(SourceKind.File, DataSource.KindOf(dir.Write("a.jsonl", "")));
        Assert.Equal(SourceKind.File, DataSource.KindOf(dir.File("missing.csv")));
        Assert.Equal(SourceKind.Imdb, DataSource.KindOf(dir.Write("aclImdb_v1.tar.gz", "")));
        Assert.Equal(SourceKind.Imdb, DataSource.KindOf(dir.Write("imdb.tar", "")));
        Assert.Equal(SourceKind.File, DataSource.KindOf(dir.Write("reviews.dat", "")));
        Assert.Equal(SourceKind.Imdb, DataSource.KindOf(dir.Path));
        dir.Write("x/train.jsonl", "");
        Assert.Equal(SourceKind.Folder, DataSource.KindOf(dir.File("x")));
    }
}
