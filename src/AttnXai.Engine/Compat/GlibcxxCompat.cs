// The Debian 12 compatibility step for TorchSharp's native layer, in one file that two builds compile:
// - the AttnXai.Engine library (with ATTNXAI_ENGINE defined): `doctor` and the ELF test read libraries with it;
// - MSBuild's RoslynCodeTaskFactory (without it), which adds the task class at the bottom and runs it after every
//   build that copies libLibTorchSharp.so into an output folder (src/AttnXai.Engine/build/TorchSharpCompat.targets).
//
// The facts (issue 10): TorchSharp 0.107's libLibTorchSharp.so asks libstdc++ for the symbol version GLIBCXX_3.4.32
// (GCC 13); Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the dynamic loader refuses the whole library. The only
// symbol bound to that version is std::ios_base_library_init(), a marker GCC 13's <iostream> emits to pin the
// library version; no relocation refers to it, so nothing ever looks it up. Marking that one version requirement weak
// (VER_FLG_WEAK in its Vernaux entry of .gnu.version_r) lets the loader accept the library when the version is
// missing. The step writes a patched copy (a new file, never an in-place edit: output files may be hard links into
// the NuGet cache) and only on machines whose libstdc++ lacks the version.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace AttnXai.Engine.Compat
{
    // Written for netstandard2.0 too: MSBuild's RoslynCodeTaskFactory compiles this file against it.

    /// <summary>One version requirement of an ELF file (an entry of .gnu.version_r).</summary>
    public sealed class VersionNeed
    {
        /// <summary>VER_FLG_WEAK: the loader accepts the library without this version.</summary>
        public const ushort Weak = 0x2;

        public VersionNeed(string library, string version, ushort flags, ushort index, long flagsOffset)
        {
            Library = library; Version = version; Flags = flags; Index = index; FlagsOffset = flagsOffset;
        }

        /// <summary>The library asked (vn_file), e.g. libstdc++.so.6.</summary>
        public string Library { get; }
        public string Version { get; }
        /// <summary>vna_flags.</summary>
        public ushort Flags { get; }
        /// <summary>vna_other: the version index symbols refer to in .gnu.version.</summary>
        public ushort Index { get; }
        /// <summary>File offset of vna_flags.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & Weak) != 0;
    }

    /// <summary>What a dynamic ELF file (x86-64/AArch64, 64-bit little-endian) asks of other libraries: its version
    /// requirements, the undefined symbols bound to each, and the symbols its relocations refer to.</summary>
    public sealed class ElfVersionInfo
    {
        private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;

        public IReadOnlyList<VersionNeed> Needs { get; }

        /// <summary>Dynamic symbol names by index, with the version index from .gnu.version (0 when absent).</summary>
        public IReadOnlyList<(string Name, ushort Version)> Symbols { get; }

        /// <summary>Indexes into <see cref="Symbols"/> that some relocation (.rela.dyn, .rela.plt, .rel.*) refers to.</summary>
        public ICollection<int> RelocatedSymbols { get; }

        private ElfVersionInfo(List<VersionNeed> needs, List<(string, ushort)> symbols, HashSet<int> relocated)
        {
            Needs = needs;
            Symbols = symbols;
            RelocatedSymbols = relocated;
        }

        /// <summary>The dynamic symbols bound to <paramref name="version"/> (weak or not).</summary>
        public IEnumerable<string> SymbolsNeeding(string version)
        {
            var indexes = new HashSet<ushort>(Needs.Where(n => n.Version == version).Select(n => n.Index));
            return Symbols.Where(s => indexes.Contains((ushort)(s.Version & 0x7fff))).Select(s => s.Name);
        }

        /// <summary>The symbols bound to <paramref name="version"/> that a relocation refers to.</summary>
        public IEnumerable<string> RelocatedSymbolsNeeding(string version)
        {
            var indexes = new HashSet<ushort>(Needs.Where(n => n.Version == version).Select(n => n.Index));
            return RelocatedSymbols.Where(i => i < Symbols.Count && indexes.Contains((ushort)(Symbols[i].Version & 0x7fff)))
                .Select(i => Symbols[i].Name);
        }

        public static ElfVersionInfo Read(string path) => Read(File.ReadAllBytes(path), path);

        /// <summary>Parses the section headers, .gnu.version_r, .dynsym, .gnu.version and the relocation sections.
        /// Throws InvalidDataException naming <paramref name="where"/> on anything that is not a sound 64-bit
        /// little-endian ELF file.</summary>
        public static ElfVersionInfo Read(byte[] b, string where)
        {
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw new InvalidDataException($"{where}: not an ELF file");
            if (b[4] != 2 || b[5] != 1) throw new InvalidDataException($"{where}: not a 64-bit little-endian ELF file");
            long shoff = I64(b, 0x28, where);
            int shentsize = U16(b, 0x3A, where), shnum = U16(b, 0x3C, where);
            if (shentsize != 64 || shnum == 0) throw new InvalidDataException($"{where}: no usable section headers");
            var sections = new List<(uint Type, long Offset, long Size, uint Link, uint Info, long EntSize)>();
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                Check(b, h, 64, where);
                sections.Add((U32(b, h + 4, where), I64(b, h + 24, where), I64(b, h + 32, where), U32(b, h + 40, where),
                    U32(b, h + 44, where), I64(b, h + 56, where)));
            }
            foreach (var s in sections) Check(b, s.Offset, s.Type == 8 ? 0 : s.Size, where); // SHT_NOBITS has no bytes

            string Str(uint strtab, long offset)
            {
                if (strtab >= sections.Count) throw new InvalidDataException($"{where}: bad string table index");
                var st = sections[(int)strtab];
                if (offset < 0 || offset >= st.Size) throw new InvalidDataException($"{where}: string offset out of range");
                long start = st.Offset + offset, end = start;
                while (end < st.Offset + st.Size && b[end] != 0) end++;
                return Encoding.ASCII.GetString(b, (int)start, (int)(end - start));
            }

            var needs = new List<VersionNeed>();
            foreach (var s in sections.Where(s => s.Type == ShtVerneed))
            {
                long vn = s.Offset;
                for (uint k = 0; k < s.Info; k++)
                {
                    Check(b, vn, 16, where);
                    int cnt = U16(b, vn + 2, where);
                    string file = Str(s.Link, U32(b, vn + 4, where));
                    long aux = vn + U32(b, vn + 8, where);
                    for (int j = 0; j < cnt; j++)
                    {
                        Check(b, aux, 16, where);
                        needs.Add(new VersionNeed(file, Str(s.Link, U32(b, aux + 8, where)), (ushort)U16(b, aux + 4, where),
                            (ushort)U16(b, aux + 6, where), aux + 4));
                        uint nextAux = U32(b, aux + 12, where);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(b, vn + 12, where);
                    if (next == 0) break;
                    vn += next;
                }
            }

            var symbols = new List<(string, ushort)>();
            int dynsymIndex = sections.FindIndex(s => s.Type == ShtDynsym);
            if (dynsymIndex >= 0)
            {
                var ds = sections[dynsymIndex];
                var vs = sections.FirstOrDefault(s => s.Type == ShtVersym);
                long count = ds.EntSize > 0 ? ds.Size / ds.EntSize : 0;
                for (long i = 0; i < count; i++)
                {
                    long e = ds.Offset + i * ds.EntSize;
                    ushort version = 0;
                    if (vs.Type == ShtVersym && i * 2 + 2 <= vs.Size) version = (ushort)U16(b, vs.Offset + i * 2, where);
                    symbols.Add((Str(ds.Link, U32(b, e, where)), version));
                }
            }

            var relocated = new HashSet<int>();
            foreach (var s in sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link == dynsymIndex && dynsymIndex >= 0))
            {
                long size = s.EntSize > 0 ? s.EntSize : (s.Type == ShtRela ? 24 : 16);
                for (long off = 0; off + size <= s.Size; off += size)
                    relocated.Add((int)((ulong)I64(b, s.Offset + off + 8, where) >> 32));
            }
            return new ElfVersionInfo(needs, symbols, relocated);
        }

        private static void Check(byte[] b, long offset, long length, string where)
        {
            if (offset < 0 || length < 0 || offset > b.LongLength || length > b.LongLength - offset)
                throw new InvalidDataException($"{where}: truncated or corrupt ELF file");
        }

        private static int U16(byte[] b, long o, string w) { Check(b, o, 2, w); return b[o] | b[o + 1] << 8; }
        private static uint U32(byte[] b, long o, string w) { Check(b, o, 4, w); return BitConverter.ToUInt32(b, (int)o); }
        private static long I64(byte[] b, long o, string w) { Check(b, o, 8, w); return BitConverter.ToInt64(b, (int)o); }
    }

    /// <summary>The Debian 12 step itself: the version TorchSharp needs, the one marker symbol allowed to need it, the
    /// check of the machine's libstdc++ and the weakening of that one requirement in a new copy of a library.</summary>
    public static class GlibcxxCompat
    {
        public const string Version = "GLIBCXX_3.4.32";

        /// <summary>std::ios_base_library_init(): GCC 13's version marker, never called.</summary>
        public const string MarkerSymbol = "_ZSt21ios_base_library_initv";

        public const string TorchSharpLibrary = "libLibTorchSharp.so";

        /// <summary>Why <paramref name="info"/> cannot be made loadable by weakening <see cref="Version"/>, or null
        /// when it can: another symbol needs the version, or a relocation refers to a symbol that needs it.</summary>
        public static string? Unsafe(ElfVersionInfo info)
        {
            var others = info.SymbolsNeeding(Version).Where(s => s != MarkerSymbol).Distinct().ToList();
            if (others.Count > 0)
                return $"symbols other than {MarkerSymbol} need {Version}: {string.Join(", ", others.Take(5))}";
            var relocated = info.RelocatedSymbolsNeeding(Version).Distinct().ToList();
            if (relocated.Count > 0)
                return $"a relocation refers to {string.Join(", ", relocated)}, which needs {Version}";
            return null;
        }

        /// <summary>The libstdc++.so.6 the dynamic loader would pick on this machine (LD_LIBRARY_PATH, then
        /// ld.so.cache's usual folders), or null when none is found.</summary>
        public static string? FindLibstdcxx()
        {
            var dirs = new List<string>();
            var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(new[]
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib64", "/usr/local/lib",
            });
            foreach (var d in dirs)
            {
                var p = Path.Combine(d, "libstdc++.so.6");
                if (File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>True when the library defines <paramref name="version"/> (its name appears NUL-terminated among
        /// its version definitions; a plain byte search is enough for these fixed names).</summary>
        public static bool Defines(string library, string version)
        {
            var needle = Encoding.ASCII.GetBytes(version + "\0");
            var bytes = File.ReadAllBytes(library);
            for (int i = 0; i + needle.Length <= bytes.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && bytes[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        /// <summary>True when this machine's libstdc++ lacks <see cref="Version"/> (Linux only).</summary>
        public static bool MachineNeedsStep(out string detail)
        {
            if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux))
            {
                detail = "not Linux";
                return false;
            }
            var lib = FindLibstdcxx();
            if (lib is null) { detail = "no libstdc++.so.6 found"; return false; }
            bool has = Defines(lib, Version);
            detail = $"{lib} {(has ? "defines" : "lacks")} {Version}";
            return !has;
        }

        /// <summary>The bytes of <paramref name="source"/> with the <see cref="Version"/> requirement marked weak, after
        /// checking that nothing but the marker needs it. Returns false (bytes unchanged) when the file has no such
        /// requirement or it is weak already.</summary>
        public static bool TryWeaken(byte[] bytes, string where, out string? refusal)
        {
            var info = ElfVersionInfo.Read(bytes, where);
            var need = info.Needs.FirstOrDefault(n => n.Version == Version);
            refusal = null;
            if (need is null || need.IsWeak) return false;
            refusal = Unsafe(info);
            if (refusal is not null) return false;
            ushort flags = (ushort)(need.Flags | VersionNeed.Weak);
            bytes[need.FlagsOffset] = (byte)flags;
            bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
            return true;
        }

        /// <summary>Replaces <paramref name="path"/> by a patched copy: a new file written beside it and renamed over
        /// it, so that a hard link into the NuGet cache is never written through. Returns what was done.</summary>
        public static string PatchFile(string path)
        {
            var bytes = File.ReadAllBytes(path);
            if (!TryWeaken(bytes, path, out var refusal))
                return refusal is null ? "already compatible" : throw new InvalidDataException($"{path}: cannot apply the Debian 12 step: {refusal}");
            var tmp = path + ".attnxai-tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Delete(path);   // unlinks a hard link; the NuGet cache's file is untouched
            File.Move(tmp, path);
            return $"{Version} requirement weakened";
        }
    }
}

#if !ATTNXAI_ENGINE
namespace AttnXai.Engine.Compat.Build
{
    /// <summary>MSBuild task: patches every libLibTorchSharp.so given, only where this machine needs the step.</summary>
    public sealed class WeakenGlibcxxMarker : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            if (Files.Length == 0) return true;
            if (!AttnXai.Engine.Compat.GlibcxxCompat.MachineNeedsStep(out var detail))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"TorchSharp compatibility step not needed: {detail}");
                return true;
            }
            foreach (var f in Files)
            {
                try
                {
                    var what = AttnXai.Engine.Compat.GlibcxxCompat.PatchFile(f.ItemSpec);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{f.ItemSpec}: {what} ({detail})");
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    Log.LogError($"TorchSharp compatibility step failed: {e.Message}");
                    return false;
                }
            }
            return true;
        }
    }
}
#endif
