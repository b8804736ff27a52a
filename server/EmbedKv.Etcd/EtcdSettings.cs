using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Server.Configuration;
using static EmbedKv.Server.Configuration.SettingParsers;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// The etcd backend as configuration carries it: <c>Backend = Etcd</c> chooses it, and the <c>Etcd</c>
    /// section holds <see cref="EtcdStoreOptions"/> (<c>Etcd:Endpoints</c>, <c>Etcd:RequestTimeout</c>, …).
    /// A table like the server's own (<see cref="KvServerSettings"/>), and for the same reasons: it is also
    /// --help, and an unknown key or a bad value fails naming it rather than being skipped. Callers pass
    /// key/value pairs with ':' between sections, as a configuration section enumerates them.
    /// </summary>
    public static class EtcdSettings
    {
        /// <summary>The <see cref="KvServerSettings.BackendKey"/> value that chooses etcd, and the name of the section holding its settings.</summary>
        public const string Name = "Etcd";

        private const string EndpointsKey = Name + ":Endpoints";

        /// <summary>Every setting of the section, in the order --help lists them.</summary>
        public static IReadOnlyList<EtcdSetting> All { get; } = new[]
        {
            new EtcdSetting(EndpointsKey, "the cluster's client URLs, comma-separated (or as a list, Etcd:Endpoints:0, :1, …)", o => o.Endpoints.Count == 0 ? "none" : string.Join(",", o.Endpoints), (o, v) => o.Endpoints = Split(v)),
            new EtcdSetting(Name + ":KeyPrefix", "put before every key in etcd (UTF-8), so deployments can share a cluster", o => o.KeyPrefix.Length == 0 ? "none" : o.KeyPrefix, (o, v) => o.KeyPrefix = v),
            new EtcdSetting(Name + ":RequestTimeout", "longest one call to the cluster may take (503 beyond)", o => Show(o.RequestTimeout), (o, v) => o.RequestTimeout = Duration(v)),
            new EtcdSetting(Name + ":MaxRequestBytes", "the cluster's --max-request-bytes (413 for a value that would not fit)", o => Show(o.MaxRequestBytes), (o, v) => o.MaxRequestBytes = Int(v)),
            new EtcdSetting(Name + ":ListBatch", "keys a listing fetches per Range call", o => Show(o.ListBatch), (o, v) => o.ListBatch = Int(v)),
        };

        /// <summary>Whether <paramref name="key"/> is <see cref="KvServerSettings.BackendKey"/>, the section, or a key in it (case-insensitive).</summary>
        /// <param name="key">A key, with ':' between sections.</param>
        /// <returns>True for a key these settings read.</returns>
        public static bool IsKnown(string key)
        {
            ArgumentNullException.ThrowIfNull(key);
            return key.Equals(KvServerSettings.BackendKey, StringComparison.OrdinalIgnoreCase)
                || key.Equals(Name, StringComparison.OrdinalIgnoreCase)
                || key.StartsWith(Name + ":", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// Whether <paramref name="settings"/> choose etcd: <c>Backend</c> is <c>Etcd</c> (case-insensitive);
        /// absent or <c>Local</c> choose the store on disk. Any other name is refused.
        /// </summary>
        /// <param name="settings">The settings, as for <see cref="KvServerSettings.Apply"/>.</param>
        /// <returns>True for etcd.</returns>
        /// <exception cref="InvalidSettingException">Backend names no backend.</exception>
        public static bool ChoosesEtcd(IEnumerable<KeyValuePair<string, string?>> settings)
        {
            ArgumentNullException.ThrowIfNull(settings);
            string? backend = settings.LastOrDefault(e => e.Key.Equals(KvServerSettings.BackendKey, StringComparison.OrdinalIgnoreCase)).Value?.Trim();
            if (backend is null || backend.Equals(KvServerSettings.LocalBackend, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            return backend.Equals(Name, StringComparison.OrdinalIgnoreCase)
                ? true
                : throw new InvalidSettingException("invalid setting " + KvServerSettings.BackendKey + ": '" + backend + "' is not one of " + KvServerSettings.LocalBackend + ", " + Name);
        }

        /// <summary>
        /// Reads the <c>Etcd</c> section of <paramref name="settings"/> into new options and validates them; keys
        /// outside the section are left alone. <c>Etcd:Endpoints</c> given as text (comma-separated) replaces
        /// any list form (<c>Etcd:Endpoints:0</c>), so an environment variable overrides appsettings.json's list.
        /// </summary>
        /// <param name="settings">The settings, as for <see cref="KvServerSettings.Apply"/>.</param>
        /// <returns>The options.</returns>
        /// <exception cref="InvalidSettingException">An unknown key in the section, a value that does not read, or options that cannot work; the message names the setting.</exception>
        public static EtcdStoreOptions Read(IEnumerable<KeyValuePair<string, string?>> settings)
        {
            ArgumentNullException.ThrowIfNull(settings);
            var options = new EtcdStoreOptions();
            var listed = new SortedDictionary<int, string>();
            foreach (KeyValuePair<string, string?> entry in settings)
            {
                if (!entry.Key.StartsWith(Name + ":", StringComparison.OrdinalIgnoreCase) || entry.Value is null)
                {
                    continue; // another section's key, or a section header (Etcd, Etcd:Endpoints as a list)
                }

                if (IsListedEndpoint(entry.Key, out int index))
                {
                    listed[index] = entry.Value;
                    continue;
                }

                EtcdSetting setting = All.FirstOrDefault(s => s.Key.Equals(entry.Key, StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidSettingException("unknown setting '" + entry.Key + "' (see --help for the settings)");
                try
                {
                    setting.Apply(options, entry.Value);
                }
                catch (FormatException e)
                {
                    throw new InvalidSettingException("invalid setting " + setting.Key + ": " + e.Message);
                }
            }

            if (options.Endpoints.Count == 0)
            {
                options.Endpoints = listed.Values.Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
            }

            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                string message = e.ParamName is null ? e.Message : e.Message.Replace(" (Parameter '" + e.ParamName + "')", string.Empty, StringComparison.Ordinal);
                throw new InvalidSettingException("invalid setting " + message);
            }

            return options;
        }

        /// <summary>The backend <paramref name="settings"/> choose: etcd with the section's options, or null for the store on disk.</summary>
        /// <param name="settings">The settings, as for <see cref="KvServerSettings.Apply"/>.</param>
        /// <returns>A new backend (the caller disposes it after the server stops), or null.</returns>
        /// <exception cref="InvalidSettingException">Backend names no backend, or the section does not read; the message names the setting.</exception>
        public static EtcdBackend? CreateBackend(IEnumerable<KeyValuePair<string, string?>> settings)
        {
            ArgumentNullException.ThrowIfNull(settings);
            List<KeyValuePair<string, string?>> all = settings.ToList();
            return ChoosesEtcd(all) ? new EtcdBackend(Read(all)) : null;
        }

        private static List<string> Split(string text) =>
            text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

        private static bool IsListedEndpoint(string key, out int index)
        {
            index = 0;
            return key.Length > EndpointsKey.Length + 1
                && key.StartsWith(EndpointsKey + ":", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(key.AsSpan(EndpointsKey.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }
    }
}
