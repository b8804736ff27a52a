using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using EmbedKv.Server.Storage;

namespace EmbedKv.Host
{
    /// <summary>
    /// <c>embedkv check [--data DIR] [--repair]</c>: one line per finding, then a summary line, on stdout.
    /// The data directory comes from the same settings as the server's, so a bare <c>embedkv check</c>
    /// checks the directory the server would open.
    /// </summary>
    internal static class CheckCommand
    {
        public const string Name = "check";

        /// <summary>Exit codes: a script must tell "damaged" from "could not look".</summary>
        public const int Clean = 0;
        public const int Damaged = 1;
        public const int BadArguments = 2;
        public const int CannotCheck = 3;

        private const string RepairSwitch = "--repair";

        public static int Run(string[] args)
        {
            bool repair = args.Contains(RepairSwitch);
            string directory;
            try
            {
                (KvServerOptions options, EtcdStoreOptions? etcd, _, IReadOnlyList<string> ignored) = HostConfiguration.Read(args.Where(a => a != RepairSwitch).ToArray());
                if (etcd is not null)
                {
                    Console.Error.WriteLine("embedkv check: " + HostConfiguration.NoDataDirectory);
                    return BadArguments;
                }

                directory = options.DataDirectory;
                foreach (string variable in ignored)
                {
                    Console.Error.WriteLine("embedkv check: " + HostConfiguration.IgnoredVariableWarning.Replace("{Variable}", variable, StringComparison.Ordinal));
                }
            }
            catch (Exception e) when (e is InvalidSettingException or FormatException or InvalidDataException)
            {
                Console.Error.WriteLine("embedkv check: " + e.Message);
                return BadArguments;
            }

            string shown = Path.GetFullPath(directory);
            try
            {
                if (!repair)
                {
                    CheckReport report = StoreCheck.Check(directory);
                    Console.Out.WriteLine("checking " + shown);
                    Print(report);
                    return report.IsDamaged ? Damaged : Clean;
                }

                RepairReport repaired = StoreCheck.Repair(directory);
                Console.Out.WriteLine("repairing " + shown);
                Print(repaired.Before);
                foreach (string action in repaired.Actions)
                {
                    Console.Out.WriteLine("repair: " + action);
                }

                if (repaired.Actions.Count > 0)
                {
                    Console.Out.WriteLine("after repair:");
                    Print(repaired.After);
                }

                return repaired.After.IsDamaged ? Damaged : Clean;
            }
            catch (IOException e)
            {
                // Locked by a running server (StorageLockedException), no such directory (openat: ENOENT),
                // a file that cannot be read or written: nothing was judged, so neither 0 nor 1.
                string why = e is StorageLockedException ? e.Message + "; stop the server first" : e.Message;
                Console.Error.WriteLine("embedkv check: cannot " + (repair ? "repair " : "check ") + shown + ": " + why);
                return CannotCheck;
            }
        }

        private static void Print(CheckReport report)
        {
            foreach (CheckFinding finding in report.Findings)
            {
                Console.Out.WriteLine(finding.ToString());
            }

            Console.Out.WriteLine(report.Summary);
        }
    }
}
