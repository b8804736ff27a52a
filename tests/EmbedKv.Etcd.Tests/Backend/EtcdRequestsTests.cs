using System.Linq;
using EmbedKv.Server.Storage;
using Etcdserverpb;
using Google.Protobuf;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>The mapping of each operation onto etcd requests (docs/etcd.md, "Mapping"), without a cluster.</summary>
    public sealed class EtcdRequestsTests
    {
        private static readonly ByteString Key = ByteString.CopyFromUtf8("k");

        [Theory]
        [InlineData(new byte[] { (byte)'a' }, new byte[] { (byte)'b' })]
        [InlineData(new byte[] { (byte)'a', 0xff }, new byte[] { (byte)'b' })]
        [InlineData(new byte[] { (byte)'a', (byte)'/' }, new byte[] { (byte)'a', (byte)'0' })]
        [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0 })]
        [InlineData(new byte[0], new byte[] { 0 })]
        public void PrefixEnd_is_the_first_key_past_every_key_with_the_prefix(byte[] prefix, byte[] end)
            => Assert.Equal(end, EtcdRequests.PrefixEnd(prefix));

        [Fact]
        public void ListStart_begins_at_the_prefix_or_just_after_the_cursor()
        {
            Assert.Equal(new byte[] { 0 }, EtcdRequests.ListStart([], []));
            Assert.Equal("p/"u8.ToArray(), EtcdRequests.ListStart("p/"u8, []));
            Assert.Equal("p/"u8.ToArray(), EtcdRequests.ListStart("p/"u8, "a"u8)); // a cursor before the prefix
            Assert.Equal("p/x\0"u8.ToArray(), EtcdRequests.ListStart("p/"u8, "p/x"u8));
            Assert.Equal("b\0"u8.ToArray(), EtcdRequests.ListStart([], "b"u8));
        }

        [Fact]
        public void An_unconditional_put_has_no_compare_and_asks_for_the_previous_value()
        {
            TxnRequest txn = EtcdRequests.Put(Key, ByteString.CopyFromUtf8("v"), lease: 7, WriteCondition.None);
            Assert.Empty(txn.Compare);
            PutRequest put = Assert.Single(txn.Success).RequestPut;
            Assert.Equal(Key, put.Key);
            Assert.Equal(7, put.Lease);
            Assert.True(put.PrevKv);
            Assert.Empty(txn.Failure);
        }

        [Fact]
        public void If_none_match_star_is_create_revision_equal_to_zero()
        {
            Compare compare = Assert.Single(EtcdRequests.Put(Key, ByteString.Empty, 0, WriteCondition.IfAbsent).Compare);
            Assert.Equal((Compare.Types.CompareTarget.Create, Compare.Types.CompareResult.Equal, 0L), (compare.Target, compare.Result, compare.CreateRevision));
        }

        [Fact]
        public void If_match_star_is_create_revision_greater_than_zero()
        {
            Compare compare = Assert.Single(EtcdRequests.Delete(Key, WriteCondition.IfExists).Compare);
            Assert.Equal((Compare.Types.CompareTarget.Create, Compare.Types.CompareResult.Greater, 0L), (compare.Target, compare.Result, compare.CreateRevision));
        }

        [Fact]
        public void If_match_a_version_is_mod_revision_equal_to_it()
        {
            Compare compare = Assert.Single(EtcdRequests.Put(Key, ByteString.Empty, 0, WriteCondition.IfVersion(42)).Compare);
            Assert.Equal((Compare.Types.CompareTarget.Mod, Compare.Types.CompareResult.Equal, 42L), (compare.Target, compare.Result, compare.ModRevision));
            Assert.Equal(Key, compare.Key);
        }

        [Fact]
        public void A_version_etcd_cannot_have_never_holds()
        {
            Assert.False(EtcdRequests.CanHold(WriteCondition.IfVersion(0)));
            Assert.False(EtcdRequests.CanHold(WriteCondition.IfVersion((ulong)long.MaxValue + 1)));
            Assert.True(EtcdRequests.CanHold(WriteCondition.IfVersion(long.MaxValue)));
            Assert.True(new[] { WriteCondition.None, WriteCondition.IfAbsent, WriteCondition.IfExists }.All(EtcdRequests.CanHold));
        }

        [Fact]
        public void A_listing_batch_ranges_from_its_start_to_the_prefix_end()
        {
            RangeRequest range = EtcdRequests.List("p/"u8, "p/a"u8, 10);
            Assert.Equal("p/a\0"u8.ToArray(), range.Key.ToByteArray());
            Assert.Equal("p0"u8.ToArray(), range.RangeEnd.ToByteArray());
            Assert.Equal(10, range.Limit);
        }
    }
}
