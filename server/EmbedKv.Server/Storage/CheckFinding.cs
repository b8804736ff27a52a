namespace EmbedKv.Server.Storage
{
    /// <summary>The kinds of things a check reports; only <see cref="Damaged"/> counts as damage.</summary>
    public enum CheckFindingKind
    {
        /// <summary>A segment damaged in a way no crash explains: the store will not open until it is repaired.</summary>
        Damaged,

        /// <summary>A bad last record with nothing valid after it, as a crash leaves: opening the store cuts it off.</summary>
        TornTail,

        /// <summary>A segment without a whole header or any valid record, as a crash right after creating it leaves: opening deletes it.</summary>
        TornHeader,

        /// <summary>A <c>*.tmp</c> or <c>*.partial</c> file of an interrupted merge or upload: opening deletes it.</summary>
        Leftover,

        /// <summary>A <c>merge.manifest</c>: a merge passed its commit point and was interrupted; opening finishes it.</summary>
        InterruptedMerge,

        /// <summary>A segment an earlier repair moved aside: kept for forensics, never read by the store.</summary>
        SetAside,
    }

    /// <summary>One thing a check found, in one file.</summary>
    public sealed class CheckFinding
    {
        internal CheckFinding(CheckFindingKind kind, string file, long? offset, string detail)
        {
            Kind = kind;
            File = file;
            Offset = offset;
            Detail = detail;
        }

        /// <summary>What it is.</summary>
        public CheckFindingKind Kind { get; }

        /// <summary>The file's name within the data directory.</summary>
        public string File { get; }

        /// <summary>The byte offset in <see cref="File"/> where the problem starts, where one applies.</summary>
        public long? Offset { get; }

        /// <summary>What is wrong, in words.</summary>
        public string Detail { get; }

        /// <summary>Whether this is damage (the store will not open) rather than what a crash leaves.</summary>
        public bool IsDamage => Kind == CheckFindingKind.Damaged;

        /// <summary>One line: "damaged: seg-00000002.log at offset 412: CRC mismatch, ...".</summary>
        /// <returns>The line.</returns>
        public override string ToString()
            => Label(Kind) + ": " + File + (Offset is { } at ? " at offset " + at : string.Empty) + ": " + Detail;

        internal static string Label(CheckFindingKind kind) => kind switch
        {
            CheckFindingKind.Damaged => "damaged",
            CheckFindingKind.TornTail => "torn tail",
            CheckFindingKind.TornHeader => "torn header",
            CheckFindingKind.Leftover => "leftover",
            CheckFindingKind.InterruptedMerge => "interrupted merge",
            _ => "set aside",
        };
    }
}
