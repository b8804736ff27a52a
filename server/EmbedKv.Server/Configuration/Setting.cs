using System;

namespace EmbedKv.Server.Configuration
{
    /// <summary>One configurable setting of <see cref="KvServerOptions"/>: its key, how to read it, and its help text.</summary>
    public sealed class Setting
    {
        private readonly Func<KvServerOptions, string> _show;
        private readonly Action<KvServerOptions, string, string> _apply;

        internal Setting(string key, string? commandLineSwitch, string description, Func<KvServerOptions, string> show, Action<KvServerOptions, string> apply)
            : this(key, commandLineSwitch, description, show, (options, _, value) => apply(options, value))
        {
        }

        /// <summary>A setting of a named entry (Tokens:NAME:Hash): <paramref name="apply"/> gets the entry's name, then the value.</summary>
        internal Setting(string key, string? commandLineSwitch, string description, Func<KvServerOptions, string> show, Action<KvServerOptions, string, string> apply)
        {
            Key = key;
            Switch = commandLineSwitch;
            Description = description;
            _show = show;
            _apply = apply;
            int name = key.IndexOf(NamePlaceholder, StringComparison.Ordinal);
            if (name >= 0)
            {
                NamePrefix = key.Substring(0, name);
                NameSuffix = key.Substring(name + NamePlaceholder.Length);
            }
        }

        /// <summary>Where a named setting's key holds the entry's name: "Tokens:&lt;name&gt;:Hash".</summary>
        internal const string NamePlaceholder = "<name>";

        /// <summary>The configuration key, such as "Port" or "Limits:IdleTimeout".</summary>
        public string Key { get; }

        /// <summary>For a named setting, the key before the name ("Tokens:"); null for a plain one.</summary>
        internal string? NamePrefix { get; }

        /// <summary>For a named setting, the key after the name (":Hash").</summary>
        internal string? NameSuffix { get; }

        /// <summary>Whether <paramref name="key"/> is this setting's key, reading a named setting's name into <paramref name="name"/>.</summary>
        internal bool Matches(string key, out string name)
        {
            name = string.Empty;
            if (NamePrefix is null)
            {
                return key.Equals(Key, StringComparison.OrdinalIgnoreCase);
            }

            if (key.Length <= NamePrefix.Length + NameSuffix!.Length
                || !key.StartsWith(NamePrefix, StringComparison.OrdinalIgnoreCase)
                || !key.EndsWith(NameSuffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            name = key.Substring(NamePrefix.Length, key.Length - NamePrefix.Length - NameSuffix.Length);
            return !name.Contains(':', StringComparison.Ordinal);
        }

        /// <summary>The short command-line switch (such as "--port"), if the setting has one.</summary>
        public string? Switch { get; }

        /// <summary>What the setting does, for --help.</summary>
        public string Description { get; }

        /// <summary>The setting's value in <paramref name="options"/>, as configuration would spell it.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The value as text.</returns>
        public string Show(KvServerOptions options) => _show(options);

        /// <summary>Parses <paramref name="value"/> into <paramref name="options"/>; throws <see cref="FormatException"/> saying what is expected.</summary>
        internal void Apply(KvServerOptions options, string name, string value) => _apply(options, name, value);
    }
}
