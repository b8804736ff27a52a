using System;

namespace EmbedKv.Server.Http.Conditions
{
    /// <summary>
    /// Compares the entity-tags of a request field with the tag of a version (RFC 9110 §8.8.3.2):
    /// <list type="bullet">
    /// <item>strong comparison, for If-Match (§13.1.1) and If-Range (§13.1.5): both tags strong and equal,
    /// so a weak tag in the request never matches;</item>
    /// <item>weak comparison, for If-None-Match (§13.1.2): the opaque-tags equal, either or both weak.</item>
    /// </list>
    /// Ours are strong, so the two differ only in what they make of a <c>W/</c> tag in the request.
    /// "*" matches any current representation: call these only when the key has one, since an absent key
    /// fails If-Match and passes If-None-Match whatever the list says. A tag of another form than ours
    /// (<see cref="EntityTag"/>) never matches; a malformed value (which the parser refuses for If-Match
    /// and If-None-Match) matches nothing past its error.
    /// </summary>
    internal static class EntityTagMatch
    {
        /// <summary>Whether one field value ("*" or a list) matches <paramref name="version"/> by strong comparison.</summary>
        public static bool Strong(ReadOnlySpan<byte> value, ulong version) => Matches(value, version, weak: false);

        /// <summary>Whether one field value ("*" or a list) matches <paramref name="version"/> by weak comparison.</summary>
        public static bool Weak(ReadOnlySpan<byte> value, ulong version) => Matches(value, version, weak: true);

        /// <summary>
        /// Whether any line of the field <paramref name="name"/>, recorded in <paramref name="field"/>,
        /// matches by strong comparison; <paramref name="buffer"/> is the buffer the head was parsed from.
        /// </summary>
        public static bool Strong(ReadOnlySpan<byte> buffer, in FieldRef field, ReadOnlySpan<byte> name, ulong version)
            => Matches(buffer, in field, name, version, weak: false);

        /// <summary>As <see cref="Strong(ReadOnlySpan{byte}, in FieldRef, ReadOnlySpan{byte}, ulong)"/>, by weak comparison.</summary>
        public static bool Weak(ReadOnlySpan<byte> buffer, in FieldRef field, ReadOnlySpan<byte> name, ulong version)
            => Matches(buffer, in field, name, version, weak: true);

        /// <summary>
        /// Whether an If-Range value names <paramref name="version"/>: exactly one strong entity-tag, equal
        /// to ours. A weak tag, "*", a list or a date is no match here (a date is the caller's to compare,
        /// with <see cref="HttpDateParser"/>); when If-Range does not match, the Range field MUST be ignored.
        /// </summary>
        public static bool IfRange(ReadOnlySpan<byte> value, ulong version)
            => EntityTag.TryParse(value, out bool isWeak, out ReadOnlySpan<byte> opaqueTag) && !isWeak && Names(opaqueTag, version);

        private static bool Matches(ReadOnlySpan<byte> buffer, in FieldRef field, ReadOnlySpan<byte> name, ulong version, bool weak)
        {
            if (field.Count <= 1)
            {
                return field.Count == 1 && Matches(field.FirstValue(buffer), version, weak);
            }

            foreach (ReadOnlySpan<byte> value in new FieldValues(buffer, in field, name))
            {
                if (Matches(value, version, weak))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Matches(ReadOnlySpan<byte> value, ulong version, bool weak)
        {
            var list = new EntityTagList(value);
            if (list.IsAny)
            {
                return true;
            }

            while (list.MoveNext())
            {
                ListedEntityTag tag = list.Current;
                if ((weak || !tag.IsWeak) && Names(tag.OpaqueTag, version))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Names(ReadOnlySpan<byte> opaqueTag, ulong version)
            => EntityTag.TryParseVersion(opaqueTag, out ulong tagged) && tagged == version;
    }
}
