namespace EmbedKv.Server.Storage
{
    /// <summary>What a conditional write requires of its key's current state.</summary>
    public enum WriteConditionKind
    {
        /// <summary>No condition: the write always happens.</summary>
        None,

        /// <summary>Create-only: the key must not exist (HTTP's <c>If-None-Match: *</c>).</summary>
        IfAbsent,

        /// <summary>The key must exist, whatever its version (HTTP's <c>If-Match: *</c>).</summary>
        IfExists,

        /// <summary>The key must exist at exactly <see cref="WriteCondition.Version"/> (compare-and-set; HTTP's <c>If-Match</c>).</summary>
        IfVersion,
    }

    /// <summary>
    /// The condition of a put or delete, checked against the key's latest write (acknowledged or still
    /// syncing) in the same atomic step as the write itself, against every other write of the store. An
    /// expired key counts as absent. A write whose condition fails changes nothing and ends with
    /// <see cref="WriteOutcome.PreconditionFailed"/>.
    /// </summary>
    public readonly struct WriteCondition
    {
        private WriteCondition(WriteConditionKind kind, ulong version)
        {
            Kind = kind;
            Version = version;
        }

        /// <summary>No condition.</summary>
        public static WriteCondition None => default;

        /// <summary>Create-only: the key must not exist.</summary>
        public static WriteCondition IfAbsent => new WriteCondition(WriteConditionKind.IfAbsent, 0);

        /// <summary>The key must exist.</summary>
        public static WriteCondition IfExists => new WriteCondition(WriteConditionKind.IfExists, 0);

        /// <summary>What the condition requires.</summary>
        public WriteConditionKind Kind { get; }

        /// <summary>The version <see cref="WriteConditionKind.IfVersion"/> expects; 0 otherwise.</summary>
        public ulong Version { get; }

        /// <summary>Compare-and-set: the key must exist at exactly that version (from <see cref="ValueInfo.Version"/> or <see cref="WriteResult.Version"/>).</summary>
        /// <param name="version">The expected version.</param>
        /// <returns>The condition.</returns>
        public static WriteCondition IfVersion(ulong version) => new WriteCondition(WriteConditionKind.IfVersion, version);

        /// <summary>Whether the condition holds for a key in that state.</summary>
        /// <param name="exists">Whether the key exists (unexpired).</param>
        /// <param name="version">Its version, if it exists.</param>
        /// <returns>True if the write may happen.</returns>
        public bool HoldsFor(bool exists, ulong version) => Kind switch
        {
            WriteConditionKind.IfAbsent => !exists,
            WriteConditionKind.IfExists => exists,
            WriteConditionKind.IfVersion => exists && version == Version,
            _ => true,
        };
    }
}
