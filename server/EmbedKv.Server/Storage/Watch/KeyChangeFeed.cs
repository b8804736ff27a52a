using System;
using System.Collections.Generic;
using System.Threading;

namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>
    /// Tells whoever watches a key that it changed: every write and delete made visible passes through
    /// <see cref="Changed"/> (from <see cref="Segments.Catalog.Apply"/>), and the sinks that watch its
    /// hash hear of it. Sinks are the event loops (their long-polls) and the store's own in-process
    /// waiters; each counts its own waiters per key and tells the feed only of the first and the last,
    /// so the feed keeps one entry per watched hash: a mask of the sinks that want it.
    /// </summary>
    /// <remarks>
    /// With no watch at all a write pays one volatile read. With watches, one lookup under this feed's own
    /// lock; the sinks are called after it is released. A sink that stopped watching may still hear of a
    /// change it no longer wants, so sinks ignore hashes they do not know.
    /// </remarks>
    internal sealed class KeyChangeFeed
    {
        private readonly object _lock = new object();

        // Watched hash -> the sinks that watch it, by bit (sink number modulo 64: a bit shared by two sinks
        // tells both, and the one not watching ignores it), and how many sinks watch it.
        private readonly Dictionary<ulong, (ulong Mask, int Sinks)> _watched = new Dictionary<ulong, (ulong, int)>();
        private IKeyChangeSink?[] _sinks = new IKeyChangeSink?[4];
        private int _watchedCount;

        /// <summary>Adds a sink; the number it returns names it to <see cref="Watch"/> and <see cref="Unwatch"/>.</summary>
        public int Register(IKeyChangeSink sink)
        {
            lock (_lock)
            {
                int free = Array.IndexOf(_sinks, null);
                if (free < 0)
                {
                    free = _sinks.Length;
                    Array.Resize(ref _sinks, _sinks.Length * 2);
                }

                _sinks[free] = sink;
                return free;
            }
        }

        /// <summary>Removes a sink: it hears of nothing more.</summary>
        public void Unregister(int sink)
        {
            lock (_lock)
            {
                _sinks[sink] = null;
            }
        }

        /// <summary>Sink <paramref name="sink"/> watches keys of <paramref name="hash"/> (called for its first waiter on it).</summary>
        public void Watch(ulong hash, int sink)
        {
            lock (_lock)
            {
                _watched.TryGetValue(hash, out (ulong Mask, int Sinks) watch);
                _watched[hash] = (watch.Mask | Bit(sink), watch.Sinks + 1);
                Volatile.Write(ref _watchedCount, _watched.Count);
            }
        }

        /// <summary>Sink <paramref name="sink"/> no longer watches <paramref name="hash"/> (its last waiter on it left).</summary>
        public void Unwatch(ulong hash, int sink)
        {
            lock (_lock)
            {
                if (!_watched.TryGetValue(hash, out (ulong Mask, int Sinks) watch))
                {
                    return;
                }

                if (watch.Sinks == 1)
                {
                    _watched.Remove(hash);
                }
                else
                {
                    // Another sink sharing this one's bit may still watch the hash: the bit stays then.
                    _watched[hash] = (HasTwin(sink) ? watch.Mask : watch.Mask & ~Bit(sink), watch.Sinks - 1);
                }

                Volatile.Write(ref _watchedCount, _watched.Count);
            }
        }

        /// <summary>
        /// The feed's lock, for a test that holds a writer between the index change and its report (the gap
        /// in which a wait may look at the new version and then hear of the very write it saw).
        /// </summary>
        internal object SyncRoot => _lock;

        /// <summary>Whether any key is watched now (read by tests).</summary>
        public int WatchedCount => Volatile.Read(ref _watchedCount);

        /// <summary><paramref name="key"/> was written or deleted by the write of <paramref name="sequence"/>, and the index shows it: its watchers hear of it.</summary>
        public void Changed(ReadOnlySpan<byte> key, ulong sequence)
        {
            if (Volatile.Read(ref _watchedCount) == 0)
            {
                return;
            }

            ulong hash = WatchHash.Of(key);
            ulong mask;
            IKeyChangeSink?[] sinks;
            lock (_lock)
            {
                if (!_watched.TryGetValue(hash, out (ulong Mask, int Sinks) watch))
                {
                    return;
                }

                mask = watch.Mask;

                sinks = _sinks;
            }

            for (int i = 0; i < sinks.Length; i++)
            {
                if ((mask & Bit(i)) != 0)
                {
                    sinks[i]?.OnKeyChanged(hash, sequence);
                }
            }
        }

        private static ulong Bit(int sink) => 1UL << (sink & 63);

        private bool HasTwin(int sink)
        {
            for (int i = sink & 63; i < _sinks.Length; i += 64)
            {
                if (i != sink && _sinks[i] is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
