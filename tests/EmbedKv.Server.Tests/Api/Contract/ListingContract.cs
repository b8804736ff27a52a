using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>
    /// The listing route, <c>GET /?prefix=P&amp;after=K&amp;limit=N</c> (docs/api.md, "Listing"), with
    /// HttpClient and raw sockets: keys in unsigned byte order, percent-encoded, paged with next. On each backend
    /// (<see cref="ApiBackend"/>): on etcd each server's keys are under a prefix of their own, so "all keys" are its own.
    /// </summary>
    public abstract class ListingContract
    {
        private protected ListingContract(ApiBackend backend) => Backend = backend;

        private protected ApiBackend Backend { get; }

        [Fact]
        public async Task KeysComeInUnsignedByteOrderPercentEncodedWithSizeAndETag()
        {
            using TestServer server = Backend.Start();
            using HttpClient client = server.Client();
            byte[][] keys =
            {
                new byte[] { 0x00 }, new byte[] { 0xFF }, Encoding.UTF8.GetBytes("a/b"), Encoding.UTF8.GetBytes("a b"),
                Encoding.UTF8.GetBytes("été"), Encoding.UTF8.GetBytes("A"), Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("a~-._"),
                Encoding.UTF8.GetBytes("ab"), new byte[] { 0x7F, 0x80 },
            };
            var etags = new Dictionary<string, string>();
            foreach (byte[] key in keys)
            {
                using HttpResponseMessage put = await client.PutAsync(Path(key), new ByteArrayContent(new byte[key.Length + 3]));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                etags[Convert.ToHexString(key)] = put.Headers.ETag!.Tag;
            }

            using HttpResponseMessage listing = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
            Assert.Equal("application/json", listing.Content.Headers.ContentType!.MediaType);
            Page page = Page.Parse(await listing.Content.ReadAsStringAsync());
            Assert.Null(page.Next);
            byte[][] expected = keys.OrderBy(k => k, ByteOrder.Instance).ToArray();
            Assert.Equal(expected.Select(Convert.ToHexString), page.Keys.Select(k => Convert.ToHexString(k.Key)));
            foreach (Entry entry in page.Keys)
            {
                Assert.Equal(entry.Key.Length + 3, entry.Size);
                Assert.Equal(etags[Convert.ToHexString(entry.Key)], entry.ETag);
                Assert.True(entry.Encoded.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '%'), entry.Encoded);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/" + entry.Encoded)).StatusCode); // straight into a path
            }

            Assert.Equal("a%2Fb", page.Keys.Single(k => k.Key.SequenceEqual(Encoding.UTF8.GetBytes("a/b"))).Encoded);
        }

        [Fact]
        public async Task PrefixAfterAndLimitPageThroughTheKeys()
        {
            using TestServer server = Backend.Start(o => o.Durability = EmbedKv.Server.Storage.Durability.None);
            using HttpClient client = server.Client();
            List<string> all = Enumerable.Range(0, 2500).Select(i => "p/" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)).ToList();
            await PutAll(client, all.Select(key => "/" + Uri.EscapeDataString(key)));

            await client.PutAsync("/o", new StringContent("before the prefix"));
            await client.PutAsync("/q", new StringContent("after the prefix"));

            var seen = new List<string>();
            string? after = null;
            int pages = 0;
            do
            {
                Page page = Page.Parse(await client.GetStringAsync("/?prefix=p%2F&limit=1000" + (after is null ? string.Empty : "&after=" + after)));
                pages++;
                Assert.True(page.Keys.Count <= 1000);
                seen.AddRange(page.Keys.Select(k => Encoding.UTF8.GetString(k.Key)));
                after = page.Next;
                Assert.True(after is null || after == page.Keys[^1].Encoded, "next is the last key listed");
            }
            while (after is not null);

            Assert.Equal(3, pages);
            Assert.Equal(all, seen);

            // The default limit is 1000; after alone lists from just past it, whatever the prefix.
            Assert.Equal(1000, Page.Parse(await client.GetStringAsync("/")).Keys.Count);
            Page tail = Page.Parse(await client.GetStringAsync("/?after=p%2F02498"));
            Assert.Equal(new[] { "p/02499", "q" }, tail.Keys.Select(k => Encoding.UTF8.GetString(k.Key)));
            Assert.Null(tail.Next);
            Assert.Empty(Page.Parse(await client.GetStringAsync("/?prefix=zzz")).Keys);
        }

        [Fact]
        public async Task APageThatWouldOutgrowItsBufferEndsEarlyWithNext()
        {
            using TestServer server = Backend.Start(o => o.Durability = EmbedKv.Server.Storage.Durability.None);
            using HttpClient client = server.Client();
            string longPart = new string('k', 1000);
            await PutAll(client, Enumerable.Range(0, 400).Select(i => "/" + longPart + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)));

            int total = 0, pages = 0;
            string? after = null;
            do
            {
                string json = await client.GetStringAsync("/?limit=10000" + (after is null ? string.Empty : "&after=" + after));
                Assert.True(json.Length <= 256 * 1024, "a page is at most 256 KiB");
                Page page = Page.Parse(json);
                total += page.Keys.Count;
                pages++;
                after = page.Next;
            }
            while (after is not null);

            Assert.Equal(400, total);
            Assert.True(pages >= 2, "400 keys of 1 KB fit no single 256 KiB page");
        }

        [Fact]
        public async Task ExpiredKeysNeverAppear()
        {
            using TestServer server = Backend.Start();
            using HttpClient client = server.Client();
            await client.PutAsync("/brief?ttl=1", new StringContent("v"));
            await client.PutAsync("/lasting", new StringContent("v"));
            Assert.Equal(2, Page.Parse(await client.GetStringAsync("/")).Keys.Count);
            await Task.Delay(2100);

            // On etcd only once the lease is revoked (ApiBackend.ExpiryLag).
            string[] listed = [];
            Assert.True(await Backend.HoldsWithinExpiryLagAsync(async () =>
            {
                listed = Page.Parse(await client.GetStringAsync("/")).Keys.Select(k => Encoding.UTF8.GetString(k.Key)).ToArray();
                return listed.Length == 1;
            }), "still listed: " + string.Join(", ", listed));
            Assert.Equal(new[] { "lasting" }, listed);
        }

        [Theory]
        [InlineData("/?limit=0")]
        [InlineData("/?limit=10001")]
        [InlineData("/?limit=-1")]
        [InlineData("/?limit=ten")]
        [InlineData("/?limit=")]
        [InlineData("/?limit=5&limit=6")]
        [InlineData("/?prefix=a&prefix=b")]
        [InlineData("/?cursor=x")]
        [InlineData("/?ttl=5")]
        public void AMalformedOrUnknownListingParameterIs400(string target)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            RawResponse refused = c.Exchange(Requests.Get(target), 400);
            Assert.Contains("listing", refused.BodyText);
            Assert.Equal(200, c.Exchange(Requests.Get("/?limit=10000"), 200).Status);
        }

        [Fact]
        public void TheRootTakesOnlyGetAndHead()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            RawResponse head = c.Exchange(Requests.Head("/"), 200, toHead: true);
            Assert.Equal("application/json", head.Header("Content-Type"));
            Assert.Equal("{\"keys\":[]}", c.Exchange(Requests.Get("/"), 200).BodyText);
            RawResponse put = c.Exchange(Requests.Put("/", "x"), 405);
            Assert.Equal("GET, HEAD", put.Header("Allow"));
            using RawConnection d = server.Connect();
            Assert.Equal("GET, HEAD", d.Exchange(Requests.Delete("/"), 405).Header("Allow"));
        }

        /// <summary>Puts "v" under each path, 8 at a time (on etcd each put is a Raft round), each one answered 201.</summary>
        private static async Task PutAll(HttpClient client, IEnumerable<string> paths)
        {
            using var lanes = new SemaphoreSlim(8);
            await Task.WhenAll(paths.Select(async path =>
            {
                await lanes.WaitAsync();
                try
                {
                    using HttpResponseMessage put = await client.PutAsync(path, new StringContent("v"));
                    Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                }
                finally
                {
                    lanes.Release();
                }
            }));
        }

        private static string Path(byte[] key) => "/" + string.Concat(key.Select(b => "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

        private sealed record Entry(byte[] Key, string Encoded, long Size, string ETag);

        private sealed record Page(List<Entry> Keys, string? Next)
        {
            public static Page Parse(string json)
            {
                using JsonDocument document = JsonDocument.Parse(json);
                var keys = document.RootElement.GetProperty("keys").EnumerateArray()
                    .Select(e => new Entry(Decode(e.GetProperty("key").GetString()!), e.GetProperty("key").GetString()!, e.GetProperty("size").GetInt64(), e.GetProperty("etag").GetString()!))
                    .ToList();
                string? next = document.RootElement.TryGetProperty("next", out JsonElement n) ? n.GetString() : null;
                return new Page(keys, next);
            }

            private static byte[] Decode(string encoded)
            {
                var bytes = new List<byte>();
                for (int i = 0; i < encoded.Length; i++)
                {
                    if (encoded[i] == '%')
                    {
                        bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                        i += 2;
                    }
                    else
                    {
                        bytes.Add((byte)encoded[i]);
                    }
                }

                return bytes.ToArray();
            }
        }

        private sealed class ByteOrder : IComparer<byte[]>
        {
            public static readonly ByteOrder Instance = new ByteOrder();

            public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
        }
    }
}
