using System.Reflection;
using System.Security.Cryptography;
using AttnXai.Engine;
using AttnXai.Engine.Compat;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Engine.Tests;

/// <summary>
/// The Debian 12 step (GlibcxxCompat): it is safe only while the single symbol bound to GLIBCXX_3.4.32 in TorchSharp's
/// native layer is GCC 13's never-called marker and no relocation refers to it. These tests read the package's own
/// file, so a future TorchSharp with a real dependency on the newer libstdc++ fails here instead of crashing later.
/// </summary>
public class CompatTests
{
    private static string PackageLibrary =>
        typeof(CompatTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PackageLibTorchSharp").Value!;

    private static string OutputLibrary => TorchEngine.LocalTorchSharpLibrary()
        ?? throw new InvalidOperationException($"no {GlibcxxCompat.TorchSharpLibrary} next to the tests in {AppContext.BaseDirectory}");

    [Fact]
    public void Only_the_marker_symbol_needs_the_version_and_no_relocation_refers_to_it()
    {
        Assert.True(File.Exists(PackageLibrary), $"the package's file is missing: {PackageLibrary}");
        var info = ElfVersionInfo.Read(PackageLibrary);
        var need = Assert.Single(info.Needs, n => n.Version == GlibcxxCompat.Version);
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);
        // The reader sees the library's symbol versions at all: thousands of symbols, many of them versioned.
        Assert.True(info.Symbols.Count > 1000);
        Assert.Contains(info.Needs, n => n.Version == "GLIBC_2.2.5");
        Assert.Equal([GlibcxxCompat.MarkerSymbol], info.SymbolsNeeding(GlibcxxCompat.Version).Distinct());
        Assert.Empty(info.RelocatedSymbolsNeeding(GlibcxxCompat.Version));
        // ...while relocations to other versioned symbols are seen (the check can fail).
        Assert.NotEmpty(info.RelocatedSymbolsNeeding("GLIBC_2.2.5"));
        Assert.Null(GlibcxxCompat.Unsafe(info));
    }

    [Fact]
    public void Weakening_changes_exactly_the_flags_of_that_one_requirement()
    {
        var original = File.ReadAllBytes(PackageLibrary);
        var patched = (byte[])original.Clone();
        Assert.True(GlibcxxCompat.TryWeaken(patched, "copy", out var refusal));
        Assert.Null(refusal);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        var need = ElfVersionInfo.Read(original, "original").Needs.Single(n => n.Version == GlibcxxCompat.Version);
        Assert.Equal([(int)need.FlagsOffset], changed);   // vna_flags 0 -> 2: one byte
        var after = ElfVersionInfo.Read(patched, "patched");
        Assert.All(after.Needs, n => Assert.Equal(n.Version == GlibcxxCompat.Version, n.IsWeak));
        // Weakening twice is a no-op.
        Assert.False(GlibcxxCompat.TryWeaken(patched, "again", out refusal));
        Assert.Null(refusal);
    }

    [Fact]
    public void A_library_with_another_symbol_on_the_version_is_refused()
    {
        // Rebind a second symbol (one that needs another libstdc++ version) to GLIBCXX_3.4.32 in .gnu.version.
        var bytes = File.ReadAllBytes(PackageLibrary);
        var info = ElfVersionInfo.Read(bytes, "copy");
        var target = info.Needs.Single(n => n.Version == GlibcxxCompat.Version);
        var other = info.Needs.First(n => n.Library == "libstdc++.so.6" && n.Version != GlibcxxCompat.Version);
        int victim = Enumerable.Range(0, info.Symbols.Count).First(i => (info.Symbols[i].Version & 0x7fff) == other.Index);
        long versym = VersymOffset(bytes);
        bytes[versym + 2 * victim] = (byte)target.Index;
        bytes[versym + 2 * victim + 1] = (byte)(target.Index >> 8);
        Assert.False(GlibcxxCompat.TryWeaken(bytes, "copy", out var refusal));
        Assert.Contains(info.Symbols[victim].Name, refusal);
    }

    [Fact]
    public void Corrupt_files_are_refused_by_name()
    {
        var bytes = File.ReadAllBytes(PackageLibrary);
        var ex = Assert.Throws<InvalidDataException>(() => ElfVersionInfo.Read(bytes.AsSpan(0, 4096).ToArray(), "cut.so"));
        Assert.Contains("cut.so", ex.Message);
        Assert.Throws<InvalidDataException>(() => ElfVersionInfo.Read("not an ELF file"u8.ToArray(), "text"));
    }

    [Fact]
    public void The_output_copy_is_patched_exactly_where_the_machine_needs_it_and_the_package_is_untouched()
    {
        bool needed = GlibcxxCompat.MachineNeedsStep(out var detail);
        var output = OutputLibrary;
        var need = ElfVersionInfo.Read(output).Needs.Single(n => n.Version == GlibcxxCompat.Version);
        Assert.True(need.IsWeak == needed, $"{detail}; {output}: weak = {need.IsWeak}");
        if (!needed) Assert.Equal(Hash(PackageLibrary), Hash(output));
        // The package's file keeps its strong requirement (never written through a hard link).
        Assert.False(ElfVersionInfo.Read(PackageLibrary).Needs.Single(n => n.Version == GlibcxxCompat.Version).IsWeak);
        // Where patched, the output file is a file of its own, not a hard link to the package's.
        if (needed) Assert.NotEqual(Inode(PackageLibrary), Inode(output));
    }

    [Fact]
    public void TorchSharp_loads_and_doctor_reports_the_step()
    {
        TorchEngine.Initialize();
        using var a = torch.ones([2, 2]);
        Assert.Equal(4.0, a.sum().ToDouble());
        Assert.Equal(OutputLibrary, TorchEngine.LoadedTorchSharpLibrary());
        var status = TorchEngine.CompatStatus();
        Assert.Contains(GlibcxxCompat.MachineNeedsStep(out _) ? "applied" : "not needed", status);
        Assert.StartsWith("2.", TorchEngine.LibTorchVersion);
        Assert.StartsWith("0.107", TorchEngine.TorchSharpVersion);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Inode(string path)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-L", "-c", "%d:%i", path]) { RedirectStandardOutput = true })!;
        var s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }

    /// <summary>File offset of .gnu.version (SHT_GNU_versym), read from the section headers.</summary>
    private static long VersymOffset(byte[] b)
    {
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + 64L * i;
            if (BitConverter.ToUInt32(b, (int)h + 4) == 0x6fffffff) return BitConverter.ToInt64(b, (int)h + 24);
        }
        throw new InvalidDataException("no .gnu.version");
    }
}
