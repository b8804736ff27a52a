using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>
    /// Counts the requests a client really sends (over real sockets), to tell a retry from a single try;
    /// optionally alters each on its way, as a proxy between client and server would.
    /// </summary>
    internal sealed class CountingHandler : DelegatingHandler
    {
        private readonly Action<HttpRequestMessage>? _onTheWay;
        private int _sent;

        public CountingHandler(Action<HttpRequestMessage>? onTheWay = null)
            : base(new SocketsHttpHandler()) => _onTheWay = onTheWay;

        public int Sent => Volatile.Read(ref _sent);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sent);
            _onTheWay?.Invoke(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
