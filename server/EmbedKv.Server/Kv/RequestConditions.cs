using System;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Conditions;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv
{
    /// <summary>What the preconditions of a request decide (RFC 9110 §13.2.2).</summary>
    internal enum ConditionVerdict : byte
    {
        /// <summary>Go on with the method.</summary>
        Proceed,

        /// <summary>412 Precondition Failed.</summary>
        PreconditionFailed,

        /// <summary>304 Not Modified (GET and HEAD only).</summary>
        NotModified,
    }

    /// <summary>
    /// One request's validators, read in <see cref="Read"/> while the head is still in the input (the input
    /// moves on as a body arrives): If-Match and If-None-Match reduced to the versions of our own
    /// entity-tags, If-Range, Range, and Prefer's wait. The key's version is an entity-tag only in our
    /// format (<see cref="EntityTag"/>), so a tag of any other form can never match and is dropped.
    /// If-Modified-Since and If-Unmodified-Since are not evaluated: the store keeps no modification
    /// date, and RFC 9110 §13.1.3-4 says to ignore them then (docs/api.md).
    /// </summary>
    internal sealed class RequestConditions
    {
        /// <summary>Our entity-tags one If-Match or If-None-Match may list (more is refused with 400).</summary>
        public const int MaxVersions = 32;

        // A single range spec is at most "bytes=" and two 19-digit numbers; anything longer is a list of
        // several, which is answered with the whole value anyway (RFC 9110 §14.2).
        private const int MaxRangeValue = 64;

        // Room for a few tags, grown to MaxVersions by a request that lists more (and kept): a waiting read
        // holds one of these objects, so its size counts per waiter (docs/api.md, "Long-poll").
        private const int UsualVersions = 4;

        private ulong[] _match = new ulong[UsualVersions];
        private ulong[] _noneMatch = new ulong[UsualVersions];
        private readonly byte[] _range = new byte[MaxRangeValue];
        private int _matchCount;
        private int _noneMatchCount;
        private int _rangeLength;
        private bool _ifRangeMatchable;
        private ulong _ifRangeVersion;

        public bool HasIfMatch { get; private set; }

        public bool IfMatchAny { get; private set; }

        public bool HasIfNoneMatch { get; private set; }

        public bool IfNoneMatchAny { get; private set; }

        /// <summary>Whether the request carries a precondition a write must hold to.</summary>
        public bool Any => HasIfMatch || HasIfNoneMatch;

        /// <summary>The request's Range value, if it had one short enough to be a single range.</summary>
        public bool HasRange => _rangeLength > 0;

        /// <summary>Prefer: wait=N in seconds, or -1 if none (RFC 7240 §4.3).</summary>
        public long WaitSeconds { get; private set; }

        /// <summary>The conditions, as the store checks them atomically with the write.</summary>
        public Precondition ForWrite
            => Precondition.Http(HasIfMatch, IfMatchAny, _match.AsSpan(0, _matchCount), HasIfNoneMatch, IfNoneMatchAny, _noneMatch.AsSpan(0, _noneMatchCount));

        /// <summary>
        /// The conditions as one <see cref="WriteCondition"/>, where they are one: none, <c>If-Match: *</c>,
        /// <c>If-None-Match: *</c>, or <c>If-Match</c> with a single tag. A remote backend checks such a condition
        /// inside the write itself; for the others (lists, both fields at once) it reads first and pins the state it read.
        /// </summary>
        public bool TryAsWriteCondition(out WriteCondition condition)
        {
            condition = WriteCondition.None;
            if (HasIfMatch && HasIfNoneMatch)
            {
                return false;
            }

            if (HasIfNoneMatch)
            {
                condition = WriteCondition.IfAbsent;
                return IfNoneMatchAny;
            }

            if (HasIfMatch)
            {
                if (IfMatchAny)
                {
                    condition = WriteCondition.IfExists;
                    return true;
                }

                if (_matchCount != 1)
                {
                    return false;
                }

                condition = WriteCondition.IfVersion(_match[0]);
            }

            return true;
        }

        /// <summary>Reads the validators from the head in <paramref name="input"/>; false if a list names too many of our tags.</summary>
        public bool Read(in RequestHead head, ReadOnlySpan<byte> input)
        {
            HasIfMatch = head.IfMatch.IsPresent;
            HasIfNoneMatch = head.IfNoneMatch.IsPresent;
            bool matchAny = false, noneMatchAny = false;
            bool fits = (!HasIfMatch || ReadList(input, head.IfMatch, RequestFields.IfMatch, strong: true, ref _match, out _matchCount, out matchAny))
                & (!HasIfNoneMatch || ReadList(input, head.IfNoneMatch, RequestFields.IfNoneMatch, strong: false, ref _noneMatch, out _noneMatchCount, out noneMatchAny));
            IfMatchAny = matchAny;
            IfNoneMatchAny = noneMatchAny;
            if (!HasIfMatch)
            {
                _matchCount = 0;
            }

            if (!HasIfNoneMatch)
            {
                _noneMatchCount = 0;
            }

            // Range and If-Range are single-valued: several lines make them unreadable, and a server may ignore them.
            _rangeLength = 0;
            if (head.Range.Count == 1 && head.Range.Length <= MaxRangeValue)
            {
                head.Range.FirstValue(input).CopyTo(_range);
                _rangeLength = head.Range.Length;
            }

            _ifRangeMatchable = true;
            _ifRangeVersion = 0;
            if (head.IfRange.IsPresent)
            {
                // Only one strong entity-tag of ours can match; a date cannot (we keep no Last-Modified).
                _ifRangeMatchable = head.IfRange.Count == 1
                    && EntityTag.TryParse(head.IfRange.FirstValue(input), out bool weak, out ReadOnlySpan<byte> opaque)
                    && !weak && EntityTag.TryParseVersion(opaque, out _ifRangeVersion);
                if (!_ifRangeMatchable)
                {
                    _ifRangeVersion = 0;
                }
            }

            WaitSeconds = head.Prefer.IsPresent ? Preferences.Wait(input, head.Prefer) : -1;
            return fits;
        }

        /// <summary>RFC 9110 §13.2.2, steps 1 to 4, for a key in that state (If-(Un)Modified-Since have no date to compare).</summary>
        public ConditionVerdict Evaluate(HttpMethod method, bool exists, ulong version)
        {
            if (HasIfMatch && !(exists && (IfMatchAny || Contains(_match, _matchCount, version))))
            {
                return ConditionVerdict.PreconditionFailed;
            }

            if (HasIfNoneMatch && exists && (IfNoneMatchAny || Contains(_noneMatch, _noneMatchCount, version)))
            {
                return method is HttpMethod.Get or HttpMethod.Head ? ConditionVerdict.NotModified : ConditionVerdict.PreconditionFailed;
            }

            return ConditionVerdict.Proceed;
        }

        /// <summary>
        /// The range a GET serves of a value of <paramref name="length"/> bytes at <paramref name="version"/>:
        /// none without a Range, or when If-Range does not name this version (RFC 9110 §13.1.5: the whole value then).
        /// </summary>
        public ByteRange RangeFor(ulong version, long length)
        {
            if (!HasRange || (!_ifRangeMatchable || (_ifRangeVersion != 0 && _ifRangeVersion != version)))
            {
                return default;
            }

            return ByteRange.Parse(_range.AsSpan(0, _rangeLength), length);
        }

        private static bool ReadList(ReadOnlySpan<byte> input, in FieldRef field, ReadOnlySpan<byte> name, bool strong, ref ulong[] versions, out int count, out bool any)
        {
            count = 0;
            any = false;
            foreach (ReadOnlySpan<byte> value in new FieldValues(input, field, name))
            {
                var list = new EntityTagList(value);
                if (list.IsAny)
                {
                    any = true;
                    continue;
                }

                while (list.MoveNext())
                {
                    ListedEntityTag tag = list.Current;

                    // If-Match compares strongly (a weak tag never matches), If-None-Match weakly (§8.8.3.2).
                    if ((strong && tag.IsWeak) || !EntityTag.TryParseVersion(tag.OpaqueTag, out ulong version))
                    {
                        continue;
                    }

                    if (count == versions.Length)
                    {
                        if (count == MaxVersions)
                        {
                            return false;
                        }

                        Array.Resize(ref versions, MaxVersions);
                    }

                    versions[count++] = version;
                }
            }

            return true;
        }

        private static bool Contains(ulong[] versions, int count, ulong version) => versions.AsSpan(0, count).Contains(version);
    }
}
