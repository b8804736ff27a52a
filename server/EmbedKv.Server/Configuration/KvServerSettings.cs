using System;
using System.Collections.Generic;
using System.Linq;
using static EmbedKv.Server.Configuration.SettingParsers;

namespace EmbedKv.Server.Configuration
{
    /// <summary>
    /// Every setting of <see cref="KvServerOptions"/> that configuration can carry, as key/value text:
    /// the table behind the standalone host's settings and --help and behind AddEmbedKv(IConfiguration).
    /// A table rather than reflection-based binding because it is also --help, durability has a text
    /// form ("batched:250ms"), and an unknown key or bad value must fail naming the setting rather than
    /// be skipped. It knows nothing of Microsoft.Extensions.Configuration: callers pass key/value pairs.
    /// </summary>
    public static class KvServerSettings
    {
        /// <summary>
        /// The key that chooses the backend by name: <see cref="LocalBackend"/> (the default, the store on disk)
        /// or a backend from its own package ("Etcd", EmbedKv.Etcd), whose settings sit in a section named as the
        /// backend. This table does not read it: hosts pass it, and that section, as <c>otherSections</c>.
        /// </summary>
        public const string BackendKey = "Backend";

        /// <summary>The <see cref="BackendKey"/> value of the store on disk, the default.</summary>
        public const string LocalBackend = "Local";

        /// <summary>Every setting, in the order --help lists them.</summary>
        public static IReadOnlyList<Setting> All { get; } = new[]
        {
            new Setting("Port", "--port", "TCP port; 0 picks a free one; -1 none (a Unix socket only)", o => Show(o.Port), (o, v) => o.Port = Int(v)),
            new Setting("BindAddress", "--bind", "IP address to listen on", o => o.BindAddress, (o, v) => o.BindAddress = v.Trim()),
            new Setting("UnixSocketPath", "--unix", "a Unix domain socket to listen on as well (or @name, abstract)", o => o.UnixSocketPath ?? "none", (o, v) => o.UnixSocketPath = v.Length == 0 ? null : v),
            new Setting("UnixSocketMode", null, "the Unix socket's permission bits, octal", o => Octal(o.UnixSocketMode), (o, v) => o.UnixSocketMode = Octal(v)),
            new Setting("DataDirectory", "--data", "directory holding the data (created if missing)", o => o.DataDirectory, (o, v) => o.DataDirectory = v),
            new Setting("Durability", "--durability", "always | batched[:<n>ms] | none: when a write is acknowledged", o => o.Durability.ToString(), (o, v) => o.Durability = SettingParsers.Durability(v)),
            new Setting("CommitOnEventLoop", null, "durable writes synced by an idle event loop rather than the commit thread (less CPU, reads on that loop wait)", o => Show(o.CommitOnEventLoop), (o, v) => o.CommitOnEventLoop = Bool(v)),
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
            new Setting("Tokens:<name>:Hash", null, "SHA-256 of a bearer token, 64 hex digits (embedkv hash-token prints it)", o => "none", (o, name, v) => Token(o, name).Hash = v.Trim()),
            new Setting("Tokens:<name>:Scopes", null, "what the token may do: read, write, admin, comma-separated", o => "read,write", (o, name, v) => Token(o, name).Scopes = Scopes(v)),
            new Setting("Tokens:<name>:Prefix", null, "the key prefix the token is limited to (UTF-8)", o => "all keys", (o, name, v) => Token(o, name).KeyPrefix = v),
            new Setting("AllowAnonymous", null, "serve without tokens on an address other than loopback", o => Show(o.AllowAnonymous), (o, v) => o.AllowAnonymous = Bool(v)),
        };

        private static readonly Dictionary<string, Setting> ByKey = All.Where(s => s.NamePrefix is null).ToDictionary(s => s.Key, StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// Whether <paramref name="key"/> (case-insensitive) is a setting's key or a section holding settings
        /// (such as "Limits"); <see cref="Apply"/> refuses every other key.
        /// </summary>
        /// <param name="key">A key, with ':' between sections.</param>
        /// <returns>True for a setting or a section of settings.</returns>
        public static bool IsKnown(string key)
        {
            ArgumentNullException.ThrowIfNull(key);
            return Find(key, out _, out _) || IsSection(key);
        }

        /// <summary>
        /// Reads every setting in <paramref name="settings"/> into <paramref name="options"/>. Throws
        /// <see cref="InvalidSettingException"/> naming the first unknown key or unreadable value.
        /// </summary>
        /// <param name="settings">
        /// Keys relative to the server's settings, with ':' between sections ("Port", "Limits:IdleTimeout"),
        /// as a configuration section enumerates them; a null value marks a section ("Limits") and is skipped.
        /// </param>
        /// <param name="options">The options to fill.</param>
        /// <param name="otherSections">Top-level sections that belong to someone else (the host's "Logging"): skipped with all they hold.</param>
        public static void Apply(IEnumerable<KeyValuePair<string, string?>> settings, KvServerOptions options, params string[] otherSections)
        {
            ArgumentNullException.ThrowIfNull(settings);
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(otherSections);
            foreach (KeyValuePair<string, string?> entry in settings)
            {
                if (otherSections.Any(other => entry.Key.Equals(other, StringComparison.OrdinalIgnoreCase) || IsUnder(entry.Key, other)))
                {
                    continue;
                }

                if (!Find(entry.Key, out Setting? setting, out string name))
                {
                    if (!IsSection(entry.Key))
                    {
                        throw new InvalidSettingException("unknown setting '" + entry.Key + "' (see --help for the settings)");
                    }

                    if (entry.Value is not null)
                    {
                        // "Limits": 5 is not an unknown setting but a value where a section belongs.
                        throw new InvalidSettingException("invalid setting " + entry.Key + ": '" + entry.Value + "' where a section of settings belongs");
                    }

                    continue;
                }

                if (entry.Value is null)
                {
                    continue; // a known setting present only as an empty section
                }

                try
                {
                    setting.Apply(options, name, entry.Value);
                }
                catch (FormatException e)
                {
                    throw new InvalidSettingException("invalid setting " + setting.Key + ": " + e.Message);
                }
            }
        }

        /// <summary>Applies the server's own rules (<see cref="KvServerOptions.Validate"/>); throws <see cref="InvalidSettingException"/> naming the first invalid setting.</summary>
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
                // Without the " (Parameter 'x')" the runtime appends to the message.
                string message = e.ParamName is null ? e.Message : e.Message.Replace(" (Parameter '" + e.ParamName + "')", string.Empty, StringComparison.Ordinal);
                throw new InvalidSettingException("invalid setting: " + message);
            }
        }

        private static bool Find(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Setting? setting, out string name)
        {
            name = string.Empty;
            if (ByKey.TryGetValue(key, out setting))
            {
                return true;
            }

            foreach (Setting named in All)
            {
                if (named.NamePrefix is not null && named.Matches(key, out name))
                {
                    setting = named;
                    return true;
                }
            }

            setting = null;
            return false;
        }

        /// <summary>"Limits", "Tokens", and a named entry such as "Tokens:ci": sections that hold settings.</summary>
        private static bool IsSection(string key) => All.Any(s => IsUnder(s.Key, key)
            || (s.NamePrefix is not null && key.Length > s.NamePrefix.Length && key.StartsWith(s.NamePrefix, StringComparison.OrdinalIgnoreCase)
                && !key.AsSpan(s.NamePrefix.Length).Contains(':')));

        /// <summary>The token named <paramref name="name"/> in <paramref name="options"/>, added if this is its first setting.</summary>
        private static AccessToken Token(KvServerOptions options, string name)
        {
            foreach (AccessToken token in options.Tokens)
            {
                if (token.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return token;
                }
            }

            var added = new AccessToken { Name = name };
            options.Tokens.Add(added);
            return added;
        }

        private static bool IsUnder(string key, string section) => key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);
    }
}
