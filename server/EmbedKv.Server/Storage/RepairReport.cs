using System.Collections.Generic;

namespace EmbedKv.Server.Storage
{
    /// <summary>What <see cref="StoreCheck.Repair"/> found, did, and found afterwards.</summary>
    public sealed class RepairReport
    {
        internal RepairReport(CheckReport before, IReadOnlyList<string> actions, CheckReport after)
        {
            Before = before;
            Actions = actions;
            After = after;
        }

        /// <summary>The check before anything was changed.</summary>
        public CheckReport Before { get; }

        /// <summary>What the repair did, one line each, in order (empty if nothing needed it).</summary>
        public IReadOnlyList<string> Actions { get; }

        /// <summary>The check after the repair: not damaged unless the repair could not help.</summary>
        public CheckReport After { get; }
    }
}
