using AttnXai.Common.IO;

namespace AttnXai.Common.Tests;

public class CsvTests
{
    [Fact]
    public void Table_round_trips_through_the_parser_with_quoting_and_invariant_numbers()
    {
        var t = new CsvTable("name", "value", "note");
        t.Add("a,b", 0.1, "say \"hi\"\nbye");
        t.Add("c", double.NaN, null);
        var (h, rows) = Csv.Parse(t.ToString());
        Assert.Equal(["name", "value", "note"], h);
        Assert.Equal(["a,b", "0.1", "say \"hi\"\nbye"], rows[0]);
        Assert.Equal(["c", "NaN", ""], rows[1]);
        Assert.Equal("", Csv.Num(double.PositiveInfinity));
        Assert.Equal("1E-05", Csv.Num(1e-5));
    }
}
