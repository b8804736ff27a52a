using System.Collections.Generic;
using System.Linq;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    /// <summary>
    /// The kill test's judge on histories written by hand, so a green kill test means the server passed
    /// rather than a checker that passes everything: issue 10's two data-loss bugs as the kill test would
    /// record them must fail, and the freedoms a concurrent or killed request really has must pass.
    /// </summary>
    public sealed class RegisterHistoryTests
    {
        private const long Restarted = 1_000_000;

        [Fact]
        public void TheLatestAcknowledgedWriteMustBeThere()
        {
            var ops = new[] { Write(1, 1, 2), Write(2, 3, 4) };
            Assert.True(Check(ops, final: 2));
            Assert.False(Check(ops, final: 1));
            Assert.False(Check(ops, final: KillValue.Absent));
            Assert.Equal(new long[] { 2 }, new RegisterHistory(KillValue.Absent, ops).AllowedFinalStates(Restarted));
        }

        [Fact]
        public void ADeletedKeyMustNotComeBack()
        {
            // Defect 1's outcome: PUT acknowledged, then DELETE acknowledged, and the value is back after the restart.
            var ops = new[] { Write(7, 1, 2), Delete(3, 4) };
            Assert.False(Check(ops, final: 7));
            Assert.True(Check(ops, final: KillValue.Absent));
        }

        [Fact]
        public void OverlappingWritesMayLandInEitherOrder()
        {
            var ops = new[] { Write(1, 1, 4), Delete(2, 3) };
            Assert.True(Check(ops, final: 1));
            Assert.True(Check(ops, final: KillValue.Absent));
        }

        [Fact]
        public void WhatGetsSawBeforeTheKillFixesTheOrderOfOverlappingWrites()
        {
            // Defect 2 as the kill test records it: the upload is sent, a DELETE of the key is sent and
            // answered, the upload is answered, a GET sees the upload: memory put the upload last. A disk
            // that says absent after the restart disagrees.
            var ops = new[] { Write(5, 1, 4), Delete(2, 3), Read(5, 5, 6) };
            Assert.False(Check(ops, final: KillValue.Absent));
            Assert.True(Check(ops, final: 5));

            var sawTheDelete = new[] { Write(5, 1, 4), Delete(2, 3), Read(KillValue.Absent, 5, 6) };
            Assert.False(Check(sawTheDelete, final: 5));
            Assert.True(Check(sawTheDelete, final: KillValue.Absent));
        }

        [Fact]
        public void AWriteInFlightAtTheKillMayLandOrNot()
        {
            var ops = new[] { Write(1, 1, 2), Write(2, 3, long.MaxValue) };
            Assert.True(Check(ops, final: 1));
            Assert.True(Check(ops, final: 2));
            Assert.False(Check(ops, final: KillValue.Absent));
            Assert.Equal(new long[] { 1, 2 }, new RegisterHistory(KillValue.Absent, ops).AllowedFinalStates(Restarted));
        }

        [Fact]
        public void NothingNeverWrittenMayAppear()
        {
            Assert.False(Check(new[] { Write(1, 1, 2) }, final: 9));
            Assert.True(Check(System.Array.Empty<KillOp>(), final: KillValue.Absent, initial: KillValue.Absent));
            Assert.True(Check(System.Array.Empty<KillOp>(), final: 3, initial: 3));
            Assert.False(Check(System.Array.Empty<KillOp>(), final: KillValue.Absent, initial: 3));
        }

        [Fact]
        public void AReadMustSeeAWriteThatCouldBeLatest()
        {
            // A GET that saw a value older than an acknowledged overwrite before it: stale memory.
            var ops = new[] { Write(1, 1, 2), Write(2, 3, 4), Read(1, 5, 6) };
            Assert.False(Check(ops, final: 2));
        }

        [Fact]
        public void ALongHistoryOfOverlappingRequestsIsDecidedQuickly()
        {
            // Four clients on one key for 400 requests, each overlapping its neighbours: the memo keeps this linear.
            var ops = new List<KillOp>();
            for (int i = 0; i < 400; i++)
            {
                ops.Add(i % 5 == 4 ? Delete(10 * i, (10 * i) + 35) : Write(i + 1, 10 * i, (10 * i) + 35));
            }

            // The last request (a DELETE) overlaps the three writes before it, and nothing else does.
            Assert.Equal(new long[] { KillValue.Absent, 397, 398, 399 }, new RegisterHistory(KillValue.Absent, ops).AllowedFinalStates(Restarted));
            Assert.True(Check(ops, final: 399));
            Assert.False(Check(ops, final: 396));
        }

        private static bool Check(IEnumerable<KillOp> ops, long final, long initial = KillValue.Absent)
        {
            KillOp read = Read(final, Restarted + 1, Restarted + 2);
            return new RegisterHistory(initial, ops.ToList()).Check(read, Restarted);
        }

        private static KillOp Write(long id, long sent, long answered) => Answered(new KillOp("k", KillOpKind.Write, id, "PUT", sent), answered, 201);

        private static KillOp Delete(long sent, long answered) => Answered(new KillOp("k", KillOpKind.Delete, KillValue.Absent, "DELETE", sent), answered, 204);

        private static KillOp Read(long state, long sent, long answered) => Answered(new KillOp("k", KillOpKind.Read, state, "GET", sent), answered, 200);

        private static KillOp Answered(KillOp op, long answered, int status)
        {
            if (answered != long.MaxValue)
            {
                op.Acknowledge(status, answered);
            }

            return op;
        }
    }
}
