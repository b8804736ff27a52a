using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Api
{
    /// <summary>
    /// A backend passed through untouched, counting its waits under way (begun and not yet reported): the server
    /// counts the local store's parked waits (what the suites ask of a local server), but a wait on etcd is the
    /// backend's watch, so it is counted here.
    /// </summary>
    internal sealed class WaitCountingBackend : IKvBackend
    {
        private readonly IKvBackend _backend;
        private int _waiting;

        public WaitCountingBackend(IKvBackend backend) => _backend = backend;

        public int Waiting => Volatile.Read(ref _waiting);

        public string Description => _backend.Description;

        public long MaxValueLength(int keyLength) => _backend.MaxValueLength(keyLength);

        public void BeginGet(ReadOnlySpan<byte> key, IBackendReply reply) => _backend.BeginGet(key, reply);

        public void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteCondition condition, long expiresAtUnixSeconds, IBackendReply reply)
            => _backend.BeginPut(key, value, condition, expiresAtUnixSeconds, reply);

        public void BeginDelete(ReadOnlySpan<byte> key, WriteCondition condition, IBackendReply reply) => _backend.BeginDelete(key, condition, reply);

        public void BeginList(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, int limit, IBackendReply reply) => _backend.BeginList(prefix, after, limit, reply);

        public void BeginWait(ReadOnlySpan<byte> key, long revision, TimeSpan timeout, IBackendReply reply)
        {
            Interlocked.Increment(ref _waiting);
            _backend.BeginWait(key, revision, timeout, new CountedReply(this, reply));
        }

        /// <summary>The wait's reply: its one report ends the wait's count, before the server hears of it.</summary>
        private sealed class CountedReply : IBackendReply
        {
            private readonly WaitCountingBackend _counter;
            private readonly IBackendReply _reply;

            public CountedReply(WaitCountingBackend counter, IBackendReply reply)
            {
                _counter = counter;
                _reply = reply;
            }

            public CancellationToken Cancellation => _reply.Cancellation;

            public void Read(BackendRead read)
            {
                Ended();
                _reply.Read(read);
            }

            public void Written(WriteResult result)
            {
                Ended();
                _reply.Written(result);
            }

            public void Listed(IReadOnlyList<BackendListedKey> keys, bool more)
            {
                Ended();
                _reply.Listed(keys, more);
            }

            public void Waited(bool changed)
            {
                Ended();
                _reply.Waited(changed);
            }

            public void Unavailable(string reason)
            {
                Ended();
                _reply.Unavailable(reason);
            }

            public void Failed(string reason)
            {
                Ended();
                _reply.Failed(reason);
            }

            private void Ended() => Interlocked.Decrement(ref _counter._waiting);
        }
    }
}
