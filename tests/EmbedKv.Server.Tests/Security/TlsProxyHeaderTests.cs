using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// What the recipe's nginx sends upstream, seen by a recording upstream in place of the server: the headers
    /// the server's semantics rest on (Authorization, preconditions, ranges, Prefer) arrive as the client sent
    /// them, and requests share kept-alive HTTP/1.1 connections.
    /// </summary>
    public sealed class TlsProxyHeaderTests : IDisposable
    {
        private readonly RecordingUpstream _upstream = new RecordingUpstream();
        private readonly NginxProxy _proxy;

        public TlsProxyHeaderTests()
        {
            try
            {
                _proxy = NginxProxy.Start(_upstream.Port);
            }
            catch
            {
                _upstream.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _proxy.Dispose();
            _upstream.Dispose();
        }

        [Fact]
        public async Task RequestHeadersReachTheUpstreamAsSent()
        {
            using HttpClient client = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);
            var fields = new Dictionary<string, string>
            {
                ["Authorization"] = "Bearer ekv_0123456789abcdef",
                ["If-Match"] = "\"000000000000002a\"",
                ["If-None-Match"] = "W/\"000000000000002b\", \"000000000000002c\"",
                ["Range"] = "bytes=0-9",
                ["Prefer"] = "wait=5",
            };
            using (var get = new HttpRequestMessage(HttpMethod.Get, "dir%2Fkey"))
            {
                foreach (KeyValuePair<string, string> field in fields)
                {
                    Assert.True(get.Headers.TryAddWithoutValidation(field.Key, field.Value));
                }

                using HttpResponseMessage answer = await client.SendAsync(get);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            using (var put = new HttpRequestMessage(HttpMethod.Put, "dir%2Fkey") { Content = new ByteArrayContent(new byte[100]) })
            {
                put.Headers.TryAddWithoutValidation("Authorization", fields["Authorization"]);
                using HttpResponseMessage answer = await client.SendAsync(put);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            IReadOnlyList<string> heads = _upstream.Heads;
            Assert.Equal(2, heads.Count);
            string[] getLines = heads[0].Split("\r\n");
            Assert.Equal("GET /dir%2Fkey HTTP/1.1", getLines[0]);
            foreach (KeyValuePair<string, string> field in fields)
            {
                Assert.Contains(field.Key + ": " + field.Value, getLines);
            }

            string[] putLines = heads[1].Split("\r\n");
            Assert.Equal("PUT /dir%2Fkey HTTP/1.1", putLines[0]);
            Assert.Contains("Authorization: " + fields["Authorization"], putLines);
            Assert.Contains("Content-Length: 100", putLines);

            // proxy_set_header Connection "": no "Connection: close", so the second request reused the first's connection.
            Assert.DoesNotContain(heads.SelectMany(h => h.Split("\r\n")), l => l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(1, _upstream.ConnectionsAccepted);
        }
    }
}
