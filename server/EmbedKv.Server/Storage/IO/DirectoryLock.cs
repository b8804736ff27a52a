using System;
using System.Threading;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>Takes a data directory's lock, with the patience that opening a store and checking one share.</summary>
    internal static class DirectoryLock
    {
        private const int PatienceMilliseconds = 500;

        /// <summary>
        /// Takes <paramref name="directory"/>'s exclusive lock, retrying briefly: a closed store's lock can
        /// outlive it by a moment, since a process forked elsewhere in this program holds a copy of every
        /// descriptor until it execs, and flock belongs to the open file, not to the descriptor.
        /// </summary>
        /// <exception cref="StorageLockedException">Another holder kept it past the patience.</exception>
        public static void Take(IStorageDirectory directory)
        {
            long giveUp = Environment.TickCount64 + PatienceMilliseconds;
            while (!directory.TryLock())
            {
                if (Environment.TickCount64 >= giveUp)
                {
                    throw new StorageLockedException(directory.Path);
                }

                Thread.Sleep(10);
            }
        }
    }
}
