using System;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Descriptors;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// How many connections the process's descriptor limit can hold, worked out once as the server
    /// starts. Past the limit, accept fails with EMFILE, and so do the store's opens and the runtime's;
    /// the default cap of 10,000 connections at two descriptors each needs more than 20,000, which many
    /// machines do not allow. So the soft limit is raised to the hard one first, and the cap is lowered
    /// to what is left, with a log line that names both numbers.
    /// </summary>
    internal static class DescriptorBudget
    {
        /// <summary>A connection's socket, and the file of a value over 16 KiB it streams to disk.</summary>
        public const int PerConnection = 2;

        /// <summary>Each loop's epoll, eventfd and reserve descriptor, and its own listener (SO_REUSEPORT).</summary>
        public const int PerLoop = 4;

        /// <summary>
        /// Kept free for what opens after the start: assemblies the runtime loads on first use (it holds
        /// each one open), the store's new segments and merge outputs, the embedding application's files.
        /// </summary>
        public const int Headroom = 128;

        /// <summary>
        /// Raises the soft limit to the hard one, then returns the cap to use: the configured one, or lower if
        /// the limit says so, logged as a warning (as information if the configured cap is the default).
        /// </summary>
        /// <param name="options">The server's options; not changed.</param>
        /// <returns>The most connections to keep open.</returns>
        public static int MaxConnections(KvServerOptions options)
        {
            int configured = options.Limits.MaxConnections;
            DescriptorLimit limit;
            int open;
            try
            {
                DescriptorLimit before = DescriptorLimit.Current();
                limit = DescriptorLimit.RaiseSoftToHard();
                if (limit.Soft > before.Soft)
                {
                    LoopLog.DescriptorLimitRaised(options.Logger, before.Soft, limit.Soft);
                }

                open = OpenDescriptors.Count();
            }
            catch (SyscallException e)
            {
                // A sandbox that forbids prlimit64, or no /proc: serve as configured; the accept path copes with EMFILE.
                LoopLog.DescriptorLimitUnknown(options.Logger, e.Message);
                return configured;
            }

            int allowed = Allowed(limit.Soft, open, options.Workers);
            if (allowed >= configured)
            {
                return configured;
            }

            // A cap someone chose is a warning; the default one, lowered on a machine with a modest limit
            // (10,000 connections need more than 20,000 descriptors), is news but nothing to act on.
            LogLevel level = configured == new HttpLimits().MaxConnections ? LogLevel.Information : LogLevel.Warning;
            LoopLog.MaxConnectionsLowered(options.Logger, level, configured, allowed, limit.Soft, open, PerConnection);
            return allowed;
        }

        /// <summary>
        /// (limit − open − workers × <see cref="PerLoop"/> − <see cref="Headroom"/>) / <see cref="PerConnection"/>,
        /// but at least 1: a server that starts at all should serve someone, and the accept path copes if
        /// even that runs out.
        /// </summary>
        /// <param name="limit">The soft limit in force.</param>
        /// <param name="open">Descriptors open before the loops are built.</param>
        /// <param name="workers">Event loops.</param>
        /// <returns>The most connections the limit allows.</returns>
        internal static int Allowed(ulong limit, int open, int workers)
        {
            long free = (long)Math.Min(limit, int.MaxValue) - open - ((long)workers * PerLoop) - Headroom;
            return (int)Math.Max(1, free / PerConnection);
        }
    }
}
