using System;
using System.Diagnostics;
using System.Threading;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>
    /// A thread blocked in a "blocking" stub must not hold up the garbage collector. Each test blocks
    /// a thread on a pipe that a child process writes to only after <see cref="WriteDelay"/>, and
    /// collects meanwhile: the collection must finish while the thread is still blocked. The child,
    /// not managed code, ends the wait, so a broken stub makes the test fail instead of deadlocking
    /// (no managed thread can run once a collection is stuck waiting to suspend everyone).
    /// </summary>
    public sealed unsafe class BlockingCallGcTests
    {
        private static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(4);

        [Fact]
        public void BlockingEpollPwaitDoesNotStallTheGarbageCollector()
        {
            using var pipe = new DelayedPipe(WriteDelay);
            using FileDescriptor epoll = FileDescriptor.FromResult(Sys.EpollCreate1(Sys.EPOLL_CLOEXEC), "epoll_create1");
            var interest = new EpollEvent { Events = Sys.EPOLLIN, Data = 42 };
            Syscall.Check(Sys.EpollCtl(epoll.Value, Sys.EPOLL_CTL_ADD, pipe.ReadFd, &interest), "epoll_ctl");

            int epfd = epoll.Value;
            ulong data = 0;

            // The raw call, without the EINTR retry: a stub that skipped the GC transition would be
            // interrupted by the runtime's suspension signal and return -EINTR early.
            nint result = BlockWhileCollecting(() =>
            {
                EpollEvent ready;
                nint r = Sys.EpollPwait(epfd, &ready, 1, 30_000, null, 8); // 8: the kernel's sigset_t size
                data = ready.Data;
                return r;
            });

            Assert.Equal(1, (int)result);
            Assert.Equal(42ul, data);
        }

        [Fact]
        public void BlockingReadDoesNotStallTheGarbageCollector()
        {
            // read(2) is restarted by the kernel after a signal handler installed with SA_RESTART, so
            // here only the GC transition of the blocking stub lets the collector run.
            using var pipe = new DelayedPipe(WriteDelay);
            int fd = pipe.ReadFd;
            byte received = 0;
            nint result = BlockWhileCollecting(() =>
            {
                byte b;
                nint r = Sys.Read(fd, &b, 1);
                received = b;
                return r;
            });

            Assert.Equal(1, (int)result);
            Assert.Equal((byte)'x', received);
        }

        private static nint BlockWhileCollecting(Func<nint> blockingCall)
        {
            nint result = 0;
            using var started = new ManualResetEventSlim();
            var waiter = new Thread(() =>
            {
                started.Set();
                result = blockingCall();
            });
            waiter.Start();
            started.Wait();
            Thread.Sleep(300); // let the waiter enter the kernel

            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            }

            TimeSpan collecting = clock.Elapsed;
            bool stillBlocked = waiter.IsAlive;
            Assert.True(waiter.Join(TimeSpan.FromSeconds(30)), "the blocked call never returned");
            Assert.True(stillBlocked, "the blocked call returned (" + result + ") before the child wrote: it was interrupted");
            Assert.True(collecting < WriteDelay / 2, "collecting took " + collecting + ": it waited for the blocked thread");
            return result;
        }

        /// <summary>A pipe whose write end a child process writes one byte to after a delay.</summary>
        private sealed class DelayedPipe : IDisposable
        {
            private readonly FileDescriptor _read;
            private readonly Process _child;

            public DelayedPipe(TimeSpan delay)
            {
                int* fds = stackalloc int[2];
                Syscall.Check(Sys.Pipe2(fds, 0), "pipe2");
                _read = new FileDescriptor(fds[0]);
                Syscall.Check(Sys.Fcntl(fds[0], Sys.F_SETFD, Sys.FD_CLOEXEC), "fcntl");
                using (var write = new FileDescriptor(fds[1]))
                {
                    // The child inherits the write end (no O_CLOEXEC) and keeps it after we close ours.
                    // bash, not sh: dash cannot redirect to descriptors above 9.
                    _child = Process.Start(new ProcessStartInfo("/bin/bash")
                    {
                        ArgumentList = { "-c", "sleep " + (int)delay.TotalSeconds + "; printf x >&" + fds[1] },
                        UseShellExecute = false,
                    })!;
                }
            }

            public int ReadFd => _read.Value;

            public void Dispose()
            {
                if (!_child.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    _child.Kill();
                }

                _child.Dispose();
                _read.Dispose();
            }
        }
    }
}
