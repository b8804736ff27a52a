using System;
using System.IO;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// Remembers that the disk refused a new file (ENOSPC), so that writes needing one are refused from
    /// memory for <see cref="StoreOptions.DiskFullRetryInterval"/> instead of each creating and deleting a
    /// file on a full disk; the first attempt after that tries the disk again (docs/storage.md, "Disk full").
    /// </summary>
    internal sealed class DiskFullGate
    {
        private readonly object _lock = new object();
        private readonly StoreOptions _options;
        private Exception? _noSpace;
        private long _noSpaceUntil; // Environment.TickCount64

        public DiskFullGate(StoreOptions options) => _options = options;

        /// <summary>Throws <see cref="StorageFullException"/> while the last refusal is recent, without touching the disk.</summary>
        public void ThrowIfKnownFull()
        {
            lock (_lock)
            {
                if (_noSpace is not null && Environment.TickCount64 < _noSpaceUntil)
                {
                    throw new StorageFullException(_noSpace);
                }
            }
        }

        /// <summary>Creates a new file (refused from memory while the disk is known full); ENOSPC becomes <see cref="StorageFullException"/>.</summary>
        public IStorageFile CreateNew(IStorageDirectory directory, string name)
        {
            ThrowIfKnownFull();
            try
            {
                return directory.Open(name, FileMode.CreateNew);
            }
            catch (StorageFullException e)
            {
                throw Refused(e);
            }
        }

        /// <summary>Remembers that the disk refused a new file, and returns what to throw.</summary>
        public StorageFullException Refused(StorageFullException refused)
        {
            Exception cause = refused.Cause;
            lock (_lock)
            {
                if (_noSpace is null)
                {
                    StorageLog.DiskFull(_options.Logger, _options.DiskFullRetryInterval, cause.Message);
                }

                _noSpace = cause;
                _noSpaceUntil = Environment.TickCount64 + (long)_options.DiskFullRetryInterval.TotalMilliseconds;
            }

            return new StorageFullException(cause);
        }

        /// <summary>A new file was made: the disk has space again.</summary>
        public void SpaceFound(string file)
        {
            lock (_lock)
            {
                if (_noSpace is not null)
                {
                    _noSpace = null;
                    StorageLog.DiskSpaceBack(_options.Logger, file);
                }
            }
        }
    }
}
