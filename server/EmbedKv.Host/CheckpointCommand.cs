using System;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using EmbedKv.Server.Storage;

namespace EmbedKv.Host
{
    /// <summary>
    /// <c>embedkv checkpoint [--data DIR] --to PATH</c>: a consistent, openable copy of a stopped store, the
    /// offline twin of <c>POST /_admin/checkpoint</c>. It opens the store as the server would (taking its
    /// lock, so a running server's directory is refused, and recovering it: a torn tail is dropped as at
    /// any start), then writes the checkpoint: hard links where PATH is on the same filesystem, copies
    /// elsewhere. Exit codes: 0 written, 2 bad arguments, 3 cannot (locked, no such directory, target in use).
    /// </summary>
    internal static class CheckpointCommand
    {
        public const string Name = "checkpoint";

        private const string TargetSwitch = "--to";

        public static int Run(string[] args)
        {
            var rest = new List<string>();
            string? target = null;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == TargetSwitch && i + 1 < args.Length)
                {
                    target = args[++i];
                }
                else if (args[i].StartsWith(TargetSwitch + "=", StringComparison.Ordinal))
                {
                    target = args[i].Substring(TargetSwitch.Length + 1);
                }
                else
                {
                    rest.Add(args[i]);
                }
            }

            if (string.IsNullOrEmpty(target))
            {
                Console.Error.WriteLine("embedkv checkpoint: --to PATH is needed: the new or empty directory to write the copy into");
                return 2;
            }

            string directory;
            try
            {
                (KvServerOptions options, EtcdStoreOptions? etcd, _, _) = HostConfiguration.Read(rest.ToArray());
                if (etcd is not null)
                {
                    Console.Error.WriteLine("embedkv checkpoint: " + HostConfiguration.NoDataDirectory + "; etcdctl snapshot save takes a copy of the cluster");
                    return 2;
                }

                directory = options.DataDirectory;
            }
            catch (Exception e) when (e is InvalidSettingException or FormatException or InvalidDataException)
            {
                Console.Error.WriteLine("embedkv checkpoint: " + e.Message);
                return 2;
            }

            string shown = Path.GetFullPath(directory);
            if (!Directory.Exists(directory))
            {
                // Opening would create an empty store there: a copy of nothing is not what was asked for.
                Console.Error.WriteLine("embedkv checkpoint: no data directory at " + shown);
                return 3;
            }

            try
            {
                // No merges while copying: the store is opened to be read, not to be tidied.
                using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = directory, AutomaticCompaction = false });
                CheckpointReport report = store.Checkpoint(target);
                Console.Out.WriteLine("checkpoint of " + shown + " written to " + Path.GetFullPath(target) + ": " + store.Count + " keys up to sequence "
                    + report.Sequence + ", " + report.SegmentsLinked + " segments linked, " + report.SegmentsCopied + " copied (" + report.BytesCopied + " bytes), "
                    + (long)report.Elapsed.TotalMilliseconds + " ms");
                return 0;
            }
            catch (IOException e)
            {
                string why = e is StorageLockedException ? e.Message + "; a running server takes checkpoints with POST /_admin/checkpoint" : e.Message;
                Console.Error.WriteLine("embedkv checkpoint: cannot copy " + shown + ": " + why);
                return 3;
            }
        }
    }
}
