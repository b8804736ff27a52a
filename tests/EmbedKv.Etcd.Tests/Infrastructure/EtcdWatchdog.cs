using System;
using System.Diagnostics;

namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// Kills a cluster's members if the test process dies without disposing it (killed by a hang timeout, say): left
    /// alone they would run on, holding their ports, for as long as the machine does. .NET offers no parent-death
    /// signal for a child, and prctl's would follow the thread that started it, not the process, so a small shell
    /// waits on a pipe only the test process writes to: the kernel closes it when that process goes, however it goes.
    /// It then kills every process whose arguments carry the cluster's token, which no other process's can.
    /// </summary>
    internal sealed class EtcdWatchdog : IDisposable
    {
        // The token reaches the script as $1, so the script's own command line holds the flag's name and the token
        // apart and never matches itself.
        private const string Script =
            "exec >/dev/null 2>&1\n"
            + "cat\n"
            + "for p in /proc/[0-9]*; do\n"
            + "  case \"$(tr '\\0' ' ' <\"$p/cmdline\")\" in\n"
            + "    *\"--initial-cluster-token=$1\"*) kill -9 \"${p#/proc/}\" ;;\n"
            + "  esac\n"
            + "done\n";

        private readonly Process _shell;

        public EtcdWatchdog(string token)
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add("sh");
            start.ArgumentList.Add(token);
            _shell = Process.Start(start)!;
        }

        /// <summary>Closes the pipe, so the watchdog kills whatever of the cluster still runs, and waits for it.</summary>
        public void Dispose()
        {
            _shell.StandardInput.Close();
            if (!_shell.WaitForExit(10_000))
            {
                _shell.Kill();
                _shell.WaitForExit();
            }

            _shell.Dispose();
        }
    }
}
