using AttnXai.Data.Labelled;
using AttnXai.Data.Text;

namespace AttnXai.Data.Tests;

public class DelimitedReaderTests
{
    private static List<DelimitedRecord> Read(string s, char d = ',') => DelimitedReader.Read(new StringReader(s), d, "f.csv").ToList();

    [Fact]
    public void Rfc4180Quoting()
    {
        var r = Read("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n,\"\",z\n");
        Assert.Equal(3, r.Count);
        Assert.Equal(["a", "b", "c"], r[0].Fields);
        Assert.Equal(["x, y", "say \"hi\"", "two\nlines"], r[1].Fields);
        Assert.Equal(2, r[1].Line);
        Assert.Equal(["", "", "z"], r[2].Fields);
        Assert.Equal(4, r[2].Line); // the quoted line break counts
    }

    [Fact]
    public void TrailingEmptyFieldsBlankLinesAndNoFinalNewline()
    {
        var r = Read("a,\n\n\nb,c");
        Assert.Equal(["a", ""], r[0].Fields);
        Assert.Equal(["b", "c"], r[1].Fields);
        Assert.Equal(4, r[1].Line);
        Assert.Equal(["x", "y"], Read("x\ty", '\t')[0].Fields);
        Assert.Equal(["a\"b", "c"], Read("a\"b,c")[0].Fields); // a quote inside an unquoted field is literal
    }

    [Fact]
    public void QuotingErrorsNameTheLine()
    {
        var e = Assert.Throws<DataException>(() => Read("a,b\n1,\"open\n2,3\n"));
        Assert.StartsWith("f.csv: line 2: ", e.Message);
        Assert.Contains("unterminated quoted field", e.Message);
        e = Assert.Throws<DataException>(() => Read("a,b\n\"x\"y,1\n"));
        Assert.StartsWith("f.csv: line 2: ", e.Message);
        Assert.Contains("after a closing quote", e.Message);
    }
}

public class LabelledTextLoaderTests
{
    [Fact]
    public void CsvWithHeaderAndStringLabelsInTheGivenOrder()
    {
        using var dir = new TempDir();
        var path = dir.Write("reviews.csv", "id,label,text\n1,pos,\"Great, really great!\"\n2,neg,Dull\n3,neutral,\"So \"\"so\"\"\"\n");
        var set = LabelledTextLoader.Load(path, new LabelledTextOptions { Labels = LabelMap.Parse("neg,pos,neutral") });
        Assert.Equal(["neg", "pos", "neutral"], set.Labels.ClassNames);
        Assert.Equal([1, 0, 2], set.Items.Select(i => i.Label));
        Assert.Equal(["Great, really great!", "Dull", "So \"so\""], set.Items.Select(i => i.Text));
        Assert.Equal([2, 3, 4], set.Items.Select(i => i.Line));
    }

    [Fact]
    public void WithoutAMappingOnlyClassIdsAreAccepted()
    {
        using var dir = new TempDir();
        // Sorting would make "1" class 0 and "pos" class 1: refused, with the labels found and the way out.
        var mixed = dir.Write("m.csv", "text,label\na,pos\nb,1\n");
        var e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(mixed));
        Assert.Equal($"{mixed}: the labels are '1', 'pos': give them in class order (e.g. --labels 1,pos); only labels 0, 1, ... are taken as classes without it", e.Message);
        // One label only: its class cannot be told (it used to become class 0).
        var single = dir.Write("s.csv", "text,label\na,positive\nb,positive\n");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(single));
        Assert.StartsWith($"{single}: every label is 'positive'", e.Message);
        // Integers that are not 0..C-1 (star ratings) need the order too.
        var stars = dir.Write("r.csv", "text,label\na,1\nb,2\n");
        Assert.Contains("give them in class order", Assert.Throws<DataException>(() => LabelledTextLoader.Load(stars)).Message);
        // With the mapping, the single-label file reads fine.
        Assert.Equal([1, 1], LabelledTextLoader.Load(single, new LabelledTextOptions { Labels = LabelMap.Parse("negative,positive") }).Items.Select(i => i.Label));
    }

    [Fact]
    public void TsvWithoutQuotingKeepsQuotesAsText()
    {
        using var dir = new TempDir();
        // A real sentiment TSV: a field that starts with a quote and never closes it.
        var path = dir.Write("r.tsv", "text\tlabel\n\"quoted\" start and a lone \" here\t1\nplain\t0\n");
        Assert.Contains("after a closing quote", Assert.Throws<DataException>(() => LabelledTextLoader.Load(path)).Message);
        var set = LabelledTextLoader.Load(path, new LabelledTextOptions { Quoting = false });
        Assert.Equal(["\"quoted\" start and a lone \" here", "plain"], set.Items.Select(i => i.Text));
        Assert.Equal([1, 0], set.Items.Select(i => i.Label));
        Assert.Equal([2, 3], set.Items.Select(i => i.Line));
    }

    [Fact]
    public void LabelMapParse()
    {
        Assert.Equal(["neg", "pos"], LabelMap.Parse(" neg , pos").ClassNames);
        Assert.Equal("neg (class 0), pos (class 1)", LabelMap.Parse("neg,pos").Describe());
        Assert.Contains("one label", Assert.Throws<ArgumentException>(() => LabelMap.Parse("pos")).Message);
        Assert.Contains("empty label", Assert.Throws<ArgumentException>(() => LabelMap.Parse("neg,,pos")).Message);
        Assert.Contains("'pos' twice", Assert.Throws<ArgumentException>(() => LabelMap.Parse("pos,neg,pos")).Message);
    }

    [Fact]
    public void IntegerLabelsAreTheirOwnClasses()
    {
        using var dir = new TempDir();
        var path = dir.Write("r.csv", "text,label\na,1\nb,0\nc,2\n");
        var set = LabelledTextLoader.Load(path);
        Assert.Equal([1, 0, 2], set.Items.Select(i => i.Label));
        Assert.Equal(["0", "1", "2"], set.Labels.ClassNames);
    }

    [Fact]
    public void TsvWithoutHeaderByIndex()
    {
        using var dir = new TempDir();
        var path = dir.Write("r.tsv", "pos\tnice film\nneg\tbad film\n");
        var set = LabelledTextLoader.Load(path, new LabelledTextOptions { HasHeader = false, TextIndex = 1, LabelIndex = 0, Labels = LabelMap.Parse("neg,pos") });
        Assert.Equal(["nice film", "bad film"], set.Items.Select(i => i.Text));
        Assert.Equal([1, 0], set.Items.Select(i => i.Label));
    }

    [Fact]
    public void JsonLinesObjectsAndArrays()
    {
        using var dir = new TempDir();
        var path = dir.Write("r.jsonl", "{\"review\": \"fine\\nfilm\", \"y\": 1}\n\n{\"review\": \"meh\", \"y\": 0, \"extra\": [1]}\n");
        var set = LabelledTextLoader.Load(path, new LabelledTextOptions { TextColumn = "review", LabelColumn = "y" });
        Assert.Equal(["fine\nfilm", "meh"], set.Items.Select(i => i.Text));
        Assert.Equal([1, 0], set.Items.Select(i => i.Label));
        Assert.Equal([1, 3], set.Items.Select(i => i.Line));

        var arrays = dir.Write("a.ndjson", "[\"good\", \"yes\"]\n[\"bad\", \"no\"]\n");
        set = LabelledTextLoader.Load(arrays, new LabelledTextOptions { Labels = LabelMap.Parse("no,yes") });
        Assert.Equal(["no", "yes"], set.Labels.ClassNames);
        Assert.Equal([1, 0], set.Items.Select(i => i.Label));
    }

    [Fact]
    public void ExplicitLabelMapAndUnknownLabel()
    {
        using var dir = new TempDir();
        var map = new LabelMap(["neg", "pos"]);
        var path = dir.Write("r.csv", "text,label\na,pos\nb,neg\nc,maybe\n");
        var e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(path, new LabelledTextOptions { Labels = map, LabelsOrigin = "--labels" }));
        Assert.Equal($"{path}: line 4: label 'maybe' is not one of --labels ('neg', 'pos')", e.Message);

        var ok = dir.Write("ok.csv", "text,label\na,pos\nb,neg\n");
        Assert.Equal([1, 0], LabelledTextLoader.Load(ok, new LabelledTextOptions { Labels = map }).Items.Select(i => i.Label));
    }

    [Fact]
    public void MissingColumnIsReported()
    {
        using var dir = new TempDir();
        var path = dir.Write("r.csv", "review,label\na,1\n");
        var e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(path));
        Assert.StartsWith($"{path}: line 1: ", e.Message);
        Assert.Contains("missing column 'text'", e.Message);

        var shortRow = dir.Write("s.csv", "text,label\na,1\nb\n");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(shortRow));
        Assert.StartsWith($"{shortRow}: line 3: ", e.Message);
        Assert.Contains("missing column", e.Message);

        var json = dir.Write("j.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\"}\n");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(json));
        Assert.StartsWith($"{json}: line 2: ", e.Message);
        Assert.Contains("missing column 'label'", e.Message);
    }

    [Fact]
    public void OtherBadInputsAreReported()
    {
        using var dir = new TempDir();
        var badJson = dir.Write("j.jsonl", "{\"text\": \"a\", \"label\": 1}\n{not json}\n");
        var e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(badJson));
        Assert.StartsWith($"{badJson}: line 2: ", e.Message);
        Assert.Contains("not valid JSON", e.Message);

        var emptyLabel = dir.Write("e.csv", "text,label\na,\n");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(emptyLabel));
        Assert.StartsWith($"{emptyLabel}: line 2: ", e.Message);
        Assert.Contains("empty label", e.Message);

        var latin1 = dir.Write("l.csv", [.. "text,label\ncaf"u8, 0xE9, .. ",1\n"u8]);
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(latin1));
        Assert.StartsWith(latin1, e.Message);
        Assert.Contains("UTF-8", e.Message);

        var unknownExt = dir.Write("r.dat", "x");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(unknownExt));
        Assert.Contains("cannot tell the format", e.Message);

        var missing = dir.File("none.csv");
        e = Assert.Throws<DataException>(() => LabelledTextLoader.Load(missing));
        Assert.Equal($"{missing}: no such file", e.Message);
    }

    [Fact]
    public void LabelMapRoundTripAndEncodePath()
    {
        using var dir = new TempDir();
        var path = dir.Write("r.csv", "text,label\nGood film!,pos\nBad film.,neg\n");
        var set = LabelledTextLoader.Load(path, new LabelledTextOptions { Labels = LabelMap.Parse("neg,pos") });
        var mapFile = dir.File("labels.txt");
        set.Labels.Save(mapFile);
        Assert.Equal("neg\npos\n", File.ReadAllText(mapFile));
        Assert.Equal(set.Labels.ClassNames, LabelMap.Load(mapFile).ClassNames);

        var vocab = Vocabulary.Build(set.Items.Select(i => i.Text).ToArray(), BasicEnglishTokenizer.Instance);
        var encoded = set.Encode(new TextEncoder(BasicEnglishTokenizer.Instance, vocab, length: 5));
        Assert.Equal([1L, 0L], encoded.Labels);
        Assert.Equal([0L, vocab.GetId("good"), vocab.GetId("film"), vocab.GetId("!"), 1L], encoded.Row(0).ToArray());
    }
}
