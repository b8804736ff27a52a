using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using EmbedKv.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using static EmbedKv.Extensions.Hosting.Configuration.SettingParsers;

namespace EmbedKv.Extensions.Hosting.Configuration
{
    /// <summary>
    /// Every setting of <see cref="KvServerOptions"/> that configuration can carry, read from an
    /// <see cref="IConfiguration"/> section. Written as a table rather than left to ConfigurationBinder
    /// because the table is also --help, durability has a text form ("batched:250ms"), and an unknown
    /// key or bad value must fail naming the setting rather than be skipped.
    /// </summary>
    public static class KvServerSettings
    {
        /// <summary>The prefix of the host's environment variables (EMBEDKV_PORT, EMBEDKV_LIMITS__IDLETIMEOUT).</summary>
        public const string EnvironmentPrefix = "EMBEDKV_";

        /// <summary>Every setting, in the order --help lists them.</summary>
        public static IReadOnlyList<Setting> All { get; } = new[]
        {
            new Setting("Port", "--port", "TCP port; 0 picks a free one", o => Show(o.Port), (o, v) => o.Port = Int(v)),
            new Setting("BindAddress", "--bind", "IP address to listen on", o => o.BindAddress, (o, v) => o.BindAddress = v.Trim()),
            new Setting("DataDirectory", "--data", "directory holding the data (created if missing)", o => o.DataDirectory, (o, v) => o.DataDirectory = v),
            new Setting("Durability", "--durability", "always | batched[:<n>ms] | none: when a write is acknowledged", o => o.Durability.ToString(), (o, v) => o.Durability = SettingParsers.Durability(v)),
            new Setting("Workers", "--workers", "event-loop threads (default: one per core)", o => Show(o.Workers), (o, v) => o.Workers = Int(v)),
            new Setting("MaxKeyLength", null, "longest key in bytes (414 beyond)", o => Show(o.MaxKeyLength), (o, v) => o.MaxKeyLength = Int(v)),
            new Setting("MaxValueLength", null, "largest value in bytes (413 beyond)", o => Show(o.MaxValueLength), (o, v) => o.MaxValueLength = Long(v)),
            new Setting("SegmentSize", null, "bytes at which a segment is sealed and a new one started (4096 to 1 GiB)", o => Show(o.SegmentSize), (o, v) => o.SegmentSize = Long(v)),
            new Setting("CompactionThreshold", null, "share of dead bytes (above 0, below 1) above which a merge starts", o => Show(o.CompactionThreshold), (o, v) => o.CompactionThreshold = Fraction(v)),
            new Setting("CompactionMinimumDeadBytes", null, "dead bytes below which no merge starts", o => Show(o.CompactionMinimumDeadBytes), (o, v) => o.CompactionMinimumDeadBytes = Long(v)),
            new Setting("ListenerMode", null, "ReusePort (a listener per loop) | SharedExclusive (one EPOLLEXCLUSIVE listener)", o => o.ListenerMode.ToString(), (o, v) => o.ListenerMode = Enum<ListenerMode>(v)),
            new Setting("Limits:MaxConnections", null, "most open connections (503 beyond)", o => Show(o.Limits.MaxConnections), (o, v) => o.Limits.MaxConnections = Int(v)),
            new Setting("Limits:MaxRequestLineBytes", null, "longest request line (414 beyond)", o => Show(o.Limits.MaxRequestLineBytes), (o, v) => o.Limits.MaxRequestLineBytes = Int(v)),
            new Setting("Limits:MaxHeaderBytes", null, "largest request head (431 beyond)", o => Show(o.Limits.MaxHeaderBytes), (o, v) => o.Limits.MaxHeaderBytes = Int(v)),
            new Setting("Limits:MaxHeaderCount", null, "most header fields (431 beyond)", o => Show(o.Limits.MaxHeaderCount), (o, v) => o.Limits.MaxHeaderCount = Int(v)),
            new Setting("Limits:HeaderTimeout", null, "time to send a whole request head", o => Show(o.Limits.HeaderTimeout), (o, v) => o.Limits.HeaderTimeout = Duration(v)),
            new Setting("Limits:BodyTimeout", null, "time a body or a response may stall", o => Show(o.Limits.BodyTimeout), (o, v) => o.Limits.BodyTimeout = Duration(v)),
            new Setting("Limits:IdleTimeout", null, "time an idle keep-alive connection is kept", o => Show(o.Limits.IdleTimeout), (o, v) => o.Limits.IdleTimeout = Duration(v)),
        };

        /// <summary>Short command-line switches (--port, --bind, --data, --durability, --workers) to their keys, for AddCommandLine.</summary>
        public static IDictionary<string, string> SwitchMappings { get; } =
            All.Where(s => s.Switch is not null).ToDictionary(s => s.Switch!, s => s.Key, StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// Reads every setting present in <paramref name="section"/> into <paramref name="options"/>. Throws
        /// <see cref="OptionsValidationException"/> naming the first unknown key or unreadable value.
        /// </summary>
        /// <param name="section">The section holding only the server's settings (such as "EmbedKv").</param>
        /// <param name="options">The options to fill.</param>
        /// <param name="otherSections">Top-level sections of <paramref name="section"/> that belong to someone else (the host's "Logging").</param>
        public static void Bind(IConfiguration section, KvServerOptions options, params string[] otherSections)
        {
            ArgumentNullException.ThrowIfNull(section);
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(otherSections);
            var known = All.ToDictionary(s => s.Key, StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string?> entry in section.AsEnumerable(makePathsRelative: true))
            {
                if (otherSections.Any(other => entry.Key.Equals(other, StringComparison.OrdinalIgnoreCase) || IsUnder(entry.Key, other)))
                {
                    continue;
                }

                bool isSection = known.Keys.Any(k => IsUnder(k, entry.Key)); // such as "Limits"
                if (!known.TryGetValue(entry.Key, out Setting? setting))
                {
                    if (!isSection)
                    {
                        throw Invalid("unknown setting '" + entry.Key + "' (see --help for the settings)");
                    }

                    if (entry.Value is not null)
                    {
                        // "Limits": 5 is not an unknown setting but a value where a section belongs.
                        throw Invalid("invalid setting " + entry.Key + ": '" + entry.Value + "' where a section of settings belongs");
                    }

                    continue;
                }

                if (entry.Value is null)
                {
                    continue; // a known setting present only as an empty section
                }

                try
                {
                    setting.Apply(options, entry.Value);
                }
                catch (FormatException e)
                {
                    throw Invalid("invalid setting " + setting.Key + ": " + e.Message);
                }
            }
        }

        /// <summary>Applies the server's own rules; throws <see cref="OptionsValidationException"/> naming the first invalid setting.</summary>
        /// <param name="options">The options to check.</param>
        public static void Validate(KvServerOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw Invalid("invalid setting: " + MessageOf(e));
            }
        }

        /// <summary>An <see cref="ArgumentException"/>'s message without the " (Parameter 'x')" the runtime appends.</summary>
        internal static string MessageOf(ArgumentException e) =>
            e.ParamName is null ? e.Message : e.Message.Replace(" (Parameter '" + e.ParamName + "')", string.Empty, StringComparison.Ordinal);

        /// <summary>The settings as --help shows them: key, switch, environment variable, default and description.</summary>
        /// <returns>The help text, one setting per line.</returns>
        public static string Help()
        {
            var defaults = new KvServerOptions();
            var text = new StringBuilder();
            foreach (Setting setting in All)
            {
                string name = setting.Switch is null ? setting.Key : setting.Switch + ", " + setting.Key;
                text.Append("  ").Append(name.PadRight(34)).Append(setting.Description).Append('\n')
                    .Append(' ', 36).Append("default ").Append(setting.Show(defaults)).Append("; env ").Append(setting.EnvironmentVariable).Append('\n');
            }

            return text.ToString();
        }

        private static bool IsUnder(string key, string section) => key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);

        private static OptionsValidationException Invalid(string message) =>
            new OptionsValidationException(Options.DefaultName, typeof(KvServerOptions), new[] { message });
    }
}
