using System;

namespace EmbedKv.Server.Configuration
{
    /// <summary>One configurable setting of <see cref="KvServerOptions"/>: its key, how to read it, and its help text.</summary>
    public sealed class Setting
    {
        private readonly Func<KvServerOptions, string> _show;
        private readonly Action<KvServerOptions, string> _apply;

        internal Setting(string key, string? commandLineSwitch, string description, Func<KvServerOptions, string> show, Action<KvServerOptions, string> apply)
        {
            Key = key;
            Switch = commandLineSwitch;
            Description = description;
            _show = show;
            _apply = apply;
        }

        /// <summary>The configuration key, such as "Port" or "Limits:IdleTimeout".</summary>
        public string Key { get; }

        /// <summary>The short command-line switch (such as "--port"), if the setting has one.</summary>
        public string? Switch { get; }

        /// <summary>What the setting does, for --help.</summary>
        public string Description { get; }

        /// <summary>The setting's value in <paramref name="options"/>, as configuration would spell it.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The value as text.</returns>
        public string Show(KvServerOptions options) => _show(options);

        /// <summary>Parses <paramref name="value"/> into <paramref name="options"/>; throws <see cref="FormatException"/> saying what is expected.</summary>
        internal void Apply(KvServerOptions options, string value) => _apply(options, value);
    }
}
