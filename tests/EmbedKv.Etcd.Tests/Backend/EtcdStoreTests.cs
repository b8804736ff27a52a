using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>Each line of docs/etcd.md's mapping, against the shared 3-member cluster.</summary>
    [Collection(EtcdCollection.Name)]
    public sealed class EtcdStoreTests : IDisposable
    {
        private readonly EtcdStore _store;

        public EtcdStoreTests(SharedEtcdCluster shared) => _store = Stores.Connect(shared.Cluster.ClientUrls);

        public void Dispose() => _store.Dispose();

        [Fact]
        public async Task A_value_is_stored_raw_and_its_version_is_the_keys_mod_revision()
        {
            byte[] key = Stores.UniqueKey("raw");
            byte[] value = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(); // every byte, 0x00 and 0xff included

            WriteResult created = await _store.PutAsync(key, value, WriteCondition.None);
            BackendRead read = await _store.GetAsync(key);

            Assert.Equal(WriteOutcome.Created, created.Outcome);
            Assert.NotNull(read.Value);
            Assert.Equal(value, read.Value!.Value);
            Assert.Equal(new ValueInfo(256, created.Version, 0), read.Value.Info);
            Assert.True(read.Revision >= (long)created.Version);

            WriteResult replaced = await _store.PutAsync(key, "second"u8.ToArray(), WriteCondition.None);
            Assert.Equal(WriteOutcome.Replaced, replaced.Outcome);
            Assert.True(replaced.Version > created.Version);
            Assert.Equal(replaced.Version, (await _store.GetAsync(key)).Value!.Info.Version);
        }

        [Fact]
        public async Task An_absent_key_reads_as_none_with_the_revision_of_the_read()
        {
            BackendRead read = await _store.GetAsync(Stores.UniqueKey("absent"));
            Assert.Null(read.Value);
            Assert.True(read.Revision > 0);
        }

        [Fact]
        public async Task If_none_match_star_creates_only()
        {
            byte[] key = Stores.UniqueKey("create-only");
            Assert.Equal(WriteOutcome.Created, (await _store.PutAsync(key, "a"u8.ToArray(), WriteCondition.IfAbsent)).Outcome);
            Assert.Equal(new WriteResult(WriteOutcome.PreconditionFailed, 0), await _store.PutAsync(key, "b"u8.ToArray(), WriteCondition.IfAbsent));
            Assert.Equal("a"u8.ToArray(), (await _store.GetAsync(key)).Value!.Value);
        }

        [Fact]
        public async Task If_match_star_needs_the_key()
        {
            byte[] key = Stores.UniqueKey("must-exist");
            Assert.Equal(WriteOutcome.PreconditionFailed, (await _store.PutAsync(key, "a"u8.ToArray(), WriteCondition.IfExists)).Outcome);
            Assert.Null((await _store.GetAsync(key)).Value);
            await _store.PutAsync(key, "a"u8.ToArray(), WriteCondition.None);
            Assert.Equal(WriteOutcome.Replaced, (await _store.PutAsync(key, "b"u8.ToArray(), WriteCondition.IfExists)).Outcome);
        }

        [Fact]
        public async Task If_match_a_version_is_compare_and_set()
        {
            byte[] key = Stores.UniqueKey("cas");
            WriteResult first = await _store.PutAsync(key, "1"u8.ToArray(), WriteCondition.None);
            WriteResult second = await _store.PutAsync(key, "2"u8.ToArray(), WriteCondition.IfVersion(first.Version));
            WriteResult stale = await _store.PutAsync(key, "3"u8.ToArray(), WriteCondition.IfVersion(first.Version));

            Assert.Equal(WriteOutcome.Replaced, second.Outcome);
            Assert.Equal(WriteOutcome.PreconditionFailed, stale.Outcome);
            BackendValue now = (await _store.GetAsync(key)).Value!;
            Assert.Equal("2"u8.ToArray(), now.Value);
            Assert.Equal(second.Version, now.Info.Version);
            Assert.Equal(WriteOutcome.PreconditionFailed, (await _store.PutAsync(Stores.UniqueKey("cas-absent"), "x"u8.ToArray(), WriteCondition.IfVersion(first.Version))).Outcome);
        }

        [Fact]
        public async Task Delete_removes_once_and_honours_its_condition()
        {
            byte[] key = Stores.UniqueKey("delete");
            WriteResult put = await _store.PutAsync(key, "v"u8.ToArray(), WriteCondition.None);

            Assert.Equal(WriteOutcome.PreconditionFailed, (await _store.DeleteAsync(key, WriteCondition.IfVersion(put.Version + 1000))).Outcome);
            Assert.NotNull((await _store.GetAsync(key)).Value);

            WriteResult deleted = await _store.DeleteAsync(key, WriteCondition.IfVersion(put.Version));
            Assert.Equal(WriteOutcome.Deleted, deleted.Outcome);
            Assert.True(deleted.Version > put.Version);
            Assert.Null((await _store.GetAsync(key)).Value);
            Assert.Equal(new WriteResult(WriteOutcome.NotFound, 0), await _store.DeleteAsync(key, WriteCondition.None));
            Assert.Equal(WriteOutcome.PreconditionFailed, (await _store.DeleteAsync(key, WriteCondition.IfExists)).Outcome);
        }

        [Fact]
        public async Task A_ttl_is_a_lease_the_value_expires_with()
        {
            byte[] key = Stores.UniqueKey("ttl");
            long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await _store.PutAsync(key, "soon gone"u8.ToArray(), WriteCondition.None, TimeSpan.FromSeconds(2));

            // Rounded up to a whole second, as the server rounds it: the value lives at least its ttl.
            ValueInfo info = (await _store.GetAsync(key)).Value!.Info;
            Assert.InRange(info.ExpiresAtUnixSeconds, before + 2, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3);

            // Another instance reads the same expiry, to the second, from the lease's id (LeaseIds).
            using (EtcdStore other = Stores.Connect(_store.Options.Endpoints.ToArray()))
            {
                Assert.Equal(info.ExpiresAtUnixSeconds, (await other.GetAsync(key)).Value!.Info.ExpiresAtUnixSeconds);
            }

            // etcd revokes an expired lease with its keys within a moment of its end.
            var waited = Stopwatch.StartNew();
            while ((await _store.GetAsync(key)).Value is not null)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), "the key outlived its 2 s lease by far");
                await Task.Delay(200);
            }

            Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(1), "the key expired before its ttl");
        }

        [Fact]
        public async Task An_overwrite_without_ttl_keeps_the_value_for_good()
        {
            byte[] key = Stores.UniqueKey("ttl-dropped");
            await _store.PutAsync(key, "a"u8.ToArray(), WriteCondition.None, TimeSpan.FromSeconds(2));
            await _store.PutAsync(key, "b"u8.ToArray(), WriteCondition.None);
            await Task.Delay(TimeSpan.FromSeconds(4));
            BackendValue value = (await _store.GetAsync(key)).Value!;
            Assert.Equal("b"u8.ToArray(), value.Value);
            Assert.Equal(0, value.Info.ExpiresAtUnixSeconds);
        }

        [Fact]
        public async Task A_refused_conditional_put_with_a_ttl_stores_nothing()
        {
            byte[] key = Stores.UniqueKey("ttl-refused");
            WriteResult first = await _store.PutAsync(key, "a"u8.ToArray(), WriteCondition.None);
            Assert.Equal(WriteOutcome.PreconditionFailed, (await _store.PutAsync(key, "b"u8.ToArray(), WriteCondition.IfAbsent, TimeSpan.FromSeconds(2))).Outcome);
            await Task.Delay(TimeSpan.FromSeconds(4));
            BackendValue value = (await _store.GetAsync(key)).Value!;
            Assert.Equal(new ValueInfo(1, first.Version, 0), value.Info);
        }

        [Fact]
        public async Task Listing_pages_through_a_prefix_in_byte_order()
        {
            byte[] prefix = Stores.UniqueKey("list/");
            string[] names = ["a", "b", "b0", "c", "\u00ff", "z"]; // "\u00ff" is two UTF-8 bytes, above 'z'
            foreach (string name in names.Reverse())
            {
                await _store.PutAsync(prefix.Concat(System.Text.Encoding.UTF8.GetBytes(name)).ToArray(), System.Text.Encoding.UTF8.GetBytes(name + name), WriteCondition.None);
            }

            // A key just past the prefix must not show.
            await _store.PutAsync(EtcdRequests.PrefixEnd(prefix), "outside"u8.ToArray(), WriteCondition.None);

            EtcdListing first = await _store.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 4);
            Assert.True(first.More);
            Assert.Equal(["a", "b", "b0", "c"], first.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k.Key, prefix.Length, k.Key.Length - prefix.Length)));
            Assert.Equal([2L, 2, 4, 2], first.Keys.Select(k => k.Length));

            EtcdListing rest = await _store.ListAsync(prefix, first.Keys[^1].Key, 10);
            Assert.False(rest.More);
            Assert.Equal(["z", "\u00ff"], rest.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k.Key, prefix.Length, k.Key.Length - prefix.Length)));

            BackendValue z = (await _store.GetAsync(rest.Keys[0].Key)).Value!;
            Assert.Equal(z.Info.Version, rest.Keys[0].Version);
        }

        [Fact]
        public async Task Listing_more_keys_than_a_batch_gets_them_all()
        {
            byte[] prefix = Stores.UniqueKey("batches/");
            using EtcdStore small = EtcdStore.Connect(new EtcdStoreOptions { Endpoints = _store.Options.Endpoints, ListBatch = 3 });
            for (int i = 0; i < 10; i++)
            {
                await small.PutAsync(prefix.Concat(new[] { (byte)('0' + i) }).ToArray(), new byte[i], WriteCondition.None);
            }

            EtcdListing all = await small.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 100);
            Assert.False(all.More);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), all.Keys.Select(k => k.Length));

            EtcdListing seven = await small.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 7);
            Assert.True(seven.More);
            Assert.Equal(7, seven.Keys.Count);
        }

        [Fact]
        public async Task A_listing_of_large_values_ends_early_at_its_byte_budget_and_the_cursor_gets_the_rest()
        {
            byte[] prefix = Stores.UniqueKey("budget/");
            using EtcdStore budgeted = EtcdStore.Connect(new EtcdStoreOptions { Endpoints = _store.Options.Endpoints, ListBudgetBytes = 1024 * 1024 });
            for (int i = 0; i < 20; i++)
            {
                await budgeted.PutAsync(prefix.Concat(new[] { (byte)('a' + i) }).ToArray(), new byte[100 * 1024], WriteCondition.None);
            }

            // 100 KiB values, a 1 MiB budget: the first Range takes 8 (800 KiB), the next as many as the 224 KiB
            // left allows (2), and the page ends there, well short of its limit, with more to follow.
            EtcdListing first = await budgeted.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 100);
            Assert.True(first.More);
            Assert.Equal(10, first.Keys.Count);

            var listed = first.Keys.ToList();
            EtcdListing page = first;
            while (page.More)
            {
                page = await budgeted.ListAsync(prefix, listed[^1].Key, 100);
                Assert.True(page.Keys.Sum(k => k.Length) <= (1024 * 1024) + (EtcdStore.FirstListBatch * 100 * 1024));
                listed.AddRange(page.Keys);
            }

            Assert.Equal(Enumerable.Range(0, 20).Select(i => (char)('a' + i)), listed.Select(k => (char)k.Key[^1]));
        }

        [Fact]
        public async Task A_listing_whose_values_grow_along_it_stays_near_its_budget()
        {
            // Small keys sorting before large ones: the first batch's sizes promise nothing of the next.
            byte[] prefix = Stores.UniqueKey("growing/");
            using EtcdStore budgeted = EtcdStore.Connect(new EtcdStoreOptions { Endpoints = _store.Options.Endpoints, ListBudgetBytes = 1024 * 1024 });
            for (int i = 0; i < 8; i++)
            {
                await budgeted.PutAsync(prefix.Concat(Encoding.ASCII.GetBytes("a" + i)).ToArray(), new byte[1], WriteCondition.None);
            }

            for (int i = 0; i < 40; i++)
            {
                await budgeted.PutAsync(prefix.Concat(Encoding.ASCII.GetBytes("b" + i.ToString("D2"))).ToArray(), new byte[256 * 1024], WriteCondition.None);
            }

            // The 8 small ones leave the whole budget, but the next batch may only double (16 of 256 KiB: 4 MiB,
            // the budget plus one call), not take ListBatch (64: 16 MiB); then pages of 8 large ones each.
            var pages = new List<int>();
            var listed = new List<BackendListedKey>();
            EtcdListing page;
            do
            {
                page = await budgeted.ListAsync(prefix, listed.Count == 0 ? ReadOnlyMemory<byte>.Empty : listed[^1].Key, 1000);
                pages.Add(page.Keys.Count);
                listed.AddRange(page.Keys);
            }
            while (page.More);

            Assert.Equal(new[] { 24, 8, 8, 8 }, pages);
            Assert.Equal(48, listed.Select(k => Encoding.ASCII.GetString(k.Key)).Distinct().Count());
        }

        [Fact]
        public async Task Every_batch_of_a_listing_reads_at_the_first_batchs_revision()
        {
            byte[] prefix = Stores.UniqueKey("pinned/");
            using EtcdStore lister = EtcdStore.Connect(new EtcdStoreOptions { Endpoints = _store.Options.Endpoints, ListBatch = 1 });
            for (int i = 0; i < 6; i++)
            {
                await lister.PutAsync(prefix.Concat(new[] { (byte)('0' + i) }).ToArray(), "v"u8.ToArray(), WriteCondition.None);
            }

            // Between every two batches another client deletes the last key and adds one past it: a listing that
            // read each batch at a newer revision would miss "5" or show "9".
            int round = 0;
            lister.BetweenListBatches = async () =>
            {
                if (++round == 2)
                {
                    await _store.DeleteAsync(prefix.Concat("5"u8.ToArray()).ToArray(), WriteCondition.None);
                    await _store.PutAsync(prefix.Concat("9"u8.ToArray()).ToArray(), "v"u8.ToArray(), WriteCondition.None);
                }
            };

            EtcdListing all = await lister.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 100);
            Assert.True(round >= 3, "the listing took " + round + " batches");
            Assert.Equal("012345", string.Concat(all.Keys.Select(k => (char)k.Key[^1])));
        }

        [Fact]
        public async Task A_wait_ends_when_the_key_changes()
        {
            byte[] key = Stores.UniqueKey("wait");
            WriteResult put = await _store.PutAsync(key, "before"u8.ToArray(), WriteCondition.None);
            BackendRead read = await _store.GetAsync(key);

            Task<bool> wait = _store.WaitForChangeAsync(key, read.Revision, TimeSpan.FromSeconds(30));
            await Task.Delay(300);
            Assert.False(wait.IsCompleted);

            using EtcdStore other = Stores.Connect(_store.Options.Endpoints.ToArray());
            await other.PutAsync(key, "after"u8.ToArray(), WriteCondition.IfVersion(put.Version));
            Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        [Fact]
        public async Task A_change_between_the_read_and_the_wait_is_not_missed()
        {
            byte[] key = Stores.UniqueKey("wait-race");
            BackendRead read = await _store.GetAsync(key); // absent
            await _store.PutAsync(key, "written after the read"u8.ToArray(), WriteCondition.None);

            var took = Stopwatch.StartNew();
            Assert.True(await _store.WaitForChangeAsync(key, read.Revision, TimeSpan.FromSeconds(30)));
            Assert.True(took.Elapsed < TimeSpan.FromSeconds(10));
        }

        [Fact]
        public async Task A_wait_without_a_change_runs_out()
        {
            byte[] key = Stores.UniqueKey("wait-timeout");
            BackendRead read = await _store.GetAsync(key);
            var took = Stopwatch.StartNew();
            Assert.False(await _store.WaitForChangeAsync(key, read.Revision, TimeSpan.FromMilliseconds(500)));
            Assert.InRange(took.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(10));

            // A write to another key does not end it.
            Task<bool> wait = _store.WaitForChangeAsync(key, read.Revision, TimeSpan.FromMilliseconds(800));
            await _store.PutAsync(Stores.UniqueKey("wait-other"), "x"u8.ToArray(), WriteCondition.None);
            Assert.False(await wait);
        }

        [Fact]
        public async Task A_wait_ends_when_the_key_expires()
        {
            byte[] key = Stores.UniqueKey("wait-expiry");
            await _store.PutAsync(key, "v"u8.ToArray(), WriteCondition.None, TimeSpan.FromSeconds(2));
            BackendRead read = await _store.GetAsync(key);
            Assert.True(await _store.WaitForChangeAsync(key, read.Revision, TimeSpan.FromSeconds(20)));
            Assert.Null((await _store.GetAsync(key)).Value);
        }
    }
}
