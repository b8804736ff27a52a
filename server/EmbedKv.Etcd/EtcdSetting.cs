using System;

namespace EmbedKv.Etcd
{
    /// <summary>One setting of the etcd backend (<see cref="EtcdSettings"/>): its key, how to read it, and its help text.</summary>
    public sealed class EtcdSetting
    {
        private readonly Func<EtcdStoreOptions, string> _show;
        private readonly Action<EtcdStoreOptions, string> _apply;

        internal EtcdSetting(string key, string description, Func<EtcdStoreOptions, string> show, Action<EtcdStoreOptions, string> apply)
        {
            Key = key;
            Description = description;
            _show = show;
            _apply = apply;
        }

        /// <summary>The configuration key, such as "Etcd:Endpoints".</summary>
        public string Key { get; }

        /// <summary>What the setting does, for --help.</summary>
        public string Description { get; }

        /// <summary>The setting's value in <paramref name="options"/>, as configuration would spell it.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The value as text.</returns>
        public string Show(EtcdStoreOptions options) => _show(options);

        /// <summary>Parses <paramref name="value"/> into <paramref name="options"/>; throws <see cref="FormatException"/> saying what is expected.</summary>
        internal void Apply(EtcdStoreOptions options, string value) => _apply(options, value);
    }
}
