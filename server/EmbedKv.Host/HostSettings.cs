using System.Collections.Generic;
using EmbedKv.Etcd;
using EmbedKv.Server;
using Microsoft.Extensions.Configuration;

namespace EmbedKv.Host
{
    /// <summary>What <see cref="HostConfiguration.Read"/> found.</summary>
    /// <param name="Options">The server's options, validated; <see cref="KvServerOptions.Backend"/> is not set yet.</param>
    /// <param name="Etcd">The etcd backend's options when Backend is Etcd, validated; null for the store on disk.</param>
    /// <param name="Logging">The "Logging" section.</param>
    /// <param name="Ignored">EMBEDKV_* variables that are no setting, for one warning each.</param>
    internal sealed record HostSettings(KvServerOptions Options, EtcdStoreOptions? Etcd, IConfiguration Logging, IReadOnlyList<string> Ignored);
}
