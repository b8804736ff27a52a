using System;
using System.Linq;
using System.Text;
using EmbedKv.Server.Tests.Api.Contract;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The listing suite (<see cref="ListingContract"/>) on the local store, and the store's own listing, without HTTP.</summary>
    public sealed class ListingTests : ListingContract
    {
        public ListingTests()
            : base(LocalBackend.Instance)
        {
        }

        [Fact]
        public void TheStoreListsWithoutHttpPageByPage()
        {
            using TestServer server = TestServer.Start(o => o.Durability = EmbedKv.Server.Storage.Durability.None);
            var store = server.Server.Store;
            for (int i = 0; i < 300; i++)
            {
                store.Put(Encoding.ASCII.GetBytes("k" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)), new byte[i]);
            }

            store.Put(Encoding.ASCII.GetBytes("other"), new byte[1]);
            byte[] keyBuffer = new byte[40];
            var listed = new EmbedKv.Server.Storage.ListedKey[100];
            int count = store.ListKeys("k"u8, "k149"u8, keyBuffer, listed, out bool more);
            Assert.Equal(10, count); // the 40-byte key buffer holds ten 4-byte keys
            Assert.True(more);
            Assert.Equal("k150", Encoding.ASCII.GetString(listed[0].KeyIn(keyBuffer)));
            Assert.Equal(150, listed[0].Info.Length);
            Assert.Equal(300, store.EnumerateKeys(Encoding.ASCII.GetBytes("k")).Count());
            Assert.Equal(301, store.EnumerateKeys(Array.Empty<byte>()).Count());
        }
    }
}
