// The two callers the benchmark compares, doing the same work against the same server: raw HttpClient, as
// the least a correct caller of docs/api.md does, and EmbedKvClient. Everything the client does beyond
// the raw caller (building the address from the key, the per-request deadline, the Content-Type, parsing
// the ETag into a version, the result objects) is what the ratio measures.
using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using EmbedKv.Client;

namespace EmbedKv.ClientBench
{
    /// <summary>A GET of the one 64 B key, and a PUT of 64 B to one of <see cref="Keys.PutKeys"/> keys.</summary>
    internal interface ICalls
    {
        /// <summary>Reads the GET key; throws unless it came back whole with the server's ETag.</summary>
        Task GetAsync();

        /// <summary>Writes the value to PUT key <paramref name="key"/>; throws unless the server took it.</summary>
        Task PutAsync(int key);
    }

    /// <summary>The keys both callers use, so that they send the same requests.</summary>
    internal static class Keys
    {
        /// <summary>The key every GET reads (64 B, written before the cells).</summary>
        public const string Get = "get64";

        /// <summary>
        /// Keys the PUTs cycle through: a few rather than one, as an application writes, but few enough
        /// that the server's index and log do the same work round after round.
        /// </summary>
        public const int PutKeys = 1024;

        /// <summary>The name of PUT key <paramref name="i"/>.</summary>
        public static string Put(int i) => "put" + i;
    }

    /// <summary>
    /// Raw HttpClient with what a caller cannot leave out: check the status and that the answer carries a
    /// strong ETag, read the body. The addresses are built once, which is the cheapest a caller can do, so
    /// the client's cost of building them per call counts as its overhead.
    /// </summary>
    internal sealed class RawCalls : ICalls
    {
        private readonly HttpClient _http;
        private readonly Uri _get;
        private readonly Uri[] _put;
        private readonly byte[] _value;

        public RawCalls(HttpClient http, Uri server, byte[] value)
        {
            _http = http;
            _value = value;
            _get = new Uri(server, Keys.Get);
            _put = new Uri[Keys.PutKeys];
            for (int i = 0; i < _put.Length; i++)
            {
                _put[i] = new Uri(server, Keys.Put(i));
            }
        }

        public async Task GetAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _get);
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK || response.Headers.ETag is not { IsWeak: false })
            {
                throw new InvalidOperationException("GET answered " + (int)response.StatusCode + ", ETag " + response.Headers.ETag);
            }

            byte[] body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            if (body.Length != _value.Length)
            {
                throw new InvalidOperationException("GET returned " + body.Length + " bytes");
            }
        }

        public async Task PutAsync(int key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, _put[key]) { Content = new ByteArrayContent(_value) };
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent) || response.Headers.ETag is not { IsWeak: false })
            {
                throw new InvalidOperationException("PUT answered " + (int)response.StatusCode + ", ETag " + response.Headers.ETag);
            }
        }
    }

    /// <summary>
    /// EmbedKvClient over the same HttpClient. The keys are KvKey values made once, as an application that
    /// uses a key often would hold it; a string converted on every call would add its UTF-8 encoding.
    /// </summary>
    internal sealed class ClientCalls : ICalls
    {
        private readonly EmbedKvClient _client;
        private readonly KvKey _get;
        private readonly KvKey[] _put;
        private readonly byte[] _value;

        public ClientCalls(HttpClient http, Uri server, byte[] value)
        {
            _client = new EmbedKvClient(http, new EmbedKvClientOptions { BaseAddress = server });
            _value = value;
            _get = Keys.Get;
            _put = new KvKey[Keys.PutKeys];
            for (int i = 0; i < _put.Length; i++)
            {
                _put[i] = Keys.Put(i);
            }
        }

        public async Task GetAsync()
        {
            KvEntry? entry = await _client.GetAsync(_get).ConfigureAwait(false);
            if (entry is null || entry.Value.Length != _value.Length)
            {
                throw new InvalidOperationException("GET returned " + (entry is null ? "nothing" : entry.Value.Length + " bytes"));
            }
        }

        public async Task PutAsync(int key)
        {
            KvWriteResult result = await _client.PutAsync(_put[key], _value).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("PUT ended " + result);
            }
        }
    }
}
