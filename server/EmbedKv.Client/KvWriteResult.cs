using System;

namespace EmbedKv.Client
{
    /// <summary>How a write or delete ended, when the server answered it. Failures are exceptions; a condition that did not hold is not.</summary>
    public enum KvWriteStatus
    {
        /// <summary>The key had no value and has one now (201).</summary>
        Created,

        /// <summary>The key's value was replaced (204 to a PUT).</summary>
        Replaced,

        /// <summary>The key's value was deleted (204 to a DELETE).</summary>
        Deleted,

        /// <summary>A delete found no value (404): nothing was written.</summary>
        NotFound,

        /// <summary>The condition did not hold (412): nothing was written.</summary>
        PreconditionFailed,
    }

    /// <summary>The outcome of a write or delete, and the key's new version when it wrote one.</summary>
    public readonly struct KvWriteResult
    {
        internal KvWriteResult(KvWriteStatus status, KvVersion version, DateTimeOffset? expires = null)
        {
            Status = status;
            Version = version;
            Expires = expires;
        }

        /// <summary>How it ended.</summary>
        public KvWriteStatus Status { get; }

        /// <summary>The version the write gave the key; <see cref="KvVersion.Absent"/> after a delete or when nothing was written.</summary>
        public KvVersion Version { get; }

        /// <summary>When the value written expires, as the server stored it (whole seconds of its clock), or null if it does not.</summary>
        public DateTimeOffset? Expires { get; }

        /// <summary>Whether the write or delete happened.</summary>
        public bool Succeeded => Status is KvWriteStatus.Created or KvWriteStatus.Replaced or KvWriteStatus.Deleted;

        /// <summary>The status and version.</summary>
        public override string ToString() => Version.IsAbsent ? Status.ToString() : Status + " " + Version.ToETag();
    }
}
