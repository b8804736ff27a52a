using System;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// A write's condition as the write log checks it: a <see cref="WriteCondition"/>, or HTTP's pair of
    /// conditions (RFC 9110 §13.1.1-2): If-Match, "the key exists at one of these versions" (or at any, for
    /// <c>*</c>), and If-None-Match, "the key does not exist at one of these versions" (or at all, for
    /// <c>*</c>), both required when both are given. A ref struct so that the version lists stay in the
    /// caller's buffers: the check happens inside the call that takes it.
    /// </summary>
    internal readonly ref struct Precondition
    {
        private readonly WriteCondition _condition;
        private readonly ReadOnlySpan<ulong> _match;
        private readonly ReadOnlySpan<ulong> _noneMatch;
        private readonly bool _http;
        private readonly bool _hasMatch;
        private readonly bool _matchAny;
        private readonly bool _hasNoneMatch;
        private readonly bool _noneMatchAny;

        public Precondition(WriteCondition condition) => _condition = condition;

        private Precondition(bool hasMatch, bool matchAny, ReadOnlySpan<ulong> match, bool hasNoneMatch, bool noneMatchAny, ReadOnlySpan<ulong> noneMatch)
        {
            _http = true;
            _hasMatch = hasMatch;
            _matchAny = matchAny;
            _match = match;
            _hasNoneMatch = hasNoneMatch;
            _noneMatchAny = noneMatchAny;
            _noneMatch = noneMatch;
        }

        /// <summary>No condition.</summary>
        public bool IsNone => _http ? !_hasMatch && !_hasNoneMatch : _condition.Kind == WriteConditionKind.None;

        /// <summary>The key must exist at one of <paramref name="versions"/> (none: never holds).</summary>
        public static Precondition VersionIn(ReadOnlySpan<ulong> versions) => new Precondition(true, false, versions, false, false, default);

        /// <summary>HTTP's conditions: If-Match (when <paramref name="hasMatch"/>) and If-None-Match (when <paramref name="hasNoneMatch"/>).</summary>
        public static Precondition Http(bool hasMatch, bool matchAny, ReadOnlySpan<ulong> match, bool hasNoneMatch, bool noneMatchAny, ReadOnlySpan<ulong> noneMatch)
            => new Precondition(hasMatch, matchAny, match, hasNoneMatch, noneMatchAny, noneMatch);

        public static implicit operator Precondition(WriteCondition condition) => new Precondition(condition);

        /// <summary>Whether the condition holds for a key in that state.</summary>
        public bool HoldsFor(bool exists, ulong version)
        {
            if (!_http)
            {
                return _condition.HoldsFor(exists, version);
            }

            if (_hasMatch && !(exists && (_matchAny || _match.Contains(version))))
            {
                return false;
            }

            return !(_hasNoneMatch && exists && (_noneMatchAny || _noneMatch.Contains(version)));
        }
    }
}
