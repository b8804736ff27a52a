using System;

namespace EmbedKv.Extensions.Hosting.Configuration
{
    /// <summary>One configurable setting of <see cref="EmbedKv.Server.KvServerOptions"/>: its key, how to read it, and its help text.</summary>
    public sealed class Setting
    {
        private readonly Func<EmbedKv.Server.KvServerOptions, string> _show;
        private readonly Action<EmbedKv.Server.KvServerOptions, string> _apply;

        internal Setting(string key, string? commandLineSwitch, string description, Func<EmbedKv.Server.KvServerOptions, string> show, Action<EmbedKv.Server.KvServerOptions, string> apply)
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

        /// <summary>The environment variable the host reads it from: EMBEDKV_ and the key, with ':' as "__".</summary>
        public string EnvironmentVariable => KvServerSettings.EnvironmentPrefix + Key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

        /// <summary>The setting's value in <paramref name="options"/>, as configuration would spell it.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The value as text.</returns>
        public string Show(EmbedKv.Server.KvServerOptions options) => _show(options);

        /// <summary>Parses <paramref name="value"/> into <paramref name="options"/>; throws <see cref="FormatException"/> saying what is expected.</summary>
        internal void Apply(EmbedKv.Server.KvServerOptions options, string value) => _apply(options, value);
    }
}
