// The exchange without a socket, as Kestrel's Http1ConnectionTests run Http1Connection over in-memory
// pipes: this harness is the transport (bytes in from a string, bytes out into a buffer) and plays the
// event loop's part for store completions. The handler and the store behind it are the real ones, on a
// real temporary data directory; only the socket is replaced.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Memory;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Loop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Http.Exchange
{
    internal sealed unsafe class ExchangeHarness : IExchangeTransport, IValueSink, IReadWaits, IClientPeer, IWriteCompletion, IDisposable
    {
        private const int TurnByteBudget = 256 * 1024;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly BufferPool _pool;
        private readonly ListingPages _pages = new ListingPages();
        private readonly ConnectionBuffers _buffers;
        private readonly KvHandler _handler;
        private readonly Queue<byte> _incoming = new Queue<byte>();
        private readonly MemoryStream _wire = new MemoryStream();
        private readonly object _lock = new object();
        private readonly Queue<(WriteOutcome, ulong)> _completions = new Queue<(WriteOutcome, ulong)>();
        private StoredValue _sending;
        private bool _hasSending;
        private NativeRegion? _page;
        private int _pageLength;
        private int _turnBytes;
        private bool _inputDrained;
        private bool _clientClosed;
        private long _taken;

        public ExchangeHarness(Action<KvServerOptions>? configure = null)
        {
            Options = new KvServerOptions { DataDirectory = _dir.Path, Durability = Durability.None };
            configure?.Invoke(Options);
            Store = KvStore.Open(Options.StoreOptions());
            Context = new ExchangeContext(Options.Limits, new RequestStats(duration: null), KvHandler.AreaSize(Options.Limits));
            _pool = new BufferPool(Context.Layout.BlockSize);
            _buffers = new ConnectionBuffers(Context.Layout);
            var responses = new ResponseComposer(Context, _buffers);
            var guard = new AccessGuard(TokenTable.From(Options.Tokens), new AccessFailures(Options.Logger));
            _handler = new KvHandler(Store, Options, this, _buffers, responses, this, this, this, _pages, guard) { Token = 1 };
            Exchange = new Http1Exchange(Context, _buffers, responses, _handler, this);
            Exchange.Start(Now);
        }

        public KvServerOptions Options { get; }

        public KvStore Store { get; }

        public ExchangeContext Context { get; }

        public Http1Exchange Exchange { get; }

        /// <summary>The clock the harness drives with (monotonic milliseconds); tests move it.</summary>
        public long Now { get; set; } = 1_000_000;

        /// <summary>At most this many bytes per receive (the rest stays with the "client"), to split requests anywhere.</summary>
        public int ReceiveChunk { get; set; } = int.MaxValue;

        public bool IsOpen { get; private set; } = true;

        /// <summary>The exchange shut down its direction (a lingering close).</summary>
        public bool OutputShutDown { get; private set; }

        /// <summary>The client's end of stream: once the incoming bytes are read, the next receive sees it.</summary>
        public bool ClientClosed
        {
            get => _clientClosed;
            set
            {
                _clientClosed = value;
                _inputDrained = false; // epoll would report the hang-up
            }
        }

        /// <summary>Sent bytes are counted but not kept (for the allocation test: the record would grow).</summary>
        public bool DiscardOutput { get; set; }

        public bool InputDrained => _inputDrained;

        public bool TurnBytesSpent => _turnBytes >= TurnByteBudget;

        public bool SendingValue => _hasSending || _page is not null;

        /// <summary>The block is rented now (an idle connection gives it back).</summary>
        public bool HoldsBuffers => _buffers.IsAttached;

        /// <summary>Bytes the client sent that the exchange has not received yet.</summary>
        public int Unreceived => _incoming.Count;

        /// <summary>The client sends <paramref name="request"/> and the exchange serves until it would wait; returns what it sent back.</summary>
        public string Request(string request) => Serve(Encoding.UTF8.GetBytes(request));

        public string Serve(byte[] request)
        {
            Pump(request);
            return Sent();
        }

        /// <summary>The client sends <paramref name="request"/> and the exchange serves it; what went out stays to be taken.</summary>
        public void Pump(byte[] request)
        {
            foreach (byte b in request)
            {
                _incoming.Enqueue(b);
            }

            _inputDrained = false;
            Turn();
        }

        /// <summary>One readiness turn with nothing new from the client; returns what went out.</summary>
        public string Drive()
        {
            Turn();
            return Sent();
        }

        /// <summary>The read the handler parked (a long-poll), which the loop would keep; null if none.</summary>
        public ReadWait? Parked { get; private set; }

        /// <summary>As the loop does when a parked read's key changed or its time came: the handler answers it, and the exchange goes on.</summary>
        public string AnswerWait()
        {
            ReadWait wait = Parked ?? throw new InvalidOperationException("no read is waiting");
            Parked = null;
            _handler.AnswerWait(wait);
            _turnBytes = 0;
            Exchange.Complete(Now);
            Turn();
            return Sent();
        }

        string IClientPeer.PeerAddress() => "harness";

        ReadWait IReadWaits.BeginWait() => Parked = new ReadWait();

        void IReadWaits.Park()
        {
        }

        /// <summary>What went out since the last call.</summary>
        public string Sent()
        {
            string sent = Encoding.UTF8.GetString(_wire.GetBuffer(), (int)_taken, (int)(_wire.Length - _taken));
            _taken = _wire.Length;
            return sent;
        }

        /// <summary>One readiness turn, then any store completions, as the event loop would deliver them.</summary>
        private void Turn()
        {
            _turnBytes = 0;
            Exchange.Drive(Now);
            while (IsOpen && Exchange.AwaitsHandler && Parked is null)
            {
                (WriteOutcome outcome, ulong version) = NextCompletion();
                _handler.OnStored(outcome, version);
                _turnBytes = 0;
                Exchange.Complete(Now);
            }
        }

        public ReceiveStatus Receive()
        {
            if (!_buffers.IsAttached)
            {
                _buffers.Attach(_pool.Rent());
            }

            if (_buffers.InputFull)
            {
                _buffers.CompactInput();
                if (_buffers.InputFull)
                {
                    return ReceiveStatus.NoRoom;
                }
            }

            if (_incoming.Count == 0)
            {
                if (ClientClosed)
                {
                    Close();
                    return ReceiveStatus.Closed;
                }

                _inputDrained = true;
                return ReceiveStatus.Empty;
            }

            Span<byte> room = _buffers.InputRoom;
            int count = Math.Min(Math.Min(room.Length, ReceiveChunk), _incoming.Count);
            for (int i = 0; i < count; i++)
            {
                room[i] = _incoming.Dequeue();
            }

            _buffers.Received(count);
            _turnBytes += count;
            _inputDrained = _incoming.Count == 0 && !ClientClosed;
            return ReceiveStatus.Received;
        }

        public SendStatus Send()
        {
            bool progress = _buffers.HasOutput || _hasSending || _page is not null;
            if (!DiscardOutput)
            {
                _wire.Write(_buffers.Unsent);
            }

            _buffers.Sent(_buffers.Unsent.Length);
            _buffers.AllSent();
            if (_hasSending)
            {
                // What sendfile would send: the value's bytes from the store's file.
                byte[] value = new byte[_sending.Length];
                Store.ReadValue(_sending, 0, value);
                _wire.Write(value);
                _hasSending = false;
                _sending.Release();
            }

            if (_page is { } page)
            {
                // What send would send: the listing page's bytes.
                _wire.Write(page.AsSpan(0, _pageLength));
                _page = null;
                _pages.Return(page);
            }

            return progress ? SendStatus.Sent : SendStatus.Nothing;
        }

        public void ShutdownOutput() => OutputShutDown = true;

        public void ReleaseBuffers()
        {
            if (_buffers.IsAttached)
            {
                _pool.Return(_buffers.Detach());
            }
        }

        public void Close()
        {
            if (!IsOpen)
            {
                return;
            }

            IsOpen = false;
            Exchange.Reset();
            if (_hasSending)
            {
                _hasSending = false;
                _sending.Release();
            }

            if (_page is { } page)
            {
                _page = null;
                _pages.Return(page);
            }

            ReleaseBuffers();
        }

        void IValueSink.Send(StoredValue value)
        {
            _sending = value;
            _hasSending = true;
        }

        void IValueSink.Send(NativeRegion page, int length, ListingPages pages)
        {
            _page = page;
            _pageLength = length;
        }

        public void Break() => Close();

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
        {
            lock (_lock)
            {
                _completions.Enqueue((outcome, version));
                Monitor.PulseAll(_lock);
            }
        }

        public void Dispose()
        {
            Close();
            Store.Dispose();
            _pool.Dispose();
            _pages.Dispose();
            _dir.Dispose();
        }

        private (WriteOutcome Outcome, ulong Version) NextCompletion()
        {
            lock (_lock)
            {
                while (_completions.Count == 0)
                {
                    if (!Monitor.Wait(_lock, TimeSpan.FromSeconds(30)))
                    {
                        throw new TimeoutException("the store did not report the write");
                    }
                }

                return _completions.Dequeue();
            }
        }
    }
}
