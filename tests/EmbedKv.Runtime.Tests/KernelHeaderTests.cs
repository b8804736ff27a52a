using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>
    /// Checks syscalls.json against the machine's kernel and libc headers: syscall numbers against
    /// asm/unistd_64.h, and constants, errno messages, struct sizes and field offsets against what gcc
    /// computes from the headers the table names. A wrong number in the table is not a compile error
    /// anywhere else; it is a wrong syscall at run time, so these checks fail loudly instead of skipping
    /// when the tools are missing.
    /// </summary>
    public sealed class KernelHeaderTests
    {
        private const string InstallHint =
            "Install gcc and linux-libc-dev (e.g. `apt-get install gcc linux-libc-dev`; .ci/run installs them).";

        private static readonly string[] UnistdHeaderCandidates =
        {
            "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
            "/usr/include/asm/unistd_64.h",
        };

        private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);

        [Fact]
        public void SyscallNumbersMatchAsmUnistd64()
        {
            string? header = UnistdHeaderCandidates.FirstOrDefault(File.Exists);
            if (header is null)
            {
                Assert.Fail($"asm/unistd_64.h not found (looked in {string.Join(", ", UnistdHeaderCandidates)}). {InstallHint}");
            }

            Dictionary<string, long> kernel = ParseUnistd(File.ReadAllText(header));
            Table table = Table.Load();

            var mismatches = new List<string>();
            foreach (SyscallEntry call in table.Syscalls)
            {
                if (!kernel.TryGetValue(call.Name, out long number))
                {
                    mismatches.Add($"{call.Name}: table {call.Number}, but {header} has no __NR_{call.Name}");
                }
                else if (number != call.Number)
                {
                    mismatches.Add($"{call.Name}: table {call.Number}, header {number}");
                }
            }

            FailIfAny(mismatches, $"syscall numbers in syscalls.json that differ from {header}");
        }

        [Fact]
        public void ConstantsAndStructLayoutsMatchSystemHeaders()
        {
            Table table = Table.Load();
            string? gcc = FindOnPath("gcc");
            if (gcc is null)
            {
                Assert.Fail($"gcc not found on PATH; it is needed to read the system headers. {InstallHint}");
            }

            Dictionary<string, string> measured = CompileAndRunProbe(gcc, BuildProbeSource(table));

            var mismatches = new List<string>();
            CompareConstants(table, measured, mismatches);
            CompareStructs(table, measured, mismatches);

            FailIfAny(mismatches, "entries in syscalls.json that differ from the system headers");
        }

        // ---- syscall numbers ----------------------------------------------------------------------

        private static Dictionary<string, long> ParseUnistd(string text)
        {
            var numbers = new Dictionary<string, long>(StringComparer.Ordinal);
            var define = new Regex(@"^\s*#\s*define\s+__NR_(\w+)\s+(\d+)\s*$", RegexOptions.Multiline);
            foreach (Match m in define.Matches(text))
            {
                numbers[m.Groups[1].Value] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }

            return numbers;
        }

        // ---- the C probe --------------------------------------------------------------------------

        /// <summary>
        /// One C file that prints, one per line, <c>kind:key value</c> for everything the table claims:
        /// <c>const:NAME</c>, <c>strerror:NAME</c>, <c>sizeof:Struct</c>, <c>offsetof:Struct.Field</c>
        /// and <c>fieldsize:Struct.Field</c>.
        /// </summary>
        private static string BuildProbeSource(Table table)
        {
            var c = new StringBuilder();
            // _GNU_SOURCE exposes the Linux-only names (O_TMPFILE, SEEK_DATA, F_SETPIPE_SZ, ...).
            c.AppendLine("#define _GNU_SOURCE");
            foreach (string header in new[] { "errno.h", "stddef.h", "stdio.h", "string.h" }.Concat(table.Headers).Distinct())
            {
                c.AppendLine($"#include <{header}>");
            }

            // Print a constant exactly, in the signedness of its C type, rather than cast to the table's
            // type: a cast would silently wrap a value that does not fit, which is the error to catch.
            // The # operator stringizes the name before the macro it names is expanded.
            c.AppendLine("""
                #define CONST(name) do { \
                    if ((__typeof__(name))-1 < 0) printf("const:%s %lld\n", #name, (long long)(name)); \
                    else printf("const:%s %llu\n", #name, (unsigned long long)(name)); \
                } while (0)
                """);
            c.AppendLine("int main(void)");
            c.AppendLine("{");
            foreach (ConstantEntry constant in table.Constants)
            {
                c.AppendLine($"    CONST({constant.Name});");
                if (constant.Message is not null)
                {
                    // The probe never calls setlocale, so strerror answers in the "C" locale, as the table does.
                    c.AppendLine($"    printf(\"strerror:%s %s\\n\", \"{constant.Name}\", strerror({constant.Name}));");
                }
            }

            foreach (StructEntry s in table.Structs.Where(s => s.C is not null))
            {
                c.AppendLine($"    printf(\"sizeof:%s %zu\\n\", \"{s.Name}\", sizeof({s.C}));");
                foreach (FieldEntry f in s.Fields.Where(f => f.C is not null))
                {
                    string key = $"{s.Name}.{f.Name}";
                    c.AppendLine($"    printf(\"offsetof:%s %zu\\n\", \"{key}\", offsetof({s.C}, {f.C}));");
                    c.AppendLine($"    printf(\"fieldsize:%s %zu\\n\", \"{key}\", sizeof((({s.C} *)0)->{f.C}));");
                }
            }

            c.AppendLine("    return 0;");
            c.AppendLine("}");
            return c.ToString();
        }

        private static Dictionary<string, string> CompileAndRunProbe(string gcc, string source)
        {
            DirectoryInfo dir = Directory.CreateTempSubdirectory("embedkv-kernel-headers-");
            try
            {
                string cFile = Path.Combine(dir.FullName, "probe.c");
                string exe = Path.Combine(dir.FullName, "probe");
                File.WriteAllText(cFile, source);

                ProcessResult compile = RunProcess(gcc, new[] { "-std=gnu11", "-o", exe, cFile }, dir.FullName);
                if (compile.ExitCode != 0)
                {
                    Assert.Fail(
                        $"gcc could not compile the header probe (exit {compile.ExitCode}); a name in syscalls.json is " +
                        $"probably missing from the headers it lists, or the headers are not installed. {InstallHint}\n" +
                        compile.StdErr);
                }

                ProcessResult run = RunProcess(exe, Array.Empty<string>(), dir.FullName);
                if (run.ExitCode != 0)
                {
                    Assert.Fail($"the header probe exited with {run.ExitCode}:\n{run.StdErr}");
                }

                return ParseProbeOutput(run.StdOut);
            }
            finally
            {
                try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        private static Dictionary<string, string> ParseProbeOutput(string output)
        {
            var measured = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // Keys have no spaces; values (strerror messages) may.
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space < 0)
                {
                    continue;
                }

                measured[line[..space]] = line[(space + 1)..];
            }

            return measured;
        }

        // ---- comparisons --------------------------------------------------------------------------

        private static void CompareConstants(Table table, Dictionary<string, string> measured, List<string> mismatches)
        {
            foreach (ConstantEntry constant in table.Constants)
            {
                string where = $"{constant.Name} ({constant.Group})";
                if (!FitsIn(constant.Value, constant.Type))
                {
                    mismatches.Add($"{where}: table value {constant.Value} does not fit the group's type {constant.Type}");
                }

                Int128 header = Int128.Parse(measured[$"const:{constant.Name}"], CultureInfo.InvariantCulture);
                if (header != constant.Value)
                {
                    mismatches.Add($"{where}: table {Describe(constant.Value)}, header {Describe(header)}");
                }

                if (constant.Message is not null)
                {
                    string message = measured[$"strerror:{constant.Name}"];
                    if (message != constant.Message)
                    {
                        mismatches.Add($"{where}: table message \"{constant.Message}\", strerror \"{message}\"");
                    }
                }
            }
        }

        private static void CompareStructs(Table table, Dictionary<string, string> measured, List<string> mismatches)
        {
            // A struct without "c" names no C type to measure.
            foreach (StructEntry s in table.Structs.Where(s => s.C is not null))
            {
                // The generator lays fields out sequentially, so the table implies every offset and the size.
                StructLayout layout = StructLayout.Of(s);
                long size = long.Parse(measured[$"sizeof:{s.Name}"], CultureInfo.InvariantCulture);
                if (size != layout.Size)
                {
                    mismatches.Add($"sizeof({s.C}): table layout {layout.Size}, header {size}");
                }

                for (int i = 0; i < s.Fields.Count; i++)
                {
                    FieldEntry f = s.Fields[i];
                    if (f.C is null)
                    {
                        continue; // padding or reserved space with no C member to measure
                    }

                    string key = $"{s.Name}.{f.Name}";
                    long offset = long.Parse(measured[$"offsetof:{key}"], CultureInfo.InvariantCulture);
                    if (offset != layout.Offsets[i])
                    {
                        mismatches.Add($"offsetof({s.C}, {f.C}) [{key}]: table layout {layout.Offsets[i]}, header {offset}");
                    }

                    long fieldSize = long.Parse(measured[$"fieldsize:{key}"], CultureInfo.InvariantCulture);
                    if (fieldSize != layout.Sizes[i])
                    {
                        mismatches.Add($"sizeof({s.C}.{f.C}) [{key}]: table type {f.Type} is {layout.Sizes[i]} bytes, header {fieldSize}");
                    }
                }
            }
        }

        private static bool FitsIn(Int128 value, string type) => type switch
        {
            "int" => value >= int.MinValue && value <= int.MaxValue,
            "uint" => value >= uint.MinValue && value <= uint.MaxValue,
            "long" => value >= long.MinValue && value <= long.MaxValue,
            "ulong" => value >= ulong.MinValue && value <= ulong.MaxValue,
            _ => false,
        };

        private static string Describe(Int128 value) =>
            value >= 0 ? $"{value} (0x{value:x})" : value.ToString(CultureInfo.InvariantCulture);

        private static void FailIfAny(List<string> mismatches, string what)
        {
            if (mismatches.Count > 0)
            {
                Assert.Fail($"{mismatches.Count} {what}:\n  " + string.Join("\n  ", mismatches));
            }
        }

        // ---- processes ----------------------------------------------------------------------------

        private sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

        private static ProcessResult RunProcess(string file, IEnumerable<string> args, string workingDirectory)
        {
            var start = new ProcessStartInfo(file)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"could not start {file}: {e.Message}. {InstallHint}", e);
            }

            using (process)
            {
                // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(ProcessTimeout))
                {
                    process.Kill(entireProcessTree: true);
                    Assert.Fail($"{file} did not finish within {ProcessTimeout.TotalSeconds} s");
                }

                process.WaitForExit(); // lets the output pipes reach end of file
                return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
            }
        }

        private static string? FindOnPath(string program)
        {
            string path = Environment.GetEnvironmentVariable("PATH") ?? "";
            return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, program))
                .FirstOrDefault(File.Exists);
        }

        // ---- the table ----------------------------------------------------------------------------

        private sealed record SyscallEntry(string Name, long Number);

        private sealed record ConstantEntry(string Group, string Type, string Name, Int128 Value, string? Message);

        private sealed record FieldEntry(string Name, string? C, string Type);

        private sealed record StructEntry(string Name, string? C, int? Pack, IReadOnlyList<FieldEntry> Fields);

        /// <summary>The parts of syscalls.json these tests check (docs/syscalls.md has the full schema).</summary>
        private sealed class Table
        {
            public List<SyscallEntry> Syscalls { get; } = new();
            public List<ConstantEntry> Constants { get; } = new();
            public List<StructEntry> Structs { get; } = new();
            public List<string> Headers { get; } = new();

            public static Table Load()
            {
                string path = Path.Combine(FindRepositoryRoot(), "syscalls.json");
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
                JsonElement root = doc.RootElement;
                var table = new Table();

                foreach (JsonElement call in Items(root, "syscalls"))
                {
                    table.Syscalls.Add(new SyscallEntry(call.GetProperty("name").GetString()!, call.GetProperty("number").GetInt64()));
                }

                foreach (JsonElement group in Items(root, "constants"))
                {
                    table.AddHeaders(group);
                    string groupName = group.GetProperty("group").GetString()!;
                    string type = group.GetProperty("type").GetString()!;
                    foreach (JsonElement value in Items(group, "values"))
                    {
                        string? message = value.TryGetProperty("message", out JsonElement m) ? m.GetString() : null;
                        table.Constants.Add(new ConstantEntry(
                            groupName, type, value.GetProperty("name").GetString()!, ParseValue(value.GetProperty("value")), message));
                    }
                }

                foreach (JsonElement s in Items(root, "structs"))
                {
                    table.AddHeaders(s);
                    var fields = Items(s, "fields")
                        .Select(f => new FieldEntry(
                            f.GetProperty("name").GetString()!,
                            f.TryGetProperty("c", out JsonElement member) ? member.GetString() : null,
                            f.GetProperty("type").GetString()!))
                        .ToList();
                    int? pack = s.TryGetProperty("pack", out JsonElement p) ? p.GetInt32() : null;
                    string? c = s.TryGetProperty("c", out JsonElement cType) ? cType.GetString() : null;
                    table.Structs.Add(new StructEntry(s.GetProperty("name").GetString()!, c, pack, fields));
                }

                return table;
            }

            private void AddHeaders(JsonElement owner)
            {
                foreach (JsonElement header in Items(owner, "headers"))
                {
                    string name = header.GetString()!;
                    if (!Headers.Contains(name))
                    {
                        Headers.Add(name);
                    }
                }
            }

            private static IEnumerable<JsonElement> Items(JsonElement owner, string property) =>
                owner.TryGetProperty(property, out JsonElement a) ? a.EnumerateArray() : Enumerable.Empty<JsonElement>();

            /// <summary>A JSON integer, or a string in decimal, hex ("0x…") or octal ("0o…"), optionally negative.</summary>
            private static Int128 ParseValue(JsonElement value)
            {
                if (value.ValueKind == JsonValueKind.Number)
                {
                    return value.TryGetInt64(out long signed) ? signed : value.GetUInt64();
                }

                string text = value.GetString()!.Trim();
                bool negative = text.StartsWith('-');
                string digits = negative ? text[1..] : text;
                ulong magnitude;
                if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                {
                    magnitude = ulong.Parse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                }
                else if (digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
                {
                    magnitude = 0;
                    foreach (char digit in digits.AsSpan(2))
                    {
                        if (digit is < '0' or > '7')
                        {
                            throw new FormatException($"bad octal constant \"{text}\" in syscalls.json");
                        }

                        magnitude = checked(magnitude * 8 + (uint)(digit - '0'));
                    }
                }
                else
                {
                    magnitude = ulong.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
                }

                return negative ? -(Int128)magnitude : magnitude;
            }

            private static string FindRepositoryRoot()
            {
                for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")) || File.Exists(Path.Combine(dir.FullName, "syscalls.json")))
                    {
                        return dir.FullName;
                    }
                }

                throw new InvalidOperationException($"no EmbedKv.sln or syscalls.json above {AppContext.BaseDirectory}");
            }
        }

        /// <summary>
        /// Offsets and size of a table struct as the generator lays it out: sequential fields at their
        /// natural alignment, capped by "pack" when present, the size rounded up to the largest alignment.
        /// </summary>
        private sealed record StructLayout(long Size, long[] Offsets, long[] Sizes)
        {
            public static StructLayout Of(StructEntry s)
            {
                var offsets = new long[s.Fields.Count];
                var sizes = new long[s.Fields.Count];
                long offset = 0, maxAlign = 1;
                for (int i = 0; i < s.Fields.Count; i++)
                {
                    (long size, long align) = SizeAndAlignment(s.Fields[i].Type);
                    if (s.Pack is int pack and > 0) // 0 means "natural alignment", as with StructLayout
                    {
                        align = Math.Min(align, pack);
                    }

                    offset = AlignUp(offset, align);
                    offsets[i] = offset;
                    sizes[i] = size;
                    offset += size;
                    maxAlign = Math.Max(maxAlign, align);
                }

                return new StructLayout(AlignUp(offset, maxAlign), offsets, sizes);
            }

            private static (long Size, long Align) SizeAndAlignment(string type)
            {
                // Fixed arrays: "byte[8]" is eight bytes aligned like one byte.
                int bracket = type.IndexOf('[', StringComparison.Ordinal);
                if (bracket >= 0)
                {
                    long count = long.Parse(type.AsSpan(bracket + 1, type.Length - bracket - 2), CultureInfo.InvariantCulture);
                    (long elementSize, long elementAlign) = SizeAndAlignment(type[..bracket]);
                    return (elementSize * count, elementAlign);
                }

                long primitive = type switch
                {
                    "byte" or "sbyte" => 1,
                    "short" or "ushort" => 2,
                    "int" or "uint" => 4,
                    "long" or "ulong" or "nint" or "nuint" => 8, // x86_64 only
                    _ => throw new FormatException($"unknown field type \"{type}\" in syscalls.json"),
                };
                return (primitive, primitive);
            }

            private static long AlignUp(long value, long align) => (value + align - 1) / align * align;
        }
    }
}
