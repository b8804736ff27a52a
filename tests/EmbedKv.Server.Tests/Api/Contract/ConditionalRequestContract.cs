using System;
using System.Linq;
using System.Text.RegularExpressions;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>
    /// Versions and conditional requests over real sockets (docs/api.md, RFC 9110 §8.8.3 and §13): the
    /// bytes of every answer, as a client sees them. On each backend (<see cref="ApiBackend"/>).
    /// </summary>
    public abstract class ConditionalRequestContract
    {
        private static readonly Regex OurTag = new Regex("^\"[0-9a-f]{16}\"$");

        private protected ConditionalRequestContract(ApiBackend backend) => Backend = backend;

        private protected ApiBackend Backend { get; }

        [Fact]
        public void EveryAnswerAboutAValueCarriesAStrongETagThatChangesOnEveryWrite()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string created = ETagOf(Exchange(c, Requests.Put("/k", "same"), 201));
            Assert.Equal(created, ETagOf(Exchange(c, Requests.Get("/k"), 200)));
            Assert.Equal(created, ETagOf(Exchange(c, Requests.Head("/k"), 200, toHead: true)));

            string replaced = ETagOf(Exchange(c, Requests.Put("/k", "same"), 204));
            Assert.NotEqual(created, replaced);
            string posted = ETagOf(Exchange(c, Requests.Put("/k", "same", method: "POST"), 204));
            Assert.NotEqual(replaced, posted);
            Assert.Equal(posted, ETagOf(Exchange(c, Requests.Get("/k"), 200)));
            Assert.Equal("bytes", Exchange(c, Requests.Get("/k"), 200).Header("Accept-Ranges"));
        }

        [Fact]
        public void IfNoneMatchOnAReadAnswers304WithTheETagAndNoBody()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string etag = ETagOf(Exchange(c, Requests.Put("/k?ttl=600", "value"), 201));

            RawResponse notModified = Exchange(c, Requests.Get("/k", "If-None-Match: \"0000000000000000\", " + etag + "\r\n"), 304);
            Assert.Equal(etag, notModified.Header("ETag"));
            Assert.NotNull(notModified.Header("Expires"));
            Assert.Empty(notModified.Body);

            // If-None-Match compares weakly (RFC 9110 §13.1.2): W/ of our tag matches too; * matches any value.
            Exchange(c, Requests.Get("/k", "If-None-Match: W/" + etag + "\r\n"), 304);
            Exchange(c, Requests.Head("/k", "If-None-Match: *\r\n"), 304);
            Assert.Equal("value", Exchange(c, Requests.Get("/k", "If-None-Match: \"other\"\r\n"), 200).BodyText);
            Exchange(c, Requests.Get("/absent", "If-None-Match: *\r\n"), 404);
        }

        [Fact]
        public void IfMatchOnAReadAnswers412UnlessTheKeyHasThatVersion()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string etag = ETagOf(Exchange(c, Requests.Put("/k", "value"), 201));

            Assert.Equal("value", Exchange(c, Requests.Get("/k", "If-Match: " + etag + "\r\n"), 200).BodyText);
            Exchange(c, Requests.Get("/k", "If-Match: " + OtherThan(etag) + "\r\n"), 412);
            Exchange(c, Requests.Get("/k", "If-Match: W/" + etag + "\r\n"), 412); // strong comparison: a weak tag never matches
            Exchange(c, Requests.Get("/absent", "If-Match: *\r\n"), 412);
            Exchange(c, Requests.Head("/k", "If-Match: *\r\n"), 200, toHead: true);
        }

        [Fact]
        public void IfMatchMakesAWriteCompareAndSet()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string first = ETagOf(Exchange(c, Requests.Put("/k", "one"), 201));
            string second = ETagOf(Exchange(c, Requests.Put("/k", "two", extra: "If-Match: " + first + "\r\n"), 204));

            RawResponse stale = Exchange(c, Requests.Put("/k", "three", extra: "If-Match: " + first + "\r\n"), 412);
            Assert.Contains("precondition failed", stale.BodyText);
            Exchange(c, Requests.Put("/k", "three", method: "POST", extra: "If-Match: \"x\", " + first + "\r\n"), 412);
            Assert.Equal("two", Exchange(c, Requests.Get("/k"), 200).BodyText);

            // A list holds if any of its tags is the current version; lines of one field combine (RFC 9110 §5.3).
            Exchange(c, Requests.Put("/k", "three", extra: "If-Match: " + first + "\r\nIf-Match: " + second + "\r\n"), 204);
            Exchange(c, Requests.Put("/absent", "x", extra: "If-Match: *\r\n"), 412);
            Exchange(c, Requests.Get("/absent"), 404);
            Exchange(c, Requests.Put("/k", "four", extra: "If-Match: *\r\n"), 204);
        }

        [Fact]
        public void IfNoneMatchStarMakesAPutCreateOnly()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string etag = ETagOf(Exchange(c, Requests.Put("/k", "first", extra: "If-None-Match: *\r\n"), 201));
            Exchange(c, Requests.Put("/k", "second", extra: "If-None-Match: *\r\n"), 412);
            Exchange(c, Requests.Put("/k", "second", method: "POST", extra: "If-None-Match: *\r\n"), 412);
            RawResponse read = Exchange(c, Requests.Get("/k"), 200);
            Assert.Equal(("first", etag), (read.BodyText, ETagOf(read)));

            // A write with If-None-Match naming the current version is refused too (§13.1.2: not GET, so 412).
            Exchange(c, Requests.Put("/k", "second", extra: "If-None-Match: " + etag + "\r\n"), 412);
            Exchange(c, Requests.Put("/k", "second", extra: "If-None-Match: " + OtherThan(etag) + "\r\n"), 204);
        }

        [Fact]
        public void ADeleteCanBeConditional()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string first = ETagOf(Exchange(c, Requests.Put("/k", "one"), 201));
            string second = ETagOf(Exchange(c, Requests.Put("/k", "two"), 204));
            Exchange(c, Requests.Delete("/k", "If-Match: " + first + "\r\n"), 412);
            Exchange(c, Requests.Get("/k"), 200);
            Exchange(c, Requests.Delete("/absent", "If-Match: *\r\n"), 412);
            Exchange(c, Requests.Delete("/k", "If-Match: " + second + "\r\n"), 204);
            Exchange(c, Requests.Get("/k"), 404);
        }

        [Fact]
        public void AFailingPreconditionAnswers412InsteadOf100Continue()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k", "exists"), 201);

            // The client waits for 100 Continue before its body: it must hear 412 instead, and nothing is stored.
            c.Send("PUT /k HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\nIf-None-Match: *\r\n\r\n");
            if (Backend.JudgesConditionsBeforeTheBody)
            {
                RawResponse refused = c.ReadResponse();
                Assert.Equal(412, refused.Status);
                Assert.True(refused.SaysClose, "the body that was announced will not be read: the connection closes");
            }
            else
            {
                // On etcd the body comes first and the 412 after it (docs/etcd.md, "Where etcd differs").
                Assert.Equal(100, c.ReadResponse().Status);
                c.Send(new byte[1_000_000]);
                Assert.Equal(412, c.ReadResponse().Status);
            }

            using RawConnection d = server.Connect();
            Assert.Equal("exists", Exchange(d, Requests.Get("/k"), 200).BodyText);

            // When the precondition holds, 100 Continue comes first, as before.
            d.Send("PUT /new HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\nIf-None-Match: *\r\n\r\n");
            Assert.Equal(100, d.ReadResponse().Status);
            d.Send("hello");
            Assert.Equal(201, d.ReadResponse().Status);
        }

        [Fact]
        public void AStreamedValueIsCheckedWhenItIsComplete()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string etag = ETagOf(Exchange(c, Requests.Put("/big", "small"), 201));
            byte[] big = new byte[300_000];

            // Sent without Expect: the body streams into an upload; another client replaces the key meanwhile.
            c.Send(System.Text.Encoding.ASCII.GetBytes("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: " + big.Length + "\r\nIf-Match: " + etag + "\r\n\r\n"));
            c.Send(big.AsSpan(0, 100_000));
            using (RawConnection d = server.Connect())
            {
                Exchange(d, Requests.Put("/big", "meanwhile"), 204);
            }

            c.Send(big.AsSpan(100_000));
            Assert.Equal(412, c.ReadResponse().Status);
            Assert.Equal("meanwhile", Exchange(c, Requests.Get("/big"), 200).BodyText);
        }

        [Fact]
        public void TooManyOfOurTagsInOneListAreRefused()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string tags = string.Join(", ", Enumerable.Range(1, 33).Select(i => "\"" + i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + "\""));
            RawResponse refused = Exchange(c, Requests.Get("/k", "If-Match: " + tags + "\r\n"), 400);
            Assert.Contains("entity tags", refused.BodyText);
        }

        internal static string ETagOf(RawResponse response)
        {
            string? etag = response.Header("ETag");
            Assert.True(etag is not null && OurTag.IsMatch(etag), response.StatusLine + ": ETag " + (etag ?? "missing"));
            return etag!;
        }

        /// <summary>
        /// A tag of our form that is not <paramref name="etag"/>, so not the key's version: on etcd a version is a
        /// revision of the whole cluster, and a fixed tag such as "00000000000000ff" could be the key's.
        /// </summary>
        internal static string OtherThan(string etag) => etag[..^2] + (etag[^2] == '0' ? "1" : "0") + "\"";

        internal static RawResponse Exchange(RawConnection c, string request, int status, bool toHead = false) => c.Exchange(request, status, toHead);

        internal static RawResponse Exchange(RawConnection c, byte[] request, int status) => c.Exchange(request, status);
    }
}
