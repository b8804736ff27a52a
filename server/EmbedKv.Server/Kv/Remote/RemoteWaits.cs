using System.Collections.Generic;

namespace EmbedKv.Server.Kv.Remote
{
    /// <summary>
    /// One event loop's long-polls waiting on a remote backend, so that a stopping server ends them and
    /// answers each as its key stands, rather than hold the stop up to 300 s. The loop's thread only.
    /// </summary>
    internal sealed class RemoteWaits
    {
        private readonly HashSet<RemoteReply> _waiting = new HashSet<RemoteReply>();
        private bool _ending;

        public void Add(RemoteReply wait)
        {
            _waiting.Add(wait);
            if (_ending)
            {
                wait.EndWait();
            }
        }

        public void Remove(RemoteReply wait) => _waiting.Remove(wait);

        /// <summary>The server stops: every wait ends now, and any begun later ends at once.</summary>
        public void EndAll()
        {
            _ending = true;
            foreach (RemoteReply wait in _waiting)
            {
                wait.EndWait();
            }
        }
    }
}
