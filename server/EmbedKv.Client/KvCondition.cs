using System.Net.Http.Headers;

namespace EmbedKv.Client
{
    /// <summary>
    /// What must hold for a write or delete to happen, checked by the server in one step with it
    /// (docs/api.md, "Conditional requests"). The default is no condition.
    /// </summary>
    public readonly struct KvCondition
    {
        private readonly Kind _kind;
        private readonly KvVersion _version;

        private KvCondition(Kind kind, KvVersion version)
        {
            _kind = kind;
            _version = version;
        }

        private enum Kind
        {
            None,
            IfVersion,
            IfAbsent,
            IfExists,
        }

        /// <summary>No condition: the write happens whatever the key holds.</summary>
        public static KvCondition None => default;

        /// <summary>Only if the key has no value (<c>If-None-Match: *</c>): create, never overwrite.</summary>
        public static KvCondition IfAbsent => new KvCondition(Kind.IfAbsent, KvVersion.Absent);

        /// <summary>Only if the key has a value, whichever (<c>If-Match: *</c>).</summary>
        public static KvCondition IfExists => new KvCondition(Kind.IfExists, KvVersion.Absent);

        /// <summary>Whether there is a condition at all: a conditional write is safe to retry (docs/client.md).</summary>
        public bool IsConditional => _kind != Kind.None;

        /// <summary>Only if the key is at exactly this version (<c>If-Match</c>): compare-and-set.</summary>
        /// <param name="version">The version read; <see cref="KvVersion.Absent"/> means <see cref="IfAbsent"/>.</param>
        /// <returns>The condition.</returns>
        public static KvCondition IfVersion(KvVersion version)
            => version.IsAbsent ? IfAbsent : new KvCondition(Kind.IfVersion, version);

        /// <summary>The condition's name and version, for messages.</summary>
        public override string ToString() => _kind switch
        {
            Kind.IfVersion => "if version " + _version.ToETag(),
            Kind.IfAbsent => "if absent",
            Kind.IfExists => "if exists",
            _ => "unconditional",
        };

        internal void AddTo(HttpRequestHeaders headers)
        {
            switch (_kind)
            {
                case Kind.IfVersion:
                    headers.IfMatch.Add(new EntityTagHeaderValue(_version.ToETag()));
                    break;
                case Kind.IfAbsent:
                    headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
                    break;
                case Kind.IfExists:
                    headers.IfMatch.Add(EntityTagHeaderValue.Any);
                    break;
            }
        }
    }
}
