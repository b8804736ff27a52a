// RLIMIT_NOFILE through prlimit64: the server sizes its connection cap from it.
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Descriptors
{
    /// <summary>
    /// The process's limit on open descriptors (RLIMIT_NOFILE), read and set with prlimit64. A new
    /// descriptor must have a number below the soft limit, or its call fails with EMFILE; any process
    /// may move its soft limit up to the hard one, only a privileged one may raise the hard limit.
    /// </summary>
    /// <param name="Soft">The limit in force.</param>
    /// <param name="Hard">The ceiling the soft limit may be raised to.</param>
    internal readonly record struct DescriptorLimit(ulong Soft, ulong Hard)
    {
        /// <summary>The calling process's limit.</summary>
        /// <returns>The soft and the hard limit.</returns>
        /// <exception cref="SyscallException">prlimit64 failed (EPERM under a seccomp filter that forbids it).</exception>
        public static unsafe DescriptorLimit Current()
        {
            RLimit limit;
            Syscall.Check(Sys.Prlimit64(0, Sys.RLIMIT_NOFILE, null, &limit), "prlimit64", "RLIMIT_NOFILE");
            return new DescriptorLimit(limit.Cur, limit.Max);
        }

        /// <summary>Sets the calling process's limit; what was opened already stays open, whatever its number.</summary>
        /// <param name="limit">The new limits; the soft one no higher than the hard one.</param>
        /// <exception cref="SyscallException">prlimit64 failed (EINVAL: soft above hard; EPERM: hard raised without privilege).</exception>
        public static unsafe void Set(DescriptorLimit limit)
        {
            var wanted = new RLimit { Cur = limit.Soft, Max = limit.Hard };
            Syscall.Check(Sys.Prlimit64(0, Sys.RLIMIT_NOFILE, &wanted, null), "prlimit64", "RLIMIT_NOFILE");
        }

        /// <summary>
        /// Raises the soft limit to the hard one, as Go's runtime and nginx's worker_rlimit_nofile do. The
        /// low soft limit (often 1024) exists for programs that pass descriptors to select(2), whose sets
        /// end at 1024; a program that only uses epoll gains nothing from it but an earlier EMFILE. (The
        /// .NET runtime already does this when it starts on Linux; a host that skips that step does not.)
        /// </summary>
        /// <returns>The limit now in force.</returns>
        /// <exception cref="SyscallException">prlimit64 failed.</exception>
        public static DescriptorLimit RaiseSoftToHard()
        {
            DescriptorLimit current = Current();
            if (current.Soft >= current.Hard)
            {
                return current;
            }

            var raised = current with { Soft = current.Hard };
            Set(raised);
            return raised;
        }
    }
}
