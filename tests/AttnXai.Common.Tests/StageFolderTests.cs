using AttnXai.Common.IO;

/// <summary>
/// The resumable stages of a run folder: a stage runs once (its record read back when done), a started or completed
/// stage is refused with other settings (each difference named, there and now), an unrecorded earlier record is not
/// compared, a damaged record is one error naming the file, and Forget makes a stage run again.
/// </summary>
public sealed class StageFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stages").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed record Rec(string Name, double Seconds, Dictionary<string, string>? Settings);

    private static StageFolder<Rec> Stages(string dir) => new(dir, r => r.Settings);

    private static Dictionary<string, string> S(string docs, string seed = "0") => new() { ["docs"] = docs, ["seed"] = seed };

    [Fact]
    public void A_stage_runs_once_and_other_settings_are_refused_by_name()
    {
        var dir = Path.Combine(_root, "run");
        var stages = Stages(dir);
        Assert.Null(stages.Begin("measure", S("5")));                                  // not done: runs
        Assert.True(File.Exists(Path.Combine(dir, StageFolder.Name, "measure.settings.json")));
        Assert.Null(stages.Read("measure"));

        // Interrupted, then resumed: the started stage goes on with the same settings, is refused with others.
        Assert.Null(Stages(dir).Begin("measure", S("5")));
        var started = Assert.Throws<InvalidOperationException>(() => Stages(dir).Begin("measure", S("6", "1")));
        Assert.Contains("stage measure started with other settings (docs: 5 there, 6 now; seed: 0 there, 1 now)", started.Message);

        stages.Complete("measure", new Rec("measure", 1.5, S("5")));
        var done = Stages(dir).Begin("measure", S("5"));                                 // done: skipped, its record back
        Assert.Equal(1.5, done!.Seconds);
        var e = Assert.Throws<InvalidOperationException>(() => Stages(dir).Check("measure", S("7")));
        Assert.Contains("stage measure computed with other settings (docs: 5 there, 7 now)", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Stages(dir).Check("measure", new() { ["docs"] = "5" }));
        Assert.Contains("seed: 0 there, (none) now", e.Message);

        stages.Forget("measure");
        Assert.Null(stages.Read("measure"));
        Assert.Null(stages.Begin("measure", S("7")));                                  // runs again, other settings welcome
    }

    [Fact]
    public void An_unrecorded_record_is_not_compared_and_a_damaged_one_is_named()
    {
        var stages = Stages(Path.Combine(_root, "old"));
        Directory.CreateDirectory(stages.Folder);
        stages.Complete("old", new Rec("old", 2, null));                               // written before settings were kept
        Assert.Equal("old", stages.Begin("old", S("5"))!.Name);
        File.WriteAllText(stages.MarkerPath("bad"), "{ \"Name\": ");
        var e = Assert.Throws<InvalidDataException>(() => stages.Begin("bad", S("5")));
        Assert.StartsWith(stages.MarkerPath("bad") + ": not a stage record (", e.Message);
    }
}
