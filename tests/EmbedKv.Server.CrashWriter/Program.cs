using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Server.CrashWriter
{
    /// <summary>
    /// The child process of ProcessCrashTests: it works on a store until it is killed with SIGKILL.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <c>write &lt;dir&gt; &lt;seed&gt;</c>: opens the store (Durability.Always, 256 KiB segments, automatic
    /// compaction with a small minimum so merges happen too), prints <c>ready</c>, then runs
    /// <see cref="Writers"/> threads that put and delete forever. Each thread owns its keys
    /// (<c>w&lt;thread&gt;/k&lt;n&gt;</c>) and has one write in flight at a time: it prints
    /// <c>try &lt;thread&gt; &lt;key&gt; &lt;state&gt;</c> before the write and
    /// <c>ack &lt;thread&gt; &lt;key&gt; &lt;state&gt;</c> only after Put or Delete returned, where the
    /// state is a version (<c>&lt;seed&gt;.&lt;n&gt;</c>, whose bytes <see cref="CrashData.ValueOf"/>
    /// derives) or <c>deleted</c>. Every line is one write(2) to stdout, so the test reads whole lines up to
    /// the moment of the kill.
    /// </para>
    /// <para>
    /// <c>compact &lt;dir&gt; &lt;step&gt;</c>: opens an existing store that holds dead data, sets
    /// a <see cref="StoreSchedule"/> point to SIGKILL this very process at the named step of the merge
    /// ("outputs-synced", "committed", "renamed", "switched"), and merges. Reaching the end is a failure
    /// (exit code 0 with "compacted" printed): the step was never reached.
    /// </para>
    /// <para>Exit codes other than death by SIGKILL: 1 an error (on stderr), 2 bad arguments, 3 nobody killed it in time, 4 nothing to merge.</para>
    /// </remarks>
    internal static class Program
    {
        /// <summary>Writer threads in write mode.</summary>
        public const int Writers = 4;

        /// <summary>Keys each writer thread owns.</summary>
        public const int KeysPerWriter = 16;

        private static readonly object OutputLock = new object();
        private static Stream s_output = Stream.Null;

        private static int Main(string[] args)
        {
            s_output = Console.OpenStandardOutput();
            try
            {
                if (args.Length == 3 && args[0] == "write")
                {
                    return Write(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
                }

                if (args.Length == 3 && args[0] == "compact")
                {
                    return Compact(args[1], args[2]);
                }

                Console.Error.WriteLine("usage: EmbedKv.Server.CrashWriter write <dir> <seed> | compact <dir> <step>");
                return 2;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(e);
                return 1;
            }
        }

        private static int Write(string directory, int seed)
        {
            var options = new StoreOptions
            {
                DataDirectory = directory,
                Durability = Durability.Always,
                SegmentSize = 256 * 1024,
                CompactionMinimumDeadBytes = 1 << 20,
                Logger = new LineLogger(message => Console.Error.WriteLine(message)),
            };

            // Never disposed: the test kills this process while it writes.
            KvStore store = KvStore.Open(options);
            Print("ready keys=" + store.Count + " torn=" + store.Recovery.TornBytesDropped);
            for (int writer = 0; writer < Writers; writer++)
            {
                int id = writer;
                new Thread(() => RunWriter(store, id, seed)) { IsBackground = true, Name = "writer " + id }.Start();
            }

            // A safety net: a test that died without killing us must not leave us writing forever.
            Thread.Sleep(TimeSpan.FromSeconds(60));
            Console.Error.WriteLine("nobody killed the writer within 60 s");
            return 3;
        }

        private static void RunWriter(KvStore store, int writer, int seed)
        {
            try
            {
                var random = new Random((seed * 31) + writer);
                for (long n = 1; ; n++)
                {
                    string key = "w" + writer.ToString(CultureInfo.InvariantCulture) + "/k" + random.Next(KeysPerWriter).ToString(CultureInfo.InvariantCulture);
                    bool delete = random.Next(5) == 0;
                    string state = delete ? "deleted" : seed.ToString(CultureInfo.InvariantCulture) + "." + n.ToString(CultureInfo.InvariantCulture);
                    byte[] keyBytes = Encoding.UTF8.GetBytes(key);
                    string line = " " + writer.ToString(CultureInfo.InvariantCulture) + " " + key + " " + state;
                    Print("try" + line);
                    if (delete)
                    {
                        store.Delete(keyBytes);
                    }
                    else
                    {
                        store.Put(keyBytes, CrashData.ValueOf(key, state));
                    }

                    // Only now: the store has acknowledged the write (it is synced, Durability.Always).
                    Print("ack" + line);
                }
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("writer " + writer + " failed: " + e);
                Environment.Exit(1);
            }
        }

        private static int Compact(string directory, string step)
        {
            var options = new StoreOptions
            {
                DataDirectory = directory,
                Durability = Durability.Always,
                SegmentSize = 64 * 1024,
                AutomaticCompaction = false,
                Logger = new LineLogger(message => Console.Error.WriteLine(message)),
                Schedule = new KillAtMergeStep(step),
            };

            KvStore store = KvStore.Open(options);
            if (store.DeadBytes == 0)
            {
                Console.Error.WriteLine("the store holds no dead data: nothing to merge");
                return 4;
            }

            Print("compacting dead=" + store.DeadBytes.ToString(CultureInfo.InvariantCulture));
            int merged = store.Compact();
            Print("compacted " + merged.ToString(CultureInfo.InvariantCulture));
            store.Dispose();
            return 0;
        }

        /// <summary>Writes one line with one write(2), so lines never interleave and a kill never splits one.</summary>
        private static void Print(string line)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
            lock (OutputLock)
            {
                s_output.Write(bytes, 0, bytes.Length);
                s_output.Flush();
            }
        }

        /// <summary>Prints each merge step and SIGKILLs this very process at the chosen one.</summary>
        private sealed class KillAtMergeStep : StoreSchedule
        {
            private readonly string _step;

            public KillAtMergeStep(string step) => _step = step;

            public override void Point(string name)
            {
                if (!name.StartsWith("merge.", StringComparison.Ordinal))
                {
                    return;
                }

                name = name.Substring("merge.".Length);
                Print("step " + name);
                if (name == _step)
                {
                    // A real crash: no exception, no finally blocks, no flushing.
                    Sys.Kill((int)Sys.Getpid(), Sys.SIGKILL);
                    Thread.Sleep(Timeout.Infinite);
                }
            }
        }
    }
}
