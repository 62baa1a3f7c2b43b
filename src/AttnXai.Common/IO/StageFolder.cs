using System.Text.Json;

namespace AttnXai.Common.IO;

/// <summary>
/// The resumable stages of a run folder (`attnxai reproduce`, `attnxai depth`), kept under OUT/.stages/:
/// <c>NAME.settings.json</c>, the settings a started stage runs with (written when it starts), and <c>NAME.json</c>,
/// the completed stage's record (written atomically, last). A stage done earlier with the same settings is skipped; a
/// stage started or done with other settings is refused, naming each setting that differs, there and now. The record
/// type <typeparamref name="T"/> is the study's own; <paramref name="settingsOf"/> reads the settings it recorded
/// (null: not recorded, by an earlier version: not compared).
/// </summary>
public sealed class StageFolder<T>(string outDir, Func<T, Dictionary<string, string>?> settingsOf) where T : class
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string OutDir { get; } = outDir;

    /// <summary>OUT/.stages</summary>
    public string Folder => Path.Combine(OutDir, StageFolder.Name);

    public string MarkerPath(string stage) => Path.Combine(Folder, stage + ".json");

    public string SettingsPath(string stage) => Path.Combine(Folder, stage + ".settings.json");

    /// <summary>The record of a completed stage; null when it has none. InvalidDataException naming the file when it
    /// is not a record.</summary>
    public T? Read(string stage) => File.Exists(MarkerPath(stage)) ? ReadRecord(MarkerPath(stage)) : null;

    /// <summary>A record file read back (InvalidDataException naming it when it is not one).</summary>
    public static T ReadRecord(string path)
    {
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty; delete it to recompute the stage"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a stage record ({JsonErrors.Describe(e)}); delete it to recompute the stage", e); }
    }

    /// <summary>Refuses the stage when it was completed or started here with other settings than <paramref name="now"/>.</summary>
    public void Check(string stage, Dictionary<string, string> now)
    {
        if (Read(stage) is { } done) CheckSettings(stage, settingsOf(done), now, "computed");
        if (File.Exists(SettingsPath(stage))) CheckSettings(stage, ReadStarted(stage), now, "started");
    }

    /// <summary>
    /// Before a stage runs: its earlier record when it was completed (settings checked: the caller skips it), else null
    /// after recording <paramref name="settings"/> as the started stage's (or checking them against those recorded when
    /// it was started and interrupted, whose partial results it goes on with).
    /// </summary>
    public T? Begin(string stage, Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Read(stage) is { } done)
        {
            CheckSettings(stage, settingsOf(done), settings, "computed");
            return done;
        }
        var started = SettingsPath(stage);
        if (File.Exists(started)) CheckSettings(stage, ReadStarted(stage), settings, "started");
        else AtomicFile.WriteAllText(started, JsonSerializer.Serialize(settings, Indented));
        return null;
    }

    /// <summary>Records a completed stage (atomically: a stage is done once its record is on disk).</summary>
    public void Complete(string stage, T record) => AtomicFile.WriteAllText(MarkerPath(stage), JsonSerializer.Serialize(record, Indented));

    /// <summary>Forgets a stage (its record and started settings), so that it runs again.</summary>
    public void Forget(string stage)
    {
        if (File.Exists(MarkerPath(stage))) File.Delete(MarkerPath(stage));
        if (File.Exists(SettingsPath(stage))) File.Delete(SettingsPath(stage));
    }

    private Dictionary<string, string>? ReadStarted(string stage)
    {
        var path = SettingsPath(stage);
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({JsonErrors.Describe(e)}); delete it and the stage's parts to recompute", e); }
    }

    /// <summary>Throws when <paramref name="recorded"/> differs from <paramref name="now"/>, naming each setting.</summary>
    private void CheckSettings(string stage, Dictionary<string, string>? recorded, Dictionary<string, string> now, string where)
    {
        if (recorded is null) return;
        var differing = now.Keys.Union(recorded.Keys).Order(StringComparer.Ordinal)
            .Where(k => recorded.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"{k}: {recorded.GetValueOrDefault(k) ?? "(none)"} there, {now.GetValueOrDefault(k) ?? "(none)"} now").ToList();
        if (differing.Count > 0)
            throw new InvalidOperationException($"{OutDir} holds stage {stage} {where} with other settings ({string.Join("; ", differing)}); use another --out folder, or delete it to recompute");
    }
}

/// <summary>Where <see cref="StageFolder{T}"/> keeps its files.</summary>
public static class StageFolder
{
    /// <summary>The folder of the stage files in a run folder.</summary>
    public const string Name = ".stages";
}
