using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>A wait that <see cref="WatchChains{T}"/> chains with the other waits on its key's hash.</summary>
    internal interface IWatchLink<T>
        where T : class
    {
        /// <summary>The key's <see cref="WatchHash"/>.</summary>
        ulong Hash { get; }

        T? Next { get; set; }

        T? Previous { get; set; }
    }

    /// <summary>
    /// One sink's waits, chained by their key's hash (intrusive doubly linked lists, so a wait leaves in
    /// constant time), telling the <see cref="KeyChangeFeed"/> of the first wait on a hash and of the last:
    /// what both the event loops' long-polls and the in-process waits keep.
    /// </summary>
    internal sealed class WatchChains<T>
        where T : class, IWatchLink<T>
    {
        private readonly Dictionary<ulong, T> _first = new Dictionary<ulong, T>();
        private readonly KeyChangeFeed _feed;
        private readonly int _sink;

        public WatchChains(KeyChangeFeed feed, int sink)
        {
            _feed = feed;
            _sink = sink;
        }

        /// <summary>The first wait on <paramref name="hash"/>, if any.</summary>
        public bool TryFirst(ulong hash, [MaybeNullWhen(false)] out T first) => _first.TryGetValue(hash, out first);

        public void Add(T wait)
        {
            wait.Previous = null;
            if (_first.TryGetValue(wait.Hash, out T? first))
            {
                wait.Next = first;
                first.Previous = wait;
            }
            else
            {
                wait.Next = null;
                _feed.Watch(wait.Hash, _sink);
            }

            _first[wait.Hash] = wait;
        }

        public void Remove(T wait)
        {
            if (wait.Previous is { } previous)
            {
                previous.Next = wait.Next;
            }
            else if (wait.Next is { } next)
            {
                _first[wait.Hash] = next;
            }
            else
            {
                _first.Remove(wait.Hash);
                _feed.Unwatch(wait.Hash, _sink);
            }

            if (wait.Next is { } following)
            {
                following.Previous = wait.Previous;
            }

            wait.Next = null;
            wait.Previous = null;
        }
    }
}
