// Why every call on a shared descriptor holds a lease: without one, a concurrent Dispose could close
// the descriptor mid-call and the kernel could hand its number to a file opened meanwhile, so a write
// would land in the wrong file. SafeHandle's reference count defers the close until the lease ends.
using System;

namespace EmbedKv.Runtime
{
    /// <summary>
    /// A reference held on a <see cref="FileDescriptor"/> for the length of a call
    /// (DangerousAddRef … DangerousRelease). A ref struct, so it costs no allocation:
    /// <c>using var lease = DescriptorLease.Acquire(Descriptor);</c> then call with <see cref="Fd"/>.
    /// </summary>
    internal ref struct DescriptorLease
    {
        /// <summary>The descriptor number, valid while <see cref="IsHeld"/>.</summary>
        public readonly int Fd;

        private FileDescriptor? _descriptor;

        private DescriptorLease(FileDescriptor descriptor)
        {
            bool added = false;
            descriptor.DangerousAddRef(ref added);
            _descriptor = descriptor;
            Fd = descriptor.Value;
        }

        /// <summary>Whether the lease holds a reference (false only from a failed <see cref="TryAcquire"/>).</summary>
        public readonly bool IsHeld => _descriptor is not null;

        /// <summary>Leases <paramref name="descriptor"/>.</summary>
        /// <param name="descriptor">The descriptor.</param>
        /// <returns>The lease.</returns>
        /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
        public static DescriptorLease Acquire(FileDescriptor descriptor) => new DescriptorLease(descriptor);

        /// <summary>Leases <paramref name="descriptor"/> if it is still open, for callers that report -EBADF instead of throwing.</summary>
        /// <param name="descriptor">The descriptor.</param>
        /// <returns>The lease; not <see cref="IsHeld"/> once the descriptor is closed.</returns>
        public static DescriptorLease TryAcquire(FileDescriptor descriptor)
        {
            try
            {
                return new DescriptorLease(descriptor);
            }
            catch (ObjectDisposedException)
            {
                return default;
            }
        }

        /// <summary>Gives the reference back (once); the descriptor closes now if it was disposed meanwhile.</summary>
        public void Dispose()
        {
            _descriptor?.DangerousRelease();
            _descriptor = null;
        }
    }
}
