using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// Bearer tokens (docs/security.md) against a real server: 401 with the RFC 6750 challenge without a
    /// known token, 403 without the scope or outside the token's prefix, on every route; the reason in
    /// the body and never the token; nothing changed by a refused write; listings narrowed to a
    /// prefix-limited token's keys.
    /// </summary>
    public sealed class TokenAccessTests
    {
        private const string Reader = "reader-token-0123456789";
        private const string Writer = "writer-token-0123456789";
        private const string Both = "both-token-0123456789abc";
        private const string Scoped = "scoped-token-0123456789";
        private const string Admin = "admin-token-0123456789ab";

        private static TestServer StartWithTokens(RecordingLogger? logger = null) => TestServer.Start(o =>
        {
            o.Tokens.Add(new AccessToken { Name = "reader", Hash = AccessToken.HashOf(Reader), Scopes = TokenScopes.Read });
            o.Tokens.Add(new AccessToken { Name = "writer", Hash = AccessToken.HashOf(Writer), Scopes = TokenScopes.Write });
            o.Tokens.Add(new AccessToken { Name = "both", Hash = AccessToken.HashOf(Both) });
            o.Tokens.Add(new AccessToken { Name = "scoped", Hash = AccessToken.HashOf(Scoped), KeyPrefix = "team/a/" });
            o.Tokens.Add(new AccessToken { Name = "admin", Hash = AccessToken.HashOf(Admin), Scopes = TokenScopes.Admin });
            if (logger is not null)
            {
                o.Logger = logger;
            }
        });

        public static TheoryData<string, string> Routes => new TheoryData<string, string>
        {
            { "GET", "/k" },
            { "HEAD", "/k" },
            { "PUT", "/k" },
            { "POST", "/k" },
            { "DELETE", "/k" },
            { "GET", "/" },
            { "GET", "/?prefix=team%2F" },
            { "POST", "/_admin/checkpoint?dir=%2Ftmp%2Fnever" },
        };

        [Theory]
        [MemberData(nameof(Routes))]
        public void EveryRouteWithoutATokenIs401WithTheBearerChallenge(string method, string target)
        {
            using TestServer server = StartWithTokens();
            server.Server.Store.Put(Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("kept"));
            RawResponse missing = Probe(server, method, target, string.Empty);
            Assert.Equal(401, missing.Status);
            Assert.Equal("Bearer realm=\"embedkv\"", missing.Header("WWW-Authenticate"));

            RawResponse unknown = Probe(server, method, target, "Authorization: Bearer not-a-configured-token\r\n");
            Assert.Equal(401, unknown.Status);
            Assert.Equal("Bearer realm=\"embedkv\", error=\"invalid_token\"", unknown.Header("WWW-Authenticate"));
            Assert.DoesNotContain("not-a-configured-token", unknown.BodyText, StringComparison.Ordinal);

            // Another scheme is no bearer token (RFC 6750 §3.1: no error code).
            RawResponse basic = Probe(server, method, target, "Authorization: Basic dXNlcjpwYXNz\r\n");
            Assert.Equal(401, basic.Status);
            Assert.Equal("Bearer realm=\"embedkv\"", basic.Header("WWW-Authenticate"));

            // A refusal of a request with a body closes the connection (its body is not read); one without keeps it.
            Assert.Equal(method is "PUT" or "POST", missing.SaysClose);

            // Nothing was changed.
            RawResponse after = Probe(server, "GET", "/k", "Authorization: Bearer " + Reader + "\r\n");
            Assert.Equal(200, after.Status);
            Assert.Equal("kept", after.BodyText);
        }

        /// <summary>One request on a connection of its own (a refused body closes its connection).</summary>
        private static RawResponse Probe(TestServer server, string method, string target, string extra)
        {
            using RawConnection connection = server.Connect();
            connection.Send(Request(method, target, extra));
            return connection.ReadResponse(toHead: method == "HEAD");
        }

        [Fact]
        public void MalformedOrRepeatedAuthorizationIs400InvalidRequest()
        {
            using TestServer server = StartWithTokens();
            using RawConnection connection = server.Connect();
            foreach (string field in new[]
            {
                "Authorization: Bearer\r\n",
                "Authorization: Bearer a b\r\n",
                "Authorization: Bearer a=b\r\n",
                "Authorization: Bearer é\r\n",
                "Authorization: Bearer " + Reader + "\r\nAuthorization: Bearer " + Reader + "\r\n",
            })
            {
                connection.Send(Request("GET", "/k", field));
                RawResponse response = connection.ReadResponse();
                Assert.True(response.Status == 400, field + " → " + response.StatusLine);
                Assert.Equal("Bearer realm=\"embedkv\", error=\"invalid_request\"", response.Header("WWW-Authenticate"));
            }

            // The scheme is case-insensitive, and several spaces may follow it (RFC 6750 §2.1: 1*SP).
            connection.Send(Request("GET", "/k", "Authorization: bEARER   " + Reader + "\r\n"));
            Assert.Equal(404, connection.ReadResponse().Status);
        }

        [Fact]
        public async Task ScopesDecideWhatAKnownTokenMayDo()
        {
            using TestServer server = StartWithTokens();
            using HttpClient reader = Client(server, Reader);
            using HttpClient writer = Client(server, Writer);
            using HttpClient both = Client(server, Both);

            Assert.Equal(HttpStatusCode.Created, (await both.PutAsync("/k", new StringContent("one"))).StatusCode);
            Assert.Equal("one", await reader.GetStringAsync("/k"));
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/")).StatusCode);

            using HttpResponseMessage refusedWrite = await reader.PutAsync("/k", new StringContent("two"));
            Assert.Equal(HttpStatusCode.Forbidden, refusedWrite.StatusCode);
            Assert.Equal("the token does not allow writing (it lacks the write scope)\n", await refusedWrite.Content.ReadAsStringAsync());
            Assert.Equal("Bearer realm=\"embedkv\", error=\"insufficient_scope\", scope=\"write\"", refusedWrite.Headers.WwwAuthenticate.ToString());
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync("/k")).StatusCode);
            Assert.Equal("one", await reader.GetStringAsync("/k"));

            Assert.Equal(HttpStatusCode.NoContent, (await writer.PutAsync("/k", new StringContent("three"))).StatusCode);
            using HttpResponseMessage refusedRead = await writer.GetAsync("/k");
            Assert.Equal(HttpStatusCode.Forbidden, refusedRead.StatusCode);
            Assert.Equal("the token does not allow reading (it lacks the read scope)\n", await refusedRead.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync("/")).StatusCode);
            Assert.Equal("three", await both.GetStringAsync("/k"));

            // Long-polls are reads.
            using var wait = new HttpRequestMessage(HttpMethod.Get, "/missing");
            wait.Headers.Add("Prefer", "wait=1");
            Assert.Equal(HttpStatusCode.Forbidden, (await writer.SendAsync(wait)).StatusCode);
        }

        [Fact]
        public async Task APrefixLimitedTokenReachesOnlyItsKeys()
        {
            using TestServer server = StartWithTokens();
            using HttpClient scoped = Client(server, Scoped);
            using HttpClient both = Client(server, Both);

            Assert.Equal(HttpStatusCode.Created, (await scoped.PutAsync("/team%2Fa%2Fone", new StringContent("1"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await both.PutAsync("/team%2Fb%2Fsecret", new StringContent("s"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await both.PutAsync("/team%2Fa", new StringContent("just short of the prefix"))).StatusCode);

            Assert.Equal("1", await scoped.GetStringAsync("/team%2Fa%2Fone"));
            using HttpResponseMessage outside = await scoped.GetAsync("/team%2Fb%2Fsecret");
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            Assert.Equal("the token does not reach this key: it is limited to a key prefix\n", await outside.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Forbidden, (await scoped.GetAsync("/team%2Fa")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await scoped.PutAsync("/team%2Fb%2Fsecret", new StringContent("overwritten"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await scoped.DeleteAsync("/team%2Fb%2Fsecret")).StatusCode);
            Assert.Equal("s", await both.GetStringAsync("/team%2Fb%2Fsecret"));

            // A listing shows only the token's keys: narrowed when it asks wider, as asked when narrower, none when apart.
            Assert.Equal(new[] { "team%2Fa%2Fone" }, Keys(await scoped.GetStringAsync("/")));
            Assert.Equal(new[] { "team%2Fa%2Fone" }, Keys(await scoped.GetStringAsync("/?prefix=team%2F")));
            Assert.Equal(new[] { "team%2Fa%2Fone" }, Keys(await scoped.GetStringAsync("/?prefix=team%2Fa%2Fo")));
            Assert.Empty(Keys(await scoped.GetStringAsync("/?prefix=team%2Fb")));
            Assert.Equal(3, Keys(await both.GetStringAsync("/")).Count);
        }

        [Fact]
        public void TheAdminEndpointNeedsTheAdminScopeAndWithoutTokensIsClosed()
        {
            using (TestServer server = StartWithTokens())
            {
                RawResponse refused = Probe(server, "POST", "/_admin/checkpoint?dir=%2Ftmp%2Fnever", "Authorization: Bearer " + Both + "\r\n");
                Assert.Equal(403, refused.Status);
                Assert.Equal("Bearer realm=\"embedkv\", error=\"insufficient_scope\", scope=\"admin\"", refused.Header("WWW-Authenticate"));

                // An admin token reaches no key.
                Assert.Equal(403, Probe(server, "GET", "/k", "Authorization: Bearer " + Admin + "\r\n").Status);
                RawResponse method = Probe(server, "GET", "/_admin/checkpoint", "Authorization: Bearer " + Admin + "\r\n");
                Assert.Equal(405, method.Status);
                Assert.Equal("POST", method.Header("Allow"));
                Assert.Equal(404, Probe(server, "POST", "/_admin/nothing", "Authorization: Bearer " + Admin + "\r\n").Status);
                Assert.Equal(400, Probe(server, "POST", "/_admin/checkpoint?dir=relative", "Authorization: Bearer " + Admin + "\r\n").Status);
                Assert.Equal(400, Probe(server, "POST", "/_admin/checkpoint?dir=%2Fa&dir=%2Fb", "Authorization: Bearer " + Admin + "\r\n").Status);
            }

            using (TestServer open = TestServer.Start())
            {
                RawResponse closed = Probe(open, "POST", "/_admin/checkpoint?dir=%2Ftmp%2Fnever", string.Empty);
                Assert.Equal(403, closed.Status);
                Assert.Equal("admin endpoints need a token with the admin scope, and no tokens are configured\n", closed.BodyText);
                Assert.Equal(404, Probe(open, "PUT", "/_admin/anything", string.Empty).Status); // keys under _admin/ are reserved
                Assert.Equal(404, Probe(open, "GET", "/%5Fadmin/anything", string.Empty).Status); // however the path spells them
            }
        }

        [Fact]
        public async Task RefusalsAreCountedAndLoggedAtMostOnceASecondPerAddress()
        {
            var logger = new RecordingLogger();
            using TestServer server = StartWithTokens(logger);
            var failures = new Dictionary<string, long>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, server.Server.Metrics.Meter) && instrument.Name == "embedkv.auth.failures")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                lock (failures)
                {
                    failures[(string)tags[0].Value!] = value;
                }
            });
            listener.Start();

            using HttpClient anonymous = TestServer.NewClient(server.Server.BaseAddress);
            using HttpClient guessing = Client(server, "guess-0000");
            using HttpClient reader = Client(server, Reader);
            for (int i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/k")).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await guessing.GetAsync("/k")).StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsync("/k", new StringContent("v"))).StatusCode);
            }

            listener.RecordObservableInstruments();
            lock (failures)
            {
                Assert.Equal(20, failures["missing"]);
                Assert.Equal(20, failures["invalid"]);
                Assert.Equal(20, failures["forbidden"]);
            }

            // 60 refusals from one address, within well under a second or two: one message each second at most.
            List<LoggedEntry> logged = logger.Entries.Where(e => e.EventId.Id == 130).ToList();
            Assert.InRange(logged.Count, 1, 3);
            Assert.StartsWith("Refused a request from 127.0.0.1: no bearer token (401)", logged[0].Message, StringComparison.Ordinal);
            Assert.All(logged, e => Assert.DoesNotContain("guess-0000", e.Message, StringComparison.Ordinal));
            Assert.All(logged, e => Assert.DoesNotContain(Reader, e.Message, StringComparison.Ordinal));

            // After a quiet second the next refusal is logged; each message counts those left out since the
            // one before, so together they account for every refusal.
            await Task.Delay(1100);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsync("/k", new StringContent("v"))).StatusCode);
            logged = logger.Entries.Where(e => e.EventId.Id == 130).ToList();
            Assert.Contains("token 'reader' lacks the write scope (403)", logged[^1].Message, StringComparison.Ordinal);
            Assert.Equal(61, logged.Sum(e => 1 + LeftOut(e.Message)));
        }

        private static long LeftOut(string message) =>
            long.Parse(message.Split("; ")[^1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

        private static HttpClient Client(TestServer server, string token)
        {
            HttpClient client = TestServer.NewClient(server.Server.BaseAddress);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        private static byte[] Request(string method, string target, string extra) => method is "PUT" or "POST"
            ? Requests.Put(target, "body", method, extra)
            : Encoding.Latin1.GetBytes(method + " " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n");

        private static List<string> Keys(string listing)
        {
            using JsonDocument document = JsonDocument.Parse(listing);
            return document.RootElement.GetProperty("keys").EnumerateArray().Select(e => e.GetProperty("key").GetString()!).ToList();
        }
    }
}
