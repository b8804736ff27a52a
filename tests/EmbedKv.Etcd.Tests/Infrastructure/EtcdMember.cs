using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// One member of an <see cref="EtcdCluster"/>: its fixed name, ports and directory, and the etcd process while it
    /// runs. The name, data directory and ports outlive the process, so a restarted member is the same member.
    /// </summary>
    internal sealed class EtcdMember : IDisposable
    {
        /// <summary>
        /// Elections in about half a second instead of etcd's one to two, so failover tests wait less. etcd wants the
        /// election timeout at least 5 heartbeats (it refuses to start otherwise); 10 is what its tuning guide advises.
        /// </summary>
        private const int HeartbeatMilliseconds = 50;
        private const int ElectionTimeoutMilliseconds = 500;

        private readonly string _directory;
        private Process? _process;
        private long _logLengthAtLaunch;

        public EtcdMember(string name, string directory, int clientPort, int peerPort)
        {
            Name = name;
            _directory = directory;
            ClientUrl = "http://127.0.0.1:" + clientPort;
            PeerUrl = "http://127.0.0.1:" + peerPort;
            Directory.CreateDirectory(directory);
        }

        public string Name { get; }

        public string ClientUrl { get; }

        public string PeerUrl { get; }

        /// <summary>etcd creates it itself on first start (with the 0700 it wants), beside the log.</summary>
        public string DataDirectory => Path.Combine(_directory, "data");

        /// <summary>etcd's stdout and stderr, every run appended: a restarted member's log follows its first run's.</summary>
        public string LogPath => Path.Combine(_directory, "etcd.log");

        public bool IsRunning => _process is { HasExited: false };

        /// <summary>Why the last launch is no longer running ("exited with code 1"), or null while it runs or before any launch.</summary>
        public string? ExitDescription => _process is { HasExited: true } process ? "exited with code " + process.ExitCode : null;

        /// <summary>
        /// Starts etcd for this member. <paramref name="existing"/>: it rejoins from its data directory, where etcd then
        /// takes the membership from (the initial-cluster flags are passed all the same, and ignored).
        /// </summary>
        public void Launch(string etcd, string initialCluster, string token, bool existing)
        {
            if (IsRunning)
            {
                throw new InvalidOperationException(Name + " is already running");
            }

            _process?.Dispose();
            _logLengthAtLaunch = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            // exec: the process held here, and killed, is etcd itself rather than a shell around it. The shell only
            // points etcd's output at the log, so no thread of the test process has to copy it there.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1");
            start.ArgumentList.Add("sh");
            start.ArgumentList.Add(LogPath);
            start.ArgumentList.Add(etcd);
            foreach (string argument in Arguments(initialCluster, token, existing))
            {
                start.ArgumentList.Add(argument);
            }

            // etcd reads ETCD_* variables as flags: one set on the machine (ETCD_DATA_DIR, say) must not reach the cluster.
            foreach (string variable in start.Environment.Keys.Where(key => key.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(variable);
            }

            _process = Process.Start(start)!;
        }

        /// <summary>SIGKILL, not a graceful stop: the member dies as in a crash. Returns once it is gone.</summary>
        public void Kill()
        {
            if (_process is null)
            {
                return;
            }

            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }

            _process.WaitForExit();
        }

        /// <summary>Kills the member if it runs.</summary>
        public void Dispose()
        {
            Kill();
            _process?.Dispose();
        }

        /// <summary>The last <paramref name="lines"/> lines of the log.</summary>
        public string LogTail(int lines)
        {
            string log = ReadLog(0);
            if (log.Length == 0)
            {
                return "(empty log)";
            }

            string[] all = log.TrimEnd('\n').Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }

        /// <summary>What the current (or last) launch has logged, for telling a lost port race from a real failure.</summary>
        public string LogOfLastLaunch() => ReadLog(_logLengthAtLaunch);

        private IEnumerable<string> Arguments(string initialCluster, string token, bool existing)
        {
            // One argument per flag (--flag=value): EtcdWatchdog finds the members by the token's exact argument.
            yield return "--name=" + Name;
            yield return "--data-dir=" + DataDirectory;
            yield return "--listen-client-urls=" + ClientUrl;
            yield return "--advertise-client-urls=" + ClientUrl;
            yield return "--listen-peer-urls=" + PeerUrl;
            yield return "--initial-advertise-peer-urls=" + PeerUrl;
            yield return "--initial-cluster=" + initialCluster;
            yield return "--initial-cluster-state=" + (existing ? "existing" : "new");
            // Unique per cluster: two clusters of tests running side by side can never take each other's members for their own.
            yield return "--initial-cluster-token=" + token;
            yield return "--heartbeat-interval=" + HeartbeatMilliseconds;
            yield return "--election-timeout=" + ElectionTimeoutMilliseconds;
            // A restarted member asks before it campaigns, so rejoining does not depose a leader the others still follow.
            yield return "--pre-vote=true";
            // 3.4's default logger (capnslog) is deprecated and says so at every start; zap writes one JSON object a line.
            yield return "--logger=zap";
            yield return "--log-outputs=stderr";
        }

        private string ReadLog(long from)
        {
            if (!File.Exists(LogPath))
            {
                return "";
            }

            // etcd may still be writing it.
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(from, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }
}
