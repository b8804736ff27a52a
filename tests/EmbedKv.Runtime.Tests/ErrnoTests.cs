using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>Errno names and messages, error results, and the EINTR retry.</summary>
    public sealed class ErrnoTests
    {
        [Theory]
        [InlineData(1, "EPERM", "Operation not permitted")]
        [InlineData(4, "EINTR", "Interrupted system call")]
        [InlineData(11, "EAGAIN", "Resource temporarily unavailable")]
        [InlineData(28, "ENOSPC", "No space left on device")]
        [InlineData(98, "EADDRINUSE", "Address already in use")]
        public void NamesAndMessagesComeFromTheTable(int value, string name, string message)
        {
            var errno = new Errno(value);
            Assert.Equal(name, errno.Name);
            Assert.Equal(message, errno.Message);
            Assert.Equal(name + " (" + message + ")", errno.ToString());
        }

        [Fact]
        public void UnknownErrnoStillHasAName()
        {
            var errno = new Errno(4000);
            Assert.Equal("errno 4000", errno.Name);
            Assert.Equal("Unknown error 4000", errno.Message);
        }

        [Theory]
        [InlineData(0, false)]
        [InlineData(12345, false)]
        [InlineData(-1, true)]
        [InlineData(-4095, true)]
        [InlineData(-4096, false)]
        public void ErrorsAreMinus4095ToMinus1(long result, bool isError)
            => Assert.Equal(isError, Syscall.IsError((nint)result));

        [Fact]
        public void ExceptionNamesTheSyscallContextAndErrno()
        {
            var error = Assert.Throws<SyscallException>(() => Syscall.Check(-Sys.EADDRINUSE, "bind", "127.0.0.1:8080"));
            Assert.Equal("bind 127.0.0.1:8080: EADDRINUSE (Address already in use)", error.Message);
            Assert.Equal("bind", error.Syscall);
            Assert.Equal(Sys.EADDRINUSE, error.Errno.Value);
        }

        [Fact]
        public void BlockingCallsAreRetriedOnEintr()
        {
            var calls = new int[1];
            nint result = Syscall.Blocking("read", calls, static c => ++c[0] < 3 ? -Sys.EINTR : 5);
            Assert.Equal(5, (int)result);
            Assert.Equal(3, calls[0]);
        }

        [Fact]
        public void OtherErrorsAreNotRetried()
        {
            var calls = new int[1];
            var error = Assert.Throws<SyscallException>(() => Syscall.Blocking("read", calls, static c => ++c[0] == 1 ? -Sys.EIO : 0));
            Assert.Equal(1, calls[0]);
            Assert.Equal("EIO", error.Errno.Name);
        }

        [Fact]
        public void FromResultRejectsSuccess()
            => Assert.Throws<ArgumentOutOfRangeException>(() => Errno.FromResult(3));
    }
}
