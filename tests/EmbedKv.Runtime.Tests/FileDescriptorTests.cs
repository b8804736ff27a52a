using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>A FileDescriptor closes its descriptor exactly once.</summary>
    public sealed unsafe class FileDescriptorTests
    {
        [Fact]
        public void DisposingTwiceClosesOnceAndSparesAReusedNumber()
        {
            var first = FileDescriptor.FromResult(Sys.Eventfd2(0, Sys.EFD_CLOEXEC), "eventfd2");
            int number = first.Value;
            first.Dispose();
            Assert.Equal(-Sys.EBADF, (int)Sys.Fcntl(number, Sys.F_GETFD, 0));

            // The kernel hands out the lowest free number, so the next descriptor very likely reuses it;
            // a second Dispose of the first object must not close the new one.
            using var second = FileDescriptor.FromResult(Sys.Eventfd2(0, Sys.EFD_CLOEXEC), "eventfd2");
            first.Dispose();
            Assert.True(Sys.Fcntl(second.Value, Sys.F_GETFD, 0) >= 0);
            Assert.True(first.IsClosed);
        }

        [Fact]
        public void ErrorResultThrowsAndOwnsNothing()
        {
            var error = Assert.Throws<SyscallException>(() => FileDescriptor.FromResult(Sys.Dup3(-1, 100, 0), "dup3", "-1"));
            Assert.Equal("dup3 -1: EBADF (Bad file descriptor)", error.Message);
        }
    }
}
