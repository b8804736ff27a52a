using System;
using System.Collections.Generic;
using System.Linq;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    /// <summary>
    /// Decides whether what one key went through in a round is linearizable as a register (Wing and Gong's
    /// search, with Lowe's memo of visited configurations): is there one order of the requests, each placed
    /// between its sending and its answer, in which every GET sees the latest write before it? Writes
    /// with no answer (in flight at the kill) may land or not. The read after the restart is the last
    /// request, so it must see the latest acknowledged write (or a later in-flight one), never a deleted
    /// value, and the order the GETs saw while running (the memory) must be the order the disk kept.
    /// </summary>
    internal sealed class RegisterHistory
    {
        private readonly long _initial;
        private readonly List<KillOp> _ops;
        private readonly HashSet<Configuration> _visited = new HashSet<Configuration>();
        private HashSet<long>? _finalStates;

        public RegisterHistory(long initial, IEnumerable<KillOp> ops)
        {
            _initial = initial;
            // Unanswered reads say nothing; everything else, in the order it was sent.
            _ops = ops.Where(op => op.Acknowledged || op.Kind != KillOpKind.Read).OrderBy(op => op.Sent).ToList();
        }

        public IReadOnlyList<KillOp> Ops => _ops;

        /// <summary>Whether the history with <paramref name="finalRead"/> (the GET after the restart) appended is linearizable.</summary>
        /// <param name="finalRead">A read sent after the restart, so after every other request.</param>
        /// <param name="restarted">A stamp taken once the server had restarted: no unanswered write can land after it.</param>
        public bool Check(KillOp finalRead, long restarted)
        {
            var ops = Prepared(restarted);
            ops.Add(Bound(finalRead, finalRead.Answered));
            _visited.Clear();
            _finalStates = null;
            return Search(ops, new ulong[(ops.Count + 63) / 64], 0, _initial);
        }

        /// <summary>Every state the key may be in after the round (what the read after the restart may see).</summary>
        public IReadOnlyCollection<long> AllowedFinalStates(long restarted)
        {
            var ops = Prepared(restarted);
            _visited.Clear();
            _finalStates = new HashSet<long>();
            Search(ops, new ulong[(ops.Count + 63) / 64], 0, _initial);
            HashSet<long> states = _finalStates;
            _finalStates = null;
            return states.OrderBy(s => s).ToList();
        }

        private List<Bounded> Prepared(long restarted) =>
            _ops.Select(op => Bound(op, op.Acknowledged ? op.Answered : restarted)).ToList();

        private static Bounded Bound(KillOp op, long end) => new Bounded(op, op.Sent, end, Optional: !op.Acknowledged);

        private bool Search(List<Bounded> ops, ulong[] done, int doneCount, long state)
        {
            if (doneCount == ops.Count)
            {
                _finalStates?.Add(state);
                return _finalStates is null;
            }

            if (!_visited.Add(new Configuration((ulong[])done.Clone(), state)))
            {
                return false;
            }

            // The next request in some valid order must have been sent before every request not yet placed
            // was answered.
            long deadline = long.MaxValue;
            for (int i = 0; i < ops.Count; i++)
            {
                if (!IsDone(done, i))
                {
                    deadline = Math.Min(deadline, ops[i].End);
                }
            }

            for (int i = 0; i < ops.Count && ops[i].Start < deadline; i++)
            {
                if (IsDone(done, i))
                {
                    continue;
                }

                foreach (long next in Outcomes(ops[i], state))
                {
                    done[i / 64] |= 1UL << (i % 64);
                    bool found = Search(ops, done, doneCount + 1, next);
                    done[i / 64] &= ~(1UL << (i % 64));
                    if (found)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static IEnumerable<long> Outcomes(Bounded op, long state)
        {
            switch (op.Op.Kind)
            {
                case KillOpKind.Read:
                    if (op.Op.State == state)
                    {
                        yield return state;
                    }

                    break;
                default:
                    long written = op.Op.Kind == KillOpKind.Delete ? KillValue.Absent : op.Op.State;
                    yield return written;
                    if (op.Optional && written != state)
                    {
                        yield return state; // it never landed
                    }

                    break;
            }
        }

        private static bool IsDone(ulong[] done, int i) => (done[i / 64] & (1UL << (i % 64))) != 0;

        private readonly record struct Bounded(KillOp Op, long Start, long End, bool Optional);

        private readonly struct Configuration : IEquatable<Configuration>
        {
            private readonly ulong[] _done;
            private readonly long _state;

            public Configuration(ulong[] done, long state)
            {
                _done = done;
                _state = state;
            }

            public bool Equals(Configuration other) => _state == other._state && _done.AsSpan().SequenceEqual(other._done);

            public override bool Equals(object? obj) => obj is Configuration other && Equals(other);

            public override int GetHashCode()
            {
                var hash = new HashCode();
                hash.Add(_state);
                foreach (ulong word in _done)
                {
                    hash.Add(word);
                }

                return hash.ToHashCode();
            }
        }
    }
}
