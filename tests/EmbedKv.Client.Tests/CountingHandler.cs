using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>Counts the requests a client really sends (over real sockets), to tell a retry from a single try.</summary>
    internal sealed class CountingHandler : DelegatingHandler
    {
        private int _sent;

        public CountingHandler()
            : base(new SocketsHttpHandler())
        {
        }

        public int Sent => Volatile.Read(ref _sent);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sent);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
