using System;
using EmbedKv.Server.Storage;
using Etcdserverpb;
using Google.Protobuf;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// The etcd requests each EmbedKv operation becomes (docs/etcd.md, "Mapping"): pure functions of their
    /// arguments, so the mapping is testable without a cluster. A condition is a <see cref="Compare"/> in the
    /// same Txn as the write, which makes check and write one atomic step on the cluster.
    /// </summary>
    internal static class EtcdRequests
    {
        /// <summary>A put of <paramref name="value"/> under <paramref name="condition"/>, attached to <paramref name="lease"/> (0: none). Its answer names the previous value, to tell Created from Replaced.</summary>
        public static TxnRequest Put(ByteString key, ByteString value, long lease, WriteCondition condition)
        {
            var txn = new TxnRequest();
            AddCompare(txn, key, condition);
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease, PrevKv = true } });
            return txn;
        }

        /// <summary>A delete of <paramref name="key"/> under <paramref name="condition"/>; its answer counts what was deleted, and names it (its lease: an expired key was already absent).</summary>
        public static TxnRequest Delete(ByteString key, WriteCondition condition)
        {
            var txn = new TxnRequest();
            AddCompare(txn, key, condition);
            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key, PrevKv = true } });
            return txn;
        }

        /// <summary>Whether <paramref name="condition"/> can hold at all on etcd, whose revisions are signed 64-bit.</summary>
        public static bool CanHold(WriteCondition condition)
            => condition.Kind != WriteConditionKind.IfVersion || (condition.Version is > 0 and <= long.MaxValue);

        /// <summary>
        /// A key absent from etcd compares with create_revision 0 and mod_revision 0, so: If-None-Match: * is
        /// create_revision = 0, If-Match: * is create_revision &gt; 0, and If-Match: "v" is mod_revision = v
        /// (never 0, so it fails on an absent key as it must).
        /// </summary>
        private static void AddCompare(TxnRequest txn, ByteString key, WriteCondition condition)
        {
            switch (condition.Kind)
            {
                case WriteConditionKind.IfAbsent:
                    txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                    break;
                case WriteConditionKind.IfExists:
                    txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 });
                    break;
                case WriteConditionKind.IfVersion:
                    txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = checked((long)condition.Version) });
                    break;
            }
        }

        /// <summary>
        /// The Range of one listing batch: keys under <paramref name="prefix"/> after <paramref name="after"/>
        /// (exclusive), in byte order, at most <paramref name="limit"/>.
        /// </summary>
        public static RangeRequest List(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, int limit)
        {
            return new RangeRequest
            {
                Key = ByteString.CopyFrom(ListStart(prefix, after)),
                RangeEnd = ByteString.CopyFrom(PrefixEnd(prefix)),
                Limit = limit,
            };
        }

        /// <summary>
        /// The first key a listing may return: the smallest key above <paramref name="after"/> (after plus a
        /// zero byte) if that lies under the prefix or beyond it, else the prefix itself. etcd has no empty
        /// key, so an empty start is the zero byte, the smallest key there is.
        /// </summary>
        public static byte[] ListStart(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after)
        {
            if (after.Length > 0 && after.SequenceCompareTo(prefix) >= 0)
            {
                byte[] start = new byte[after.Length + 1];
                after.CopyTo(start);
                return start;
            }

            return prefix.Length > 0 ? prefix.ToArray() : new byte[] { 0 };
        }

        /// <summary>
        /// The range_end that covers every key starting with <paramref name="prefix"/>: the prefix with its
        /// last byte below 0xff incremented and what follows cut off. With no such byte (an empty prefix, or
        /// only 0xff bytes) every key from the start on matches, which etcd spells as a single zero byte.
        /// </summary>
        public static byte[] PrefixEnd(ReadOnlySpan<byte> prefix)
        {
            for (int i = prefix.Length - 1; i >= 0; i--)
            {
                if (prefix[i] != 0xff)
                {
                    byte[] end = prefix.Slice(0, i + 1).ToArray();
                    end[i]++;
                    return end;
                }
            }

            return new byte[] { 0 };
        }
    }
}
