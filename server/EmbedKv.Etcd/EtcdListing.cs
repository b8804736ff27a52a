using System.Collections.Generic;
using EmbedKv.Server.Backends;

namespace EmbedKv.Etcd
{
    /// <summary>A page of keys, and whether more follow the last one.</summary>
    /// <param name="Keys">The keys, in byte order.</param>
    /// <param name="More">Whether keys after the last one match too.</param>
    public sealed record EtcdListing(IReadOnlyList<BackendListedKey> Keys, bool More);
}
