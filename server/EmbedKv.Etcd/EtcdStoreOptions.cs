using System;
using System.Collections.Generic;

namespace EmbedKv.Etcd
{
    /// <summary>How <see cref="EtcdStore"/> reaches its cluster and what it refuses before asking it.</summary>
    public sealed class EtcdStoreOptions
    {
        /// <summary>etcd's default <c>--max-request-bytes</c>: 1.5 MiB.</summary>
        public const int DefaultMaxRequestBytes = 1536 * 1024;

        /// <summary>
        /// Room a put's request takes beyond its value and its key's two copies (in the compare and in the
        /// put): the Txn's other fields, the raft request's header and their protobuf framing. Checked against
        /// a real cluster with the longest request a put makes (EtcdLimitTests), with a margin.
        /// </summary>
        public const int RequestOverheadBytes = 512;

        /// <summary>The cluster's client URLs (<c>http://127.0.0.1:2379</c>); calls go round-robin, and a member that fails is skipped.</summary>
        public IList<string> Endpoints { get; set; } = new List<string>();

        /// <summary>
        /// Put before every key on the cluster (UTF-8; empty: none), so that several applications, or several
        /// EmbedKv deployments, share one cluster without seeing each other's keys, as etcd's own
        /// <c>grpc-proxy --namespace</c> does. Clients never see it: a key "a" is "PREFIXa" in etcd, and a
        /// listing lists only keys under it, without it.
        /// </summary>
        /// <remarks>
        /// Isolation holds only between prefixes none of which starts another: "orders/" and "orders/eu/" overlap
        /// (the first sees the second's key "123" as its "eu/123"), as do "app" and "app2", and a deployment with
        /// no prefix sees every key. End each prefix with a separator ("orders/", "billing/").
        /// </remarks>
        public string KeyPrefix { get; set; } = string.Empty;

        /// <summary>
        /// The longest one call to the cluster may take before the store gives up and throws
        /// <see cref="EtcdUnavailableException"/>: a cluster without a leader or out of reach is an answer
        /// (503 over HTTP), never a hang.
        /// </summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>The cluster's <c>--max-request-bytes</c>; a write that would exceed it is refused before it is sent.</summary>
        public int MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

        /// <summary>The most keys one Range call of a listing asks for; fewer when the values are large (<see cref="ListBudgetBytes"/>).</summary>
        /// <remarks>
        /// It also bounds what one call can fetch beyond <see cref="ListBudgetBytes"/> when values grow along
        /// the listing: 64 values at etcd's 1.5 MiB limit are 96 MiB.
        /// </remarks>
        public int ListBatch { get; set; } = 64;

        /// <summary>
        /// Bytes of values one listing page may fetch: etcd sends every value with its key (the listing needs
        /// their sizes), so past this a page ends early, with more to follow, rather than pull up to its
        /// <c>limit</c> of large values (10,000 of 1.5 MiB would be 15 GB for one page).
        /// </summary>
        public long ListBudgetBytes { get; set; } = 8 * 1024 * 1024;

        /// <summary>The largest value a key of <paramref name="keyLength"/> bytes can carry in one request.</summary>
        /// <param name="keyLength">The key's length in bytes.</param>
        /// <returns>The limit in bytes; 0 or less if the key alone leaves no room.</returns>
        /// <remarks>The key counts as stored, after <see cref="KeyPrefix"/>.</remarks>
        public long MaxValueLength(int keyLength) => ValueRoom((long)keyLength + System.Text.Encoding.UTF8.GetByteCount(KeyPrefix ?? string.Empty));

        /// <summary>The largest value under a key of <paramref name="storedKeyLength"/> bytes as etcd holds it (the prefix included).</summary>
        internal long ValueRoom(long storedKeyLength) => (long)MaxRequestBytes - RequestOverheadBytes - (2L * storedKeyLength);

        /// <summary><see cref="KeyPrefix"/> in UTF-8.</summary>
        internal byte[] KeyPrefixBytes => System.Text.Encoding.UTF8.GetBytes(KeyPrefix ?? string.Empty);

        /// <summary>Throws if the options cannot work, naming the setting.</summary>
        /// <exception cref="ArgumentException">An endpoint is missing or not an http(s) URL, or a limit is out of range.</exception>
        public void Validate()
        {
            if (Endpoints.Count == 0)
            {
                throw new ArgumentException("Etcd:Endpoints: at least one client URL is needed (http://127.0.0.1:2379)", nameof(Endpoints));
            }

            foreach (string endpoint in Endpoints)
            {
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.AbsolutePath != "/")
                {
                    throw new ArgumentException("Etcd:Endpoints: '" + endpoint + "' is not a client URL such as http://127.0.0.1:2379", nameof(Endpoints));
                }
            }

            if (RequestTimeout <= TimeSpan.Zero)
            {
                throw new ArgumentException("Etcd:RequestTimeout must be positive", nameof(RequestTimeout));
            }

            if (MaxRequestBytes <= RequestOverheadBytes)
            {
                throw new ArgumentException("Etcd:MaxRequestBytes must exceed " + RequestOverheadBytes, nameof(MaxRequestBytes));
            }

            if (KeyPrefix is null)
            {
                throw new ArgumentException("Etcd:KeyPrefix must not be null (empty: no prefix)", nameof(KeyPrefix));
            }

            if (ListBatch < 1)
            {
                throw new ArgumentException("Etcd:ListBatch must be at least 1", nameof(ListBatch));
            }

            if (ListBudgetBytes < 1)
            {
                throw new ArgumentException("Etcd:ListBudgetBytes must be at least 1", nameof(ListBudgetBytes));
            }
        }
    }
}
