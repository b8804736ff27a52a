using System;
using System.IO;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// The cluster did not answer within <see cref="EtcdStoreOptions.RequestTimeout"/>: no member reachable, or
    /// no leader elected. A write that ends this way may or may not have been applied (docs/etcd.md).
    /// </summary>
    public sealed class EtcdUnavailableException : IOException
    {
        /// <summary>Wraps the call's failure.</summary>
        /// <param name="message">What was asked and of which endpoints.</param>
        /// <param name="inner">The gRPC failure.</param>
        public EtcdUnavailableException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }
}
