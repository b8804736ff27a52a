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
    /// Checks syscalls.json against kernel and libc headers. x86_64: syscall numbers against
    /// asm/unistd_64.h, and constants, errno messages, struct sizes and field offsets against what gcc
    /// computes from the headers the table names. aarch64: the same numbers, constants, sizes and
    /// offsets as the arm64 cross compiler computes them from the arm64 headers, read from its assembly
    /// output since an arm64 program cannot run here. A wrong number in the table is not a compile
    /// error anywhere else; it is a wrong syscall at run time, so these checks fail loudly instead of
    /// skipping when the tools are missing.
    /// </summary>
    public sealed class KernelHeaderTests
    {
        private const string InstallHint =
            "Install gcc and linux-libc-dev (e.g. `apt-get install gcc linux-libc-dev`; .ci/run installs them).";

        private const string CrossInstallHint =
            "Install the arm64 cross compiler and headers (e.g. `apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross " +
            "linux-libc-dev-arm64-cross`; .ci/run installs them).";

        private const string CrossCompiler = "aarch64-linux-gnu-gcc";

        private const string X86_64 = "x86_64";

        private const string Aarch64 = "aarch64";

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
            CompareNumbers(table, X86_64, kernel, header, mismatches);
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
            CompareConstants(table, X86_64, measured, mismatches);
            CompareStructs(table, X86_64, measured, mismatches);

            FailIfAny(mismatches, "entries in syscalls.json that differ from the system headers");
        }

        // Without it the arm64 checks below would pass on an empty set.
        [Fact]
        public void TableDeclaresAarch64() => Assert.Contains(Aarch64, Table.Load().Architectures);

        [Fact]
        public void Aarch64NumbersConstantsAndStructLayoutsMatchArm64Headers()
        {
            Table table = Table.Load();
            string? gcc = FindOnPath(CrossCompiler);
            if (gcc is null)
            {
                Assert.Fail($"{CrossCompiler} not found on PATH; it is needed to read the arm64 headers. {CrossInstallHint}");
            }

            Dictionary<string, string> measured = CompileCrossProbe(gcc, BuildCrossProbeSource(table));

            var kernel = measured.Where(m => m.Key.StartsWith("nr:", StringComparison.Ordinal))
                .ToDictionary(m => m.Key[3..], m => long.Parse(m.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
            var mismatches = new List<string>();
            CompareNumbers(table, Aarch64, kernel, "the arm64 asm/unistd.h", mismatches);
            CompareConstants(table, Aarch64, measured, mismatches);
            CompareStructs(table, Aarch64, measured, mismatches);

            FailIfAny(mismatches, $"aarch64 entries in syscalls.json that differ from the arm64 headers ({CrossCompiler})");
        }

        // ---- syscall numbers ----------------------------------------------------------------------

        /// <summary>A number must match the header's; a call the table marks missing must be absent from it.</summary>
        private static void CompareNumbers(Table table, string architecture, Dictionary<string, long> kernel, string header, List<string> mismatches)
        {
            foreach (SyscallEntry call in table.Syscalls)
            {
                if (!call.Numbers.TryGetValue(architecture, out long? number))
                {
                    mismatches.Add($"{call.Name}: the table gives no {architecture} number and does not mark it missing");
                }
                else if (!kernel.TryGetValue(call.Name, out long actual))
                {
                    if (number is not null)
                    {
                        mismatches.Add($"{call.Name}: table {number}, but {header} has no __NR_{call.Name}");
                    }
                }
                else if (number is null)
                {
                    mismatches.Add($"{call.Name}: the table marks it missing on {architecture}, but {header} has __NR_{call.Name} {actual}");
                }
                else if (actual != number)
                {
                    mismatches.Add($"{call.Name}: table {number}, header {actual}");
                }
            }
        }

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
                foreach (FieldEntry f in s.Layouts[X86_64].Fields.Where(f => f.C is not null))
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

        /// <summary>
        /// The arm64 probe: the same questions as <see cref="BuildProbeSource"/> plus every syscall
        /// number, each answered by the compiler as an immediate in an <c>.ascii</c> directive of its
        /// assembly output (the kernel's asm-offsets technique), so nothing arm64 has to run. A value is
        /// printed as two 32-bit halves and its C type's signedness, since an assembler immediate is a
        /// signed 64-bit number. strerror's messages are glibc's text, not the kernel's, and the same
        /// for every architecture, so they are checked only by the x86_64 probe.
        /// </summary>
        private static string BuildCrossProbeSource(Table table)
        {
            var c = new StringBuilder();
            c.AppendLine("#define _GNU_SOURCE");
            foreach (string header in new[] { "stddef.h", "asm/unistd.h" }.Concat(table.Headers).Distinct())
            {
                c.AppendLine($"#include <{header}>");
            }

            c.AppendLine("""
                #define PROBE(key, v) __asm__ volatile("\n.ascii \"@probe " key " %c0 %c1 %c2\"" : : \
                    "i"((int)((unsigned long long)(v) >> 32)), "i"((int)(unsigned int)(unsigned long long)(v)), \
                    "i"((__typeof__(v))-1 < 0))
                """);
            c.AppendLine("void probe(void)");
            c.AppendLine("{");
            foreach (SyscallEntry call in table.Syscalls)
            {
                c.AppendLine($"#ifdef __NR_{call.Name}");
                c.AppendLine($"    PROBE(\"nr:{call.Name}\", __NR_{call.Name});");
                c.AppendLine("#endif");
            }

            foreach (ConstantEntry constant in table.Constants)
            {
                c.AppendLine($"    PROBE(\"const:{constant.Name}\", {constant.Name});");
            }

            foreach (StructEntry s in table.Structs.Where(s => s.C is not null))
            {
                c.AppendLine($"    PROBE(\"sizeof:{s.Name}\", sizeof({s.C}));");
                foreach (FieldEntry f in s.Layouts[Aarch64].Fields.Where(f => f.C is not null))
                {
                    string key = $"{s.Name}.{f.Name}";
                    c.AppendLine($"    PROBE(\"offsetof:{key}\", offsetof({s.C}, {f.C}));");
                    c.AppendLine($"    PROBE(\"fieldsize:{key}\", sizeof((({s.C} *)0)->{f.C}));");
                }
            }

            c.AppendLine("}");
            return c.ToString();
        }

        private static Dictionary<string, string> CompileCrossProbe(string gcc, string source)
        {
            DirectoryInfo dir = Directory.CreateTempSubdirectory("embedkv-arm64-headers-");
            try
            {
                string cFile = Path.Combine(dir.FullName, "probe.c");
                string asm = Path.Combine(dir.FullName, "probe.s");
                File.WriteAllText(cFile, source);

                ProcessResult compile = RunProcess(gcc, new[] { "-std=gnu11", "-S", "-o", asm, cFile }, dir.FullName);
                if (compile.ExitCode != 0)
                {
                    Assert.Fail(
                        $"{CrossCompiler} could not compile the header probe (exit {compile.ExitCode}); a name in syscalls.json is " +
                        $"probably missing from the arm64 headers it lists, or they are not installed. {CrossInstallHint}\n" +
                        compile.StdErr);
                }

                var measured = new Dictionary<string, string>(StringComparer.Ordinal);
                var line = new Regex(@"""@probe (\S+) (-?\d+) (-?\d+) ([01])""");
                foreach (Match m in line.Matches(File.ReadAllText(asm)))
                {
                    ulong bits = ((ulong)(uint)int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) << 32)
                        | (uint)int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                    Int128 value = m.Groups[4].Value == "1" ? (long)bits : bits;
                    measured[m.Groups[1].Value] = value.ToString(CultureInfo.InvariantCulture);
                }

                return measured;
            }
            finally
            {
                try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
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

        private static void CompareConstants(Table table, string architecture, Dictionary<string, string> measured, List<string> mismatches)
        {
            foreach (ConstantEntry constant in table.Constants)
            {
                string where = $"{constant.Name} ({constant.Group}, {architecture})";
                if (!constant.Values.TryGetValue(architecture, out Int128 value))
                {
                    mismatches.Add($"{where}: the table gives no value");
                    continue;
                }

                if (!FitsIn(value, constant.Type))
                {
                    mismatches.Add($"{where}: table value {value} does not fit the group's type {constant.Type}");
                }

                Int128 header = Int128.Parse(measured[$"const:{constant.Name}"], CultureInfo.InvariantCulture);
                if (header != value)
                {
                    mismatches.Add($"{where}: table {Describe(value)}, header {Describe(header)}");
                }

                // Only the x86_64 probe runs, so only it can ask strerror (see BuildCrossProbeSource).
                if (constant.Message is not null && architecture == X86_64)
                {
                    string message = measured[$"strerror:{constant.Name}"];
                    if (message != constant.Message)
                    {
                        mismatches.Add($"{where}: table message \"{constant.Message}\", strerror \"{message}\"");
                    }
                }
            }
        }

        private static void CompareStructs(Table table, string architecture, Dictionary<string, string> measured, List<string> mismatches)
        {
            // A struct without "c" names no C type to measure.
            foreach (StructEntry s in table.Structs.Where(s => s.C is not null))
            {
                if (!s.Layouts.TryGetValue(architecture, out LayoutEntry? entry))
                {
                    mismatches.Add($"{s.Name}: the table gives no {architecture} layout");
                    continue;
                }

                // The generator lays fields out sequentially, so the table implies every offset and the size.
                StructLayout layout = StructLayout.Of(entry);
                long size = long.Parse(measured[$"sizeof:{s.Name}"], CultureInfo.InvariantCulture);
                if (size != layout.Size)
                {
                    mismatches.Add($"sizeof({s.C}) on {architecture}: table layout {layout.Size}, header {size}");
                }

                for (int i = 0; i < entry.Fields.Count; i++)
                {
                    FieldEntry f = entry.Fields[i];
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

        /// <summary>A number per architecture the table accounts for; null where it marks the call missing.</summary>
        private sealed record SyscallEntry(string Name, IReadOnlyDictionary<string, long?> Numbers);

        private sealed record ConstantEntry(string Group, string Type, string Name, IReadOnlyDictionary<string, Int128> Values, string? Message);

        private sealed record FieldEntry(string Name, string? C, string Type);

        private sealed record LayoutEntry(int? Pack, IReadOnlyList<FieldEntry> Fields);

        private sealed record StructEntry(string Name, string? C, IReadOnlyDictionary<string, LayoutEntry> Layouts);

        /// <summary>The parts of syscalls.json these tests check (docs/syscalls.md has the full schema).</summary>
        private sealed class Table
        {
            public List<string> Architectures { get; } = new();
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
                table.Architectures.AddRange(root.TryGetProperty("architectures", out JsonElement declared)
                    ? declared.EnumerateArray().Select(a => a.GetString()!)
                    : new[] { X86_64 });

                foreach (JsonElement call in Items(root, "syscalls"))
                {
                    // "number" is the older form of "numbers": the x86_64 number alone.
                    var numbers = new Dictionary<string, long?>(StringComparer.Ordinal);
                    if (call.TryGetProperty("number", out JsonElement number))
                    {
                        numbers[X86_64] = number.GetInt64();
                    }
                    else
                    {
                        foreach (JsonProperty entry in call.GetProperty("numbers").EnumerateObject())
                        {
                            numbers[entry.Name] = entry.Value.ValueKind == JsonValueKind.Number ? entry.Value.GetInt64() : null;
                        }
                    }

                    table.Syscalls.Add(new SyscallEntry(call.GetProperty("name").GetString()!, numbers));
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
                            groupName, type, value.GetProperty("name").GetString()!, table.PerArchitecture(value.GetProperty("value"), ParseValue), message));
                    }
                }

                foreach (JsonElement s in Items(root, "structs"))
                {
                    table.AddHeaders(s);
                    Dictionary<string, IReadOnlyList<FieldEntry>> fields = table.PerArchitecture(s.GetProperty("fields"), list => (IReadOnlyList<FieldEntry>)list.EnumerateArray()
                        .Select(f => new FieldEntry(
                            f.GetProperty("name").GetString()!,
                            f.TryGetProperty("c", out JsonElement member) ? member.GetString() : null,
                            f.GetProperty("type").GetString()!))
                        .ToList());
                    Dictionary<string, int?> packs = s.TryGetProperty("pack", out JsonElement p)
                        ? table.PerArchitecture(p, pack => (int?)pack.GetInt32())
                        : table.Architectures.ToDictionary(a => a, _ => (int?)null);
                    var layouts = fields.Where(f => packs.ContainsKey(f.Key))
                        .ToDictionary(f => f.Key, f => new LayoutEntry(packs[f.Key], f.Value), StringComparer.Ordinal);
                    string? c = s.TryGetProperty("c", out JsonElement cType) ? cType.GetString() : null;
                    table.Structs.Add(new StructEntry(s.GetProperty("name").GetString()!, c, layouts));
                }

                return table;
            }

            /// <summary>An entry's value per architecture: an object keyed by architecture, or one value for all of them.</summary>
            private Dictionary<string, T> PerArchitecture<T>(JsonElement value, Func<JsonElement, T> read) =>
                value.ValueKind == JsonValueKind.Object
                    ? value.EnumerateObject().ToDictionary(e => e.Name, e => read(e.Value), StringComparer.Ordinal)
                    : Architectures.ToDictionary(a => a, _ => read(value), StringComparer.Ordinal);

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
            public static StructLayout Of(LayoutEntry s)
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
                    "long" or "ulong" or "nint" or "nuint" => 8, // LP64: x86_64 and aarch64 alike
                    _ => throw new FormatException($"unknown field type \"{type}\" in syscalls.json"),
                };
                return (primitive, primitive);
            }

            private static long AlignUp(long value, long align) => (value + align - 1) / align * align;
        }
    }
}
