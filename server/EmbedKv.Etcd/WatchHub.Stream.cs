using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Etcdserverpb;
using Grpc.Core;

namespace EmbedKv.Etcd
{
    /// <content>The hub's watch stream: its one writer and its reader.</content>
    internal sealed partial class WatchHub
    {
        /// <summary>
        /// One watch stream: requests go out through a queue one writer drains (gRPC takes one write at a time),
        /// and a reader hands every answer to the hub; either failing tells the hub once.
        /// </summary>
        private sealed class WatchStream
        {
            private readonly WatchHub _hub;
            private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
            private readonly Channel<WatchRequest> _outgoing = Channel.CreateUnbounded<WatchRequest>(new UnboundedChannelOptions { SingleReader = true });
            private int _broken;

            public WatchStream(WatchHub hub, AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call)
            {
                _hub = hub;
                _call = call;
            }

            public void Send(WatchRequest request) => _outgoing.Writer.TryWrite(request);

            public void Start()
            {
                _ = Task.Run(WriteAsync);
                _ = Task.Run(ReadAsync);
            }

            public void Close()
            {
                _outgoing.Writer.TryComplete();
                _call.Dispose(); // cancels the call: both loops end
            }

            private async Task WriteAsync()
            {
                try
                {
                    await foreach (WatchRequest request in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
                    {
                        await _call.RequestStream.WriteAsync(request).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    Fail(e);
                }
            }

            private async Task ReadAsync()
            {
                try
                {
                    while (await _call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                    {
                        _hub.Received(_call.ResponseStream.Current);
                    }

                    Fail(null);
                }
                catch (Exception e)
                {
                    Fail(e);
                }
            }

            private void Fail(Exception? failure)
            {
                if (Interlocked.Exchange(ref _broken, 1) == 0)
                {
                    _outgoing.Writer.TryComplete();
                    _call.Dispose();
                    _hub.Broken(this, failure);
                }
            }
        }
    }
}
