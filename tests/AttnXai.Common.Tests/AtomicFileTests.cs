using AttnXai.Common.IO;

public class AtomicFileTests
{
    [Fact]
    public void FailedWriteLeavesNeitherTargetNorTemporaryFile()
    {
        var dir = Directory.CreateTempSubdirectory("atomic").FullName;
        var target = Path.Combine(dir, "out.csv");
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.Write(target, s => { s.Write(new byte[100]); throw new InvalidOperationException("interrupted"); }));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void SuccessfulWriteReplacesTheOldContent()
    {
        var dir = Directory.CreateTempSubdirectory("atomic").FullName;
        var target = Path.Combine(dir, "out.txt");
        File.WriteAllText(target, "old");
        AtomicFile.WriteAllText(target, "new");
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir));
    }
}
