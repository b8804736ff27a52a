using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>--help, and every kind of bad setting: exit code 2, one line on stderr naming the setting, nothing started.</summary>
    public sealed class HostSettingsErrorTests : IDisposable
    {
        /// <summary>A bad setting: where it comes from, and what the error line must name.</summary>
        private static readonly Dictionary<string, (string[] Args, string? Environment, string? Json, string[] Named)> Cases = new()
        {
            ["not a number"] = (new[] { "--port", "eighty" }, null, null, new[] { "Port", "'eighty'" }),
            ["bad durability"] = (new[] { "--durability", "sometimes" }, null, null, new[] { "Durability", "'sometimes'", "always" }),
            ["unknown key"] = (new[] { "--Frobnicate", "1" }, null, null, new[] { "'Frobnicate'", "unknown" }),
            ["port out of range"] = (new[] { "--port", "70000" }, null, null, new[] { "Port", "70000" }),
            ["no workers"] = (new[] { "--workers", "0" }, null, null, new[] { "Workers", "0" }),
            ["bind address not an address"] = (new[] { "--bind", "localhost" }, null, null, new[] { "BindAddress", "'localhost'" }),
            ["bad duration from the environment"] = (Array.Empty<string>(), "EMBEDKV_LIMITS__IDLETIMEOUT=soon", null, new[] { "Limits:IdleTimeout", "'soon'" }),
            ["a value where a section belongs, from the environment"] = (Array.Empty<string>(), "EMBEDKV_LIMITS=5", null, new[] { "LIMITS", "'5'", "section" }),
            ["malformed appsettings.json"] = (Array.Empty<string>(), null, "{ \"Port\": 8080,", new[] { "appsettings.json", "LineNumber: 0" }),
            ["unknown key in appsettings.json"] = (Array.Empty<string>(), null, "{ \"Prot\": 8081 }", new[] { "'Prot'", "unknown" }),
            ["a switch without its value"] = (new[] { "--port", "0", "--data" }, null, null, new[] { "--data" }),
            ["an argument that is not a switch"] = (new[] { "--port", "0", "8081" }, null, null, new[] { "'8081'" }),
            ["a value where a section belongs"] = (new[] { "--Limits", "5" }, null, null, new[] { "Limits", "'5'", "section" }),
            ["segments too small"] = (new[] { "--SegmentSize", "1000" }, null, null, new[] { "SegmentSize", "1000" }),
            ["a threshold of one"] = (Array.Empty<string>(), "EMBEDKV_COMPACTIONTHRESHOLD=1", null, new[] { "CompactionThreshold", "not 1." }),
            ["a threshold that is not a number"] = (new[] { "--CompactionThreshold", "half" }, null, null, new[] { "CompactionThreshold", "'half'" }),
            ["negative minimum dead bytes"] = (Array.Empty<string>(), null, "{ \"CompactionMinimumDeadBytes\": -1 }", new[] { "CompactionMinimumDeadBytes" }),
            ["an unknown short switch"] = (new[] { "--port", "0", "-p", "8081" }, null, null, new[] { "'-p'" }),
        };

        private readonly TempDirectory _dir = new TempDirectory();

        public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(name => new object[] { name });

        public void Dispose() => _dir.Dispose();

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void ABadSettingExitsWithCode2AndOneLineNamingIt(string name)
        {
            (string[] args, string? variable, string? json, string[] named) = Cases[name];
            string? program = json is null ? null : ProgramCopy.WithSettings(Path.Combine(_dir.Path, "app"), json);
            string work = Directory.CreateDirectory(Path.Combine(_dir.Path, "work")).FullName;
            // EMBEDKV_PORT=0: should a case not be rejected, the host must not take the default port 8080
            // of a shared machine (every case's own port setting overrides it or fails before it matters).
            var environment = new Dictionary<string, string> { ["EMBEDKV_PORT"] = "0" };
            if (variable is not null)
            {
                environment[variable.Split('=')[0]] = variable.Split('=')[1];
            }

            using HostProcess host = HostProcess.Run(work, args, environment, program);

            Assert.True(host.WaitForExit() == 2, name + ": " + host.Describe());
            Assert.Empty(host.Stdout);
            string error = Assert.Single(host.Stderr);
            Assert.StartsWith("embedkv: ", error, StringComparison.Ordinal);
            foreach (string part in named)
            {
                Assert.True(error.Contains(part, StringComparison.Ordinal), name + ": the error does not name " + part + ": " + error);
            }

            // Rejected before anything was opened: no data directory was created.
            Assert.Empty(Directory.GetFileSystemEntries(work));
        }

        [Theory]
        [InlineData("--help")]
        [InlineData("-h")]
        public void HelpListsEverySettingWithItsDefaultAndVariable(string option)
        {
            using HostProcess host = HostProcess.Run(_dir.Path, new[] { option, "--port", "not even read" });

            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Empty(host.Stderr);
            IReadOnlyList<string> lines = host.Stdout;
            Assert.StartsWith("usage: embedkv ", lines[0], StringComparison.Ordinal);
            var defaults = new KvServerOptions();
            Assert.Equal(25, KvServerSettings.All.Count); // a new setting: check it appears below, then update this
            foreach (Setting setting in KvServerSettings.All)
            {
                // "  --port, Port   TCP port; ..." then "   default 8080; env EMBEDKV_PORT"
                int at = lines.ToList().FindIndex(line => line.TrimStart().StartsWith(setting.Switch is null ? setting.Key + " " : setting.Switch + ", " + setting.Key + " ", StringComparison.Ordinal));
                Assert.True(at > 0 && at + 1 < lines.Count, setting.Key + " is not listed:\n" + string.Join('\n', lines));
                Assert.Contains(setting.Description, lines[at], StringComparison.Ordinal);
                string variable = "EMBEDKV_" + setting.Key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
                Assert.Equal("default " + setting.Show(defaults) + "; env " + variable, lines[at + 1].Trim());
            }

            // The defaults a user relies on, spelled out rather than read back from the table.
            string text = string.Join('\n', lines);
            Assert.Contains("default 8080; env EMBEDKV_PORT", text, StringComparison.Ordinal);
            Assert.Contains("default 127.0.0.1; env EMBEDKV_BINDADDRESS", text, StringComparison.Ordinal);
            Assert.Contains("default embedkv-data; env EMBEDKV_DATADIRECTORY", text, StringComparison.Ordinal);
            Assert.Contains("default always; env EMBEDKV_DURABILITY", text, StringComparison.Ordinal);
            Assert.Contains("default 60s; env EMBEDKV_LIMITS__IDLETIMEOUT", text, StringComparison.Ordinal);
            Assert.Contains("default 67108864; env EMBEDKV_SEGMENTSIZE", text, StringComparison.Ordinal);
            Assert.Contains("default 0.5; env EMBEDKV_COMPACTIONTHRESHOLD", text, StringComparison.Ordinal);
            Assert.Contains("default 16777216; env EMBEDKV_COMPACTIONMINIMUMDEADBYTES", text, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(_dir.Path)); // --help starts nothing
        }
    }
}
