namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>Lease ids that carry their value's expiry: read back exactly, and an id etcd chose is not taken for one.</summary>
    public sealed class LeaseIdsTests
    {
        [Theory]
        [InlineData(1L)]
        [InlineData(1_796_377_851L)] // 2026
        [InlineData(17_179_869_183L)] // the last second the 34 bits hold, in 2514
        public void An_id_gives_back_its_expiry_and_is_a_positive_lease_id(long expires)
        {
            for (int i = 0; i < 100; i++)
            {
                long id = LeaseIds.For(expires);
                Assert.True(id > 0);
                Assert.True(LeaseIds.TryExpiry(id, out long read));
                Assert.Equal(expires, read);
            }
        }

        [Theory]
        [InlineData(0x694d7a1f5b3c0a05L)] // as etcd's lessor makes them: member bits, then time and a counter
        [InlineData(7587864112345678901L)]
        [InlineData(0L)]
        [InlineData(-1L)]
        public void An_id_etcd_chose_carries_no_expiry(long id) => Assert.False(LeaseIds.TryExpiry(id, out _));
    }
}
