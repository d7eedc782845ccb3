// The load fix for TorchSharp's glue library on Linux systems whose libstdc++ predates GCC 13 (Debian 12 and
// others): compiled by MSBuild's RoslynCodeTaskFactory from Microsoft.ML.Pcr.targets, and linked into the tests.
//
// libLibTorchSharp.so (TorchSharp 0.107.0) records that it needs version GLIBCXX_3.4.32 of libstdc++.so.6.
// Exactly one symbol carries that version, _ZSt21ios_base_library_initv, which GCC 13's <iostream> emits and
// nothing calls through a relocation. Marking that one version requirement weak (VER_FLG_WEAK in its Vernaux
// entry of .gnu.version_r) lets the dynamic loader accept an older libstdc++. The ELF structures are read
// through the section headers, .dynsym, .gnu.version and .gnu.version_r, never by byte patterns; the file is
// written to a temporary file beside it and renamed over it (which also breaks a hard link to a package cache).
//
// This file is compiled against .NET Standard 2.0 by the task factory: no spans or BinaryPrimitives here.
#nullable disable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Microsoft.ML.Pcr.Build
{
    /// <summary>What <see cref="ElfVersionRequirements.MakeWeak"/> found or did.</summary>
    public enum WeakVersionOutcome
    {
        /// <summary>The file does not require the version from that library: nothing to do.</summary>
        NotRequired,
        /// <summary>The requirement was already weak.</summary>
        AlreadyWeak,
        /// <summary>The requirement is now weak.</summary>
        MadeWeak,
    }

    /// <summary>Reads and edits the symbol version requirements of an ELF64 little-endian shared library.</summary>
    public sealed class ElfVersionRequirements
    {
        private const uint ShtDynsym = 11;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;

        /// <summary>VER_FLG_WEAK: a missing version is not fatal.</summary>
        public const ushort VerFlagWeak = 0x2;

        private readonly byte[] _elf;
        private readonly string _name;
        private readonly List<Section> _sections = new List<Section>();

        private struct Section
        {
            public uint Type;
            public ulong Offset;
            public ulong Size;
            public uint Link;
            public uint Info;
            public ulong EntrySize;
        }

        /// <summary>A Vernaux entry: one version needed from one library.</summary>
        public struct VersionNeed
        {
            /// <summary>The library's file name (e.g. libstdc++.so.6).</summary>
            public string Library;
            /// <summary>The version name (e.g. GLIBCXX_3.4.32).</summary>
            public string Version;
            /// <summary>vna_flags.</summary>
            public ushort Flags;
            /// <summary>vna_other: the index .gnu.version uses for this version.</summary>
            public ushort Index;
            /// <summary>Where vna_flags sits in the file.</summary>
            public long FlagsOffset;
        }

        /// <summary>Parses <paramref name="elf"/>; <paramref name="name"/> names the file in errors.</summary>
        public ElfVersionRequirements(byte[] elf, string name)
        {
            _elf = elf;
            _name = name;
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw Bad("it is not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw Bad("it is not a 64-bit little-endian ELF file");
            ulong shoff = U64(0x28);
            ushort shentsize = U16(0x3A);
            ushort shnum = U16(0x3C);
            if (shoff == 0 || shnum == 0)
                throw Bad("it has no section headers");
            if (shentsize < 64)
                throw Bad("its section header size " + shentsize + " is smaller than ELF64's 64 bytes");
            Check(shoff, (ulong)shentsize * shnum, "the section header table");
            for (int i = 0; i < shnum; i++)
            {
                long h = (long)shoff + (long)i * shentsize;
                var s = new Section
                {
                    Type = U32(h + 4),
                    Offset = U64(h + 24),
                    Size = U64(h + 32),
                    Link = U32(h + 40),
                    Info = U32(h + 44),
                    EntrySize = U64(h + 56),
                };
                if (s.Type != 8) // SHT_NOBITS occupies no file bytes
                    Check(s.Offset, s.Size, "section " + i);
                _sections.Add(s);
            }
        }

        /// <summary>Every Vernaux entry of .gnu.version_r (empty when the file has none).</summary>
        public List<VersionNeed> GetVersionNeeds()
        {
            var needs = new List<VersionNeed>();
            int verneed = FindSection(ShtGnuVerneed);
            if (verneed < 0)
                return needs;
            Section s = _sections[verneed];
            Section strtab = StringTable(s.Link, ".gnu.version_r");
            long offset = (long)s.Offset;
            long end = (long)(s.Offset + s.Size);
            for (uint n = 0; n < s.Info; n++)
            {
                if (offset + 16 > end) throw Bad("a Verneed entry lies outside .gnu.version_r");
                ushort count = U16(offset + 2);
                string library = String(strtab, U32(offset + 4));
                long aux = offset + U32(offset + 8);
                for (int a = 0; a < count; a++)
                {
                    if (aux < (long)s.Offset || aux + 16 > end) throw Bad("a Vernaux entry lies outside .gnu.version_r");
                    needs.Add(new VersionNeed
                    {
                        Library = library,
                        Flags = U16(aux + 4),
                        Index = (ushort)(U16(aux + 6) & 0x7fff),
                        Version = String(strtab, U32(aux + 8)),
                        FlagsOffset = aux + 4,
                    });
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(offset + 12);
                if (next == 0) break;
                offset += next;
            }
            return needs;
        }

        /// <summary>Every version this file defines (.gnu.version_d), e.g. the GLIBCXX_* of libstdc++.</summary>
        public List<string> GetVersionDefinitions()
        {
            var names = new List<string>();
            int verdef = FindSection(ShtGnuVerdef);
            if (verdef < 0)
                return names;
            Section s = _sections[verdef];
            Section strtab = StringTable(s.Link, ".gnu.version_d");
            long offset = (long)s.Offset;
            long end = (long)(s.Offset + s.Size);
            for (uint n = 0; n < s.Info; n++)
            {
                if (offset + 20 > end) throw Bad("a Verdef entry lies outside .gnu.version_d");
                long aux = offset + U32(offset + 12);
                if (U16(offset + 6) > 0)
                {
                    if (aux < (long)s.Offset || aux + 8 > end) throw Bad("a Verdaux entry lies outside .gnu.version_d");
                    names.Add(String(strtab, U32(aux)));
                }
                uint next = U32(offset + 16);
                if (next == 0) break;
                offset += next;
            }
            return names;
        }

        /// <summary>The names of the dynamic symbols whose .gnu.version entry is <paramref name="versionIndex"/>.</summary>
        public List<string> GetSymbolsOfVersion(ushort versionIndex)
        {
            var names = new List<string>();
            int versym = FindSection(ShtGnuVersym);
            int dynsym = FindSection(ShtDynsym);
            if (versym < 0 || dynsym < 0)
                return names;
            Section symbols = _sections[dynsym];
            Section versions = _sections[versym];
            ulong entry = symbols.EntrySize == 0 ? 24 : symbols.EntrySize;
            if (entry < 24) throw Bad(".dynsym's entry size " + entry + " is smaller than ELF64's 24 bytes");
            ulong count = symbols.Size / entry;
            if (versions.Size / 2 < count) throw Bad(".gnu.version has fewer entries than .dynsym");
            Section strtab = StringTable(symbols.Link, ".dynsym");
            for (ulong i = 0; i < count; i++)
            {
                ushort v = (ushort)(U16((long)(versions.Offset + 2 * i)) & 0x7fff);
                if (v == versionIndex)
                    names.Add(String(strtab, U32((long)(symbols.Offset + i * entry))));
            }
            return names;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the requirement of <paramref name="version"/> from <paramref name="library"/>
        /// in the bytes (the caller writes them out), after checking that no symbol other than
        /// <paramref name="allowedSymbols"/> carries that version.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is malformed, or another symbol needs the version.</exception>
        public WeakVersionOutcome MakeWeak(string library, string version, ICollection<string> allowedSymbols)
        {
            foreach (VersionNeed need in GetVersionNeeds())
            {
                if (need.Library != library || need.Version != version)
                    continue;
                var others = new List<string>();
                foreach (string symbol in GetSymbolsOfVersion(need.Index))
                    if (!allowedSymbols.Contains(symbol)) others.Add(symbol);
                if (others.Count > 0)
                    throw Bad("besides " + string.Join(", ", allowedSymbols) + ", it needs " + version + " for " +
                        string.Join(", ", others) + "; marking the version weak would leave those unresolved");
                if ((need.Flags & VerFlagWeak) != 0)
                    return WeakVersionOutcome.AlreadyWeak;
                ushort flags = (ushort)(need.Flags | VerFlagWeak);
                _elf[need.FlagsOffset] = (byte)flags;
                _elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                return WeakVersionOutcome.MadeWeak;
            }
            return WeakVersionOutcome.NotRequired;
        }

        private int FindSection(uint type)
        {
            for (int i = 0; i < _sections.Count; i++)
                if (_sections[i].Type == type) return i;
            return -1;
        }

        private Section StringTable(uint index, string of)
        {
            if (index == 0 || index >= _sections.Count)
                throw Bad(of + " links to section " + index + ", which does not exist");
            return _sections[(int)index];
        }

        private string String(Section table, uint offset)
        {
            if (offset >= table.Size) throw Bad("a name offset " + offset + " lies outside its string table");
            long start = (long)table.Offset + offset;
            long end = start;
            long limit = (long)(table.Offset + table.Size);
            while (end < limit && _elf[end] != 0) end++;
            if (end == limit) throw Bad("a name in a string table is not terminated");
            return Encoding.ASCII.GetString(_elf, (int)start, (int)(end - start));
        }

        private void Check(ulong offset, ulong size, string what)
        {
            if (offset > (ulong)_elf.Length || size > (ulong)_elf.Length - offset)
                throw Bad(what + " lies outside the file's " + _elf.Length + " bytes");
        }

        private ushort U16(long o)
        {
            if (o < 0 || o + 2 > _elf.Length) throw Bad("a read at offset " + o + " lies outside the file");
            return (ushort)(_elf[o] | _elf[o + 1] << 8);
        }

        private uint U32(long o)
        {
            if (o < 0 || o + 4 > _elf.Length) throw Bad("a read at offset " + o + " lies outside the file");
            return (uint)(_elf[o] | _elf[o + 1] << 8 | _elf[o + 2] << 16 | _elf[o + 3] << 24);
        }

        private ulong U64(long o) => U32(o) | (ulong)U32(o + 4) << 32;

        private InvalidDataException Bad(string why) => new InvalidDataException(_name + ": " + why + ".");
    }

    /// <summary>Finds the libstdc++ the dynamic loader would use and tells which GLIBCXX versions it defines.</summary>
    public static class SystemLibstdcxx
    {
        private static readonly string[] KnownPaths =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };

        /// <summary>The path of the x86-64 libstdc++.so.6 (from <c>ldconfig -p</c>, else the usual places), or null.</summary>
        public static string Find()
        {
            try
            {
                var start = new ProcessStartInfo("ldconfig", "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                if (File.Exists("/sbin/ldconfig")) start.FileName = "/sbin/ldconfig";
                using (Process p = Process.Start(start))
                {
                    string output = p.StandardOutput.ReadToEnd();
                    p.WaitForExit();
                    foreach (string line in output.Split('\n'))
                    {
                        // "	libstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                        string t = line.Trim();
                        int arrow = t.IndexOf("=> ", StringComparison.Ordinal);
                        if (t.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && t.Contains("x86-64") && arrow > 0)
                        {
                            string path = t.Substring(arrow + 3).Trim();
                            if (File.Exists(path)) return path;
                        }
                    }
                }
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is InvalidOperationException || e is IOException)
            {
                // No ldconfig: fall back to the usual places.
            }
            foreach (string path in KnownPaths)
                if (File.Exists(path)) return path;
            return null;
        }

        /// <summary>Whether the libstdc++ at <paramref name="path"/> defines <paramref name="version"/>.</summary>
        public static bool Defines(string path, string version) =>
            new ElfVersionRequirements(File.ReadAllBytes(path), path).GetVersionDefinitions().Contains(version);
    }

#if !PCR_LOAD_FIX_WITHOUT_MSBUILD
    /// <summary>
    /// The MSBuild task: makes the GLIBCXX_3.4.32 requirement of each given output copy of libLibTorchSharp.so weak,
    /// when the system libstdc++ lacks that version. Never touches a file outside the output directory it is given.
    /// </summary>
    public sealed class PcrMakeLibTorchSharpLoadable : Microsoft.Build.Utilities.Task
    {
        private const string Library = "libstdc++.so.6";
        private const string Version = "GLIBCXX_3.4.32";
        private static readonly string[] AllowedSymbols = { "_ZSt21ios_base_library_initv" };

        /// <summary>The output copies of libLibTorchSharp.so.</summary>
        [Microsoft.Build.Framework.Required]
        public string[] Files { get; set; }

        /// <summary>The stamp file written when every copy was checked.</summary>
        [Microsoft.Build.Framework.Required]
        public string StampFile { get; set; }

        /// <inheritdoc/>
        public override bool Execute()
        {
            string libstdcxx = SystemLibstdcxx.Find();
            bool needed;
            try
            {
                needed = libstdcxx == null || !SystemLibstdcxx.Defines(libstdcxx, Version);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogWarning("Could not read the system libstdc++ ({0}): {1}; making the {2} requirement of libLibTorchSharp.so weak anyway.", libstdcxx, e.Message, Version);
                needed = true;
            }

            if (needed)
            {
                foreach (string file in Files)
                {
                    try
                    {
                        byte[] bytes = File.ReadAllBytes(file);
                        var elf = new ElfVersionRequirements(bytes, file);
                        WeakVersionOutcome outcome = elf.MakeWeak(Library, Version, AllowedSymbols);
                        if (outcome == WeakVersionOutcome.MadeWeak)
                        {
                            // Keep the original's time stamp so that the SDK's incremental copy sees the file as up to date.
                            DateTime written = File.GetLastWriteTimeUtc(file);
                            string temporary = file + ".pcr-tmp";
                            File.WriteAllBytes(temporary, bytes);
                            File.SetLastWriteTimeUtc(temporary, written);
                            File.Replace(temporary, file, null);
                            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                                "{0}: the {1} requirement is now weak; the system libstdc++ ({2}) lacks that version.", file, Version, libstdcxx ?? "not found");
                        }
                    }
                    catch (InvalidDataException e)
                    {
                        Log.LogError("PCR0001", null, null, file, 0, 0, 0, 0,
                            "Cannot make TorchSharp's glue library load with this system's libstdc++ ({0}): {1} Use a system whose libstdc++ has {2} (GCC 13 or later), or set PcrMakeLibTorchSharpLoadable=false.",
                            libstdcxx ?? "not found", e.Message, Version);
                    }
                }
            }
            if (Log.HasLoggedErrors)
                return false;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(StampFile)));
            File.WriteAllText(StampFile, (needed ? "weak " : "unchanged ") + Version + " " + (libstdcxx ?? "") + "\n");
            return true;
        }
    }
#endif
}
