// No arm64 machine runs the tests, yet the aarch64 stubs must make real syscalls with the right
// number and all six argument registers intact. Aarch64StubDisassemblyTests shows that each slot
// decodes to the intended instructions; this test shows that those instructions do what the
// runtime expects of them. It writes a small C program holding the aarch64 pages of the real table
// and of Tables/two-architectures.json (the bytes from StubImage, slot offsets from the table
// order), cross-compiles it statically with aarch64-linux-gnu-gcc and runs it under qemu-aarch64,
// which executes arm64 code and hands its svc calls to this machine's kernel. The program calls
// through function pointers into the pages: getpid (against libc's syscall), a pipe round trip,
// mmap with all six arguments mattering, epoll_ctl and epoll_pwait (six arguments, with a signal
// mask whose size must arrive in x5) on an eventfd and a pipe, reading the events back with the
// table's aarch64 epoll_event layout (16 bytes, data at 8, where x86_64 packs it into 12), and the
// two-architectures table's -ENOSYS slot. It prints what it saw; the test parses and asserts.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Model;
using EmbedKv.Generators.Tests.Infrastructure;

namespace EmbedKv.Generators.Tests
{
    /// <summary>The aarch64 stubs make real syscalls, under qemu-aarch64, from a cross-compiled C program.</summary>
    public sealed class Aarch64StubExecutionTests
    {
        private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

        // The C program's body. The test puts before it the two pages as byte arrays, a SLOT_<name> and
        // TWO_<name> offset for every slot of each table, and the table's aarch64 epoll_event layout.
        private const string Program = """
            typedef long (*stub_fn)(long, long, long, long, long, long);

            /* The kernel's layout must be the table's: the program reads events with the table's offsets. */
            _Static_assert(EVENT_SIZE == sizeof(struct epoll_event), "the table's aarch64 epoll_event size is not the kernel's");
            _Static_assert(EVENT_DATA == offsetof(struct epoll_event, data), "the table's aarch64 epoll_event data offset is not the kernel's");

            /* Maps stubs as the runtime's StubPage.Map does: read-write, filled, then read-execute. */
            static const unsigned char *map_stubs(const unsigned char *code, size_t length)
            {
                size_t page = (size_t)sysconf(_SC_PAGESIZE);
                size_t size = (length + page - 1) / page * page;
                unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) { perror("mmap"); exit(2); }
                memcpy(p, code, length);
                if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); exit(2); }
                /* Portable arm64 code makes instructions it has just written visible to instruction fetch
                   itself, as this does. The runtime does not: it relies on Linux cleaning the data cache and
                   invalidating the instruction cache for a user page when its mapping first becomes
                   executable, at the mprotect (the comment in StubPage.Map says so). qemu needs neither. */
                __builtin___clear_cache((char *)p, (char *)p + length);
                return p;
            }

            static long call(const unsigned char *page, int slot, long a, long b, long c, long d, long e, long f)
            {
                return ((stub_fn)(uintptr_t)(page + slot))(a, b, c, d, e, f);
            }

            int main(void)
            {
                setvbuf(stdout, NULL, _IONBF, 0); /* what was printed survives a crash further on */
                const unsigned char *sys = map_stubs(sys_page, sizeof sys_page);
                const unsigned char *two = map_stubs(two_page, sizeof two_page);
                long page = sysconf(_SC_PAGESIZE);

                /* getpid: no arguments, the number alone. */
                printf("getpid stub=%ld libc=%ld\n", call(sys, SLOT_getpid, 0, 0, 0, 0, 0, 0), syscall(SYS_getpid));

                /* A pipe round trip: pipe2, write, read. */
                int fds[2] = { -1, -1 };
                long piped = call(sys, SLOT_pipe2, (long)fds, O_CLOEXEC, 0, 0, 0, 0);
                static const char message[] = "through an aarch64 stub";
                long wrote = call(sys, SLOT_write, fds[1], (long)message, (long)(sizeof message - 1), 0, 0, 0);
                char received[64] = { 0 };
                long got = call(sys, SLOT_read, fds[0], (long)received, (long)sizeof received, 0, 0, 0);
                printf("pipe pipe2=%ld write=%ld read=%ld same=%d\n", piped, wrote, got,
                       got == (long)(sizeof message - 1) && memcmp(received, message, sizeof message - 1) == 0);

                /* mmap with six arguments that each matter: a file of three pages 'A', 'B', 'C' is mapped two
                   pages long from offset one page, shared, read-write, at a fixed address inside a hole this
                   program reserved. A wrong address or MAP_FIXED lost: another address; a wrong length: the
                   second page faults; wrong prot: the write faults; MAP_SHARED lost: pread misses the write;
                   a wrong fd or offset: other content. */
                char path[] = "/tmp/embedkv-aarch64-stub-XXXXXX";
                int fd = mkstemp(path);
                if (fd < 0) { perror("mkstemp"); return 2; }
                unlink(path);
                char *block = malloc((size_t)page);
                for (int k = 0; k < 3; k++)
                {
                    memset(block, 'A' + k, (size_t)page);
                    if (pwrite(fd, block, (size_t)page, (off_t)k * page) != page) { perror("pwrite"); return 2; }
                }
                unsigned char *hole = mmap(NULL, (size_t)(3 * page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (hole == MAP_FAILED) { perror("mmap hole"); return 2; }
                long mapped = call(sys, SLOT_mmap, (long)hole, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, page);
                int placed = mapped == (long)hole;
                int content = placed && hole[0] == 'B' && hole[page - 1] == 'B' && hole[page] == 'C' && hole[2 * page - 1] == 'C';
                static const char written[] = "written through the map";
                if (placed) memcpy(hole + page + 5, written, sizeof written - 1);
                char back[sizeof written] = { 0 };
                long reread = call(sys, SLOT_pread64, fd, (long)back, (long)(sizeof written - 1), 2 * page + 5, 0, 0);
                printf("mmap result=%ld placed=%d content=%d pread=%ld readback=%d\n", placed ? 0 : mapped, placed, content, reread,
                       reread == (long)(sizeof written - 1) && memcmp(back, written, sizeof written - 1) == 0);

                /* epoll on an eventfd and the pipe, events read with the aarch64 layout: two ready events at
                   a 16-byte stride, each with its 64-bit data at offset 8. epoll_pwait gets a real signal mask
                   and the kernel's sigset size (8), which it checks: a lost x5 is EINVAL. */
                long ep = call(sys, SLOT_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0, 0, 0);
                long efd = call(sys, SLOT_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK, 0, 0, 0, 0);
                const uint64_t event_data = 0x1122334455667788u, pipe_data = 0x8877665544332211u;
                unsigned char event[EVENT_SIZE];
                uint32_t in = EPOLLIN;
                memset(event, 0, sizeof event);
                memcpy(event, &in, sizeof in);
                memcpy(event + EVENT_DATA, &event_data, sizeof event_data);
                long added_eventfd = call(sys, SLOT_epoll_ctl, ep, EPOLL_CTL_ADD, efd, (long)event, 0, 0);
                memcpy(event + EVENT_DATA, &pipe_data, sizeof pipe_data);
                long added_pipe = call(sys, SLOT_epoll_ctl, ep, EPOLL_CTL_ADD, fds[0], (long)event, 0, 0);
                uint64_t one = 1;
                long signalled = call(sys, SLOT_write, efd, (long)&one, sizeof one, 0, 0, 0);
                long poked = call(sys, SLOT_write, fds[1], (long)"x", 1, 0, 0, 0);
                unsigned char events[4 * EVENT_SIZE];
                memset(events, 0xAA, sizeof events);
                uint64_t mask = 1u << (SIGUSR1 - 1);
                long ready = call(sys, SLOT_epoll_pwait, ep, (long)events, 4, 1000, (long)&mask, sizeof mask);
                int found_eventfd = 0, found_pipe = 0;
                for (long i = 0; i < ready && i < 4; i++)
                {
                    uint32_t flags;
                    uint64_t data;
                    memcpy(&flags, events + i * EVENT_SIZE, sizeof flags);
                    memcpy(&data, events + i * EVENT_SIZE + EVENT_DATA, sizeof data);
                    found_eventfd += (flags & EPOLLIN) && data == event_data;
                    found_pipe += (flags & EPOLLIN) && data == pipe_data;
                }
                long bad_size = call(sys, SLOT_epoll_pwait, ep, (long)events, 4, 0, (long)&mask, 128);
                printf("epoll create=%d eventfd=%d ctl_eventfd=%ld ctl_pipe=%ld write_eventfd=%ld write_pipe=%ld ready=%ld found_eventfd=%d found_pipe=%d bad_sigsetsize=%ld\n",
                       ep >= 0, efd >= 0, added_eventfd, added_pipe, signalled, poked, ready, found_eventfd, found_pipe, bad_size);

                /* The other table's page: epoll_wait is missing on aarch64, so its slot answers -ENOSYS
                   without entering the kernel; its openat (4 arguments) is a real call. */
                long missing = call(two, TWO_epoll_wait, ep, (long)events, 4, 0, 0, 0);
                long dir = call(two, TWO_openat, AT_FDCWD, (long)"/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
                printf("two missing=%ld enosys=%d openat=%d\n", missing, ENOSYS, dir >= 0);

                long closed = 0;
                long open_fds[] = { dir, ep, efd, fds[0], fds[1], fd };
                for (size_t i = 0; i < sizeof open_fds / sizeof open_fds[0]; i++)
                    if (open_fds[i] >= 0) closed |= call(sys, SLOT_close, open_fds[i], 0, 0, 0, 0, 0);
                printf("close all=%ld\n", closed);
                return 0;
            }
            """;

        [Fact]
        public void StubsMakeRealSyscallsUnderQemu()
        {
            TableModel real = Tables.Bind(Tables.Real);
            TableModel two = Tables.Bind(Tables.Test("two-architectures.json"));
            Assert.Null(two.Syscalls.Single(s => s.Name == "epoll_wait").NumberOn(Architecture.Aarch64));

            string gcc = ExternalTools.Require(ExternalTools.Aarch64Gcc);
            ExternalTools.Require(ExternalTools.QemuAarch64);

            string directory = Path.Combine(Path.GetTempPath(), "embedkv-aarch64-stubs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string source = Path.Combine(directory, "stubs.c");
                string binary = Path.Combine(directory, "stubs");
                File.WriteAllText(source, Source(real, two));

                (int compiled, _, string compileErrors) = ExternalTools.Run(
                    ExternalTools.Aarch64Gcc, ToolTimeout, "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o", binary, source);
                Assert.True(compiled == 0, gcc + " failed on " + source + ":\n" + compileErrors);

                (int exitCode, string output, string errors) = ExternalTools.Run(ExternalTools.QemuAarch64, ToolTimeout, binary);
                Assert.True(exitCode == 0, "the arm64 program failed under qemu (exit " + exitCode + "):\n" + output + errors);
                Dictionary<string, long> printed = Parse(output);
                long Seen(string key)
                {
                    Assert.True(printed.ContainsKey(key), "the arm64 program printed no " + key + ":\n" + output + errors);
                    return printed[key];
                }

                Assert.True(Seen("getpid.stub") > 0, output);
                Assert.Equal(Seen("getpid.libc"), Seen("getpid.stub"));

                Assert.Equal(0, Seen("pipe.pipe2"));
                Assert.Equal("through an aarch64 stub".Length, Seen("pipe.write"));
                Assert.Equal(Seen("pipe.write"), Seen("pipe.read"));
                Assert.Equal(1, Seen("pipe.same"));

                Assert.Equal(0, Seen("mmap.result"));
                Assert.Equal(1, Seen("mmap.placed"));
                Assert.Equal(1, Seen("mmap.content"));
                Assert.Equal("written through the map".Length, Seen("mmap.pread"));
                Assert.Equal(1, Seen("mmap.readback"));

                Assert.Equal(1, Seen("epoll.create"));
                Assert.Equal(1, Seen("epoll.eventfd"));
                Assert.Equal(0, Seen("epoll.ctl_eventfd"));
                Assert.Equal(0, Seen("epoll.ctl_pipe"));
                Assert.Equal(8, Seen("epoll.write_eventfd"));
                Assert.Equal(1, Seen("epoll.write_pipe"));
                Assert.Equal(2, Seen("epoll.ready"));
                Assert.Equal(1, Seen("epoll.found_eventfd"));
                Assert.Equal(1, Seen("epoll.found_pipe"));
                Assert.Equal(-22, Seen("epoll.bad_sigsetsize")); // EINVAL: the sixth argument arrives and is checked

                Assert.Equal(38, Seen("two.enosys"));
                Assert.Equal(-38, Seen("two.missing"));
                Assert.Equal(1, Seen("two.openat"));

                Assert.Equal(0, Seen("close.all"));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>The C program: headers, both pages, every slot's offset, the epoll_event layout, then <see cref="Program"/>.</summary>
        private static string Source(TableModel real, TableModel two)
        {
            var c = new StringBuilder();
            c.Append("/* Generated by Aarch64StubExecutionTests from syscalls.json and Tables/two-architectures.json. */\n");
            foreach (string header in new[] { "errno.h", "fcntl.h", "signal.h", "stddef.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "sys/epoll.h", "sys/eventfd.h", "sys/mman.h", "sys/syscall.h", "unistd.h" })
            {
                c.Append("#include <").Append(header).Append(">\n");
            }

            AppendPage(c, "sys", "SLOT_", real);
            AppendPage(c, "two", "TWO_", two);

            (int size, int data) = Layout(real.Structs.Single(s => s.Name == "EpollEvent").On(Architecture.Aarch64), "Data");
            c.Append("#define EVENT_SIZE ").Append(size).Append('\n');
            c.Append("#define EVENT_DATA ").Append(data).Append('\n');
            return c.Append(Program).ToString();
        }

        private static void AppendPage(StringBuilder c, string name, string prefix, TableModel table)
        {
            // SLOT_getpid is where getpid's stub starts (SYS_getpid is <sys/syscall.h>'s number, for libc's syscall()).
            byte[] page = StubImage.Bytes(table, Architecture.Aarch64);
            c.Append("\nstatic const unsigned char ").Append(name).Append("_page[] = {");
            for (int i = 0; i < page.Length; i++)
            {
                c.Append(i % 16 == 0 ? "\n    " : " ").Append("0x").Append(page[i].ToString("x2", CultureInfo.InvariantCulture)).Append(',');
            }

            c.Append("\n};\n");
            for (int i = 0; i < table.Syscalls.Count; i++)
            {
                c.Append("#define ").Append(prefix).Append(table.Syscalls[i].Name).Append(" 0x")
                    .Append(StubImage.Offset(i).ToString("x3", CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        /// <summary>
        /// A struct layout's size and one field's offset, laid out as the generator lays it out (sequential,
        /// each field aligned to its size capped by the packing, 0 meaning natural).
        /// </summary>
        private static (int Size, int Offset) Layout(StructLayoutModel layout, string field)
        {
            int offset = 0, largest = 1, found = -1;
            foreach (FieldModel f in layout.Fields)
            {
                int size = f.Type switch
                {
                    "byte" or "sbyte" => 1,
                    "short" or "ushort" => 2,
                    "int" or "uint" => 4,
                    "long" or "ulong" or "nint" or "nuint" => 8,
                    _ => throw new InvalidOperationException("no size for " + f.Type),
                };
                int align = layout.Pack == 0 ? size : Math.Min(size, layout.Pack);
                largest = Math.Max(largest, align);
                offset = (offset + align - 1) / align * align;
                if (f.Name == field)
                {
                    found = offset;
                }

                offset += size * Math.Max(1, f.ArrayLength);
            }

            Assert.True(found >= 0, "no field " + field);
            return ((offset + largest - 1) / largest * largest, found);
        }

        /// <summary>"getpid stub=5 libc=5" becomes getpid.stub = 5 and getpid.libc = 5.</summary>
        private static Dictionary<string, long> Parse(string output)
        {
            var seen = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                foreach (string pair in words.Skip(1))
                {
                    string[] parts = pair.Split('=');
                    seen[words[0] + "." + parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
                }
            }

            return seen;
        }
    }
}
