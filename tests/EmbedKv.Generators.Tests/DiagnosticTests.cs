using System.Collections.Generic;
using System.Linq;
using System.Text;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests
{
    /// <summary>Every diagnostic a bad table can get: id, message and location, against snapshots.</summary>
    public sealed class DiagnosticTests
    {
        private const string Man = "\"man\": \"https://man7.org/linux/man-pages/man2/read.2.html\"";

        public static IEnumerable<object[]> Cases => BadTables.Keys.Select(name => new object[] { name });

        private static Dictionary<string, string> BadTables { get; } = new Dictionary<string, string>
        {
            ["EKV001-MalformedJson"] = """
                { "version": 1,
                  "syscalls": [ { "name": "read", } 3 ] }
                """,
            ["EKV001-Empty"] = "  ",
            ["EKV001-TrailingContent"] = """
                { "version": 1, "syscalls": [] }
                { }
                """,
            ["EKV001-NonAsciiBeforeError"] = """
                { "version": 1, "class": "Sys", "syscalls": [ { "name": "réad" ! } ] }
                """,
            ["EKV002-MissingField"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "read", "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV002-MissingTableFields"] = """
                { "constants": [ { "group": "G", "type": "int", "values": [ { "name": "A" } ] } ] }
                """,
            ["EKV003-UnknownType"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "read", "number": 0, "blocking": true, {{Man}},
                      "args": [ { "name": "fd", "type": "float" }, { "name": "p", "type": "Missing*" } ] } ] }
                """,
            ["EKV003-UnknownFieldAndConstantType"] = """
                { "version": 1,
                  "structs": [ { "name": "S", "fields": [ { "name": "F", "type": "nint[4]" } ] } ],
                  "constants": [ { "group": "G", "type": "short", "values": [] } ],
                  "syscalls": [] }
                """,
            ["EKV004-TooManyArguments"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "seven", "number": 0, "blocking": true, {{Man}},
                      "args": [ { "name": "a", "type": "int" }, { "name": "b", "type": "int" }, { "name": "c", "type": "int" },
                                { "name": "d", "type": "int" }, { "name": "e", "type": "int" }, { "name": "f", "type": "int" },
                                { "name": "g", "type": "int" } ] } ] }
                """,
            ["EKV005-DuplicateName"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "read", "number": 0, "blocking": true, {{Man}}, "args": [] },
                    { "name": "read", "number": 1, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV005-DuplicateConstantArgumentAndField"] = $$"""
                { "version": 1, "number": 2, "number": 3,
                  "constants": [
                    { "group": "A", "type": "int", "values": [ { "name": "X", "value": 1 } ] },
                    { "group": "A", "type": "int", "values": [ { "name": "X", "value": 2 } ] } ],
                  "syscalls": [
                    { "name": "read", "number": 0, "blocking": true, {{Man}},
                      "args": [ { "name": "fd", "type": "int" }, { "name": "fd", "type": "int" } ] } ] }
                """,
            ["EKV006-DuplicateNumber"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "read", "number": 0, "blocking": true, {{Man}}, "args": [] },
                    { "name": "write", "number": 0, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV007-NumberOutOfRange"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "x32_read", "number": 512, "blocking": true, {{Man}}, "args": [] },
                    { "name": "negative", "number": -1, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV007-ConstantOutOfRange"] = """
                { "version": 1,
                  "constants": [
                    { "group": "U", "type": "uint", "values": [ { "name": "NEG", "value": -1 } ] },
                    { "group": "I", "type": "int", "values": [ { "name": "BIG", "value": "0x80000000" } ] },
                    { "group": "E", "type": "int", "errno": true, "values": [ { "name": "EZERO", "value": 0, "message": "zero" } ] } ],
                  "syscalls": [] }
                """,
            ["EKV008-UnknownConstantGroup"] = $$"""
                { "version": 1,
                  "syscalls": [
                    { "name": "socket", "number": 41, "blocking": false, {{Man}},
                      "args": [ { "name": "domain", "type": "int", "constants": "AddressFamilly" } ] } ] }
                """,
            ["EKV009-InvalidValues"] = """
                { "version": "one", "class": "my class", "visibility": "private",
                  "syscalls": [
                    { "name": "Read", "number": 0.5, "blocking": "yes", "man": "read(2)", "args": {} },
                    7,
                    { "name": "write", "number": 1, "blocking": true, "man": "https://x", "args": [ { "name": "1fd", "type": "int" } ] } ],
                  "constants": [ { "group": "G", "type": "int", "values": [ { "name": "A", "value": "twelve" }, { "name": "B", "value": true } ] } ] }
                """,
            ["EKV010-PageOverflow"] = PageOverflowTable(),
            ["EKV011-UnknownStubReturn"] = """
                { "version": 1, "stubReturn": "RET",
                  "syscalls": [] }
                """,
            ["EKV011-StubReturnNotAString"] = """
                { "version": 1,
                  "syscalls": [], "stubReturn": true }
                """,
            ["EKV006-DuplicateNumberOnOneArchitecture"] = $$"""
                { "version": 1, "architectures": ["x86_64", "aarch64"],
                  "syscalls": [
                    { "name": "read", "numbers": { "x86_64": 0, "aarch64": 63 }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "write", "numbers": { "x86_64": 1, "aarch64": 63 }, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV007-Aarch64NumberOutOfRange"] = $$"""
                { "version": 1, "architectures": ["x86_64", "aarch64"],
                  "syscalls": [
                    { "name": "read", "numbers": { "x86_64": 0, "aarch64": 1024 }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "write", "numbers": { "x86_64": 512, "aarch64": -1 }, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV009-BadArchitectureEntries"] = $$"""
                { "version": 1, "architectures": ["x86_64", "aarch64"],
                  "structs": [
                    { "name": "E", "pack": { "x86_64": 3, "aarch64": 0 }, "fields": { "x86_64": [], "aarch64": 7 } } ],
                  "constants": [
                    { "group": "G", "type": "int", "values": [
                      { "name": "A", "value": { "x86_64": 1, "aarch64": "one" } },
                      { "name": "B", "value": { "x86_64": 1, "aarch64": "0x80000000" } } ] } ],
                  "syscalls": [
                    { "name": "read", "numbers": { "x86_64": 0, "aarch64": "absent" }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "write", "numbers": { "x86_64": 1, "aarch64": 1.5 }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "close", "number": 3, "numbers": { "x86_64": 3, "aarch64": 57 }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "open", "numbers": 2, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV009-ArchitecturesWithoutX86_64"] = """
                { "version": 1, "architectures": ["aarch64", 64],
                  "syscalls": [] }
                """,
            ["EKV012-UnknownArchitecture"] = $$"""
                { "version": 1, "architectures": ["x86_64", "arm64", "aarch64", "aarch64"],
                  "syscalls": [
                    { "name": "read", "numbers": { "x86_64": 0, "aarch64": 63, "riscv64": 63 }, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV012-ArchitectureNotDeclared"] = $$"""
                { "version": 1,
                  "constants": [ { "group": "G", "type": "int", "values": [ { "name": "A", "value": { "x86_64": 1, "aarch64": 2 } } ] } ],
                  "syscalls": [
                    { "name": "read", "numbers": { "x86_64": 0, "aarch64": 63 }, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV013-NoNumberOnAnArchitecture"] = $$"""
                { "version": 1, "architectures": ["x86_64", "aarch64"],
                  "syscalls": [
                    { "name": "epoll_wait", "numbers": { "x86_64": 232 }, "blocking": true, {{Man}}, "args": [] },
                    { "name": "read", "number": 0, "blocking": true, {{Man}}, "args": [] },
                    { "name": "epoll_pwait", "numbers": { "x86_64": 281, "aarch64": 22 }, "blocking": true, {{Man}}, "args": [] } ] }
                """,
            ["EKV013-NoValueOrLayoutOnAnArchitecture"] = """
                { "version": 1, "architectures": ["x86_64", "aarch64"],
                  "structs": [
                    { "name": "Stat", "pack": { "x86_64": 0 }, "fields": { "x86_64": [ { "name": "Dev", "type": "ulong" } ] } } ],
                  "constants": [ { "group": "OpenFlags", "type": "int", "values": [ { "name": "O_DIRECTORY", "value": { "x86_64": "0o200000" } } ] } ],
                  "syscalls": [] }
                """,
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void BadTableGetsDiagnosticsAndNoCode(string name)
        {
            (GeneratorRunResult result, _) = GeneratorHarness.Run(BadTables[name]);

            Assert.NotEmpty(result.Diagnostics);
            Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));

            // Never half a file: a table with any error generates nothing at all.
            Assert.Empty(result.GeneratedSources);
            Snapshot.Match(GeneratorHarness.Format(result.Diagnostics), "Diagnostics." + name, "txt");
        }

        [Fact]
        public void DiagnosticsPointIntoSyscallsJson()
        {
            (GeneratorRunResult result, _) = GeneratorHarness.Run(BadTables["EKV006-DuplicateNumber"]);
            Diagnostic diagnostic = Assert.Single(result.Diagnostics);
            FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
            Assert.Equal(GeneratorHarness.TablePath, span.Path);
            Assert.Equal(3, span.StartLinePosition.Line); // 0-based: the fourth line holds "write".
        }

        private static string PageOverflowTable()
        {
            var table = new StringBuilder("{ \"version\": 1,\n  \"syscalls\": [\n");
            for (int i = 0; i < 257; i++)
            {
                table.Append("    { \"name\": \"call").Append(i).Append("\", \"number\": ").Append(i)
                     .Append(", \"blocking\": false, ").Append(Man).Append(", \"args\": [] }")
                     .Append(i < 256 ? ",\n" : " ] }\n");
            }

            return table.ToString();
        }
    }
}
