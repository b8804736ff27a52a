using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// A real etcd cluster (Debian's etcd-server) on free loopback ports, each member with a fresh data directory under
    /// /tmp. Members can be killed and restarted to test failover. Disposing kills every member and deletes their
    /// directories; if the test process dies first, <see cref="EtcdWatchdog"/> kills them.
    /// </summary>
    internal sealed class EtcdCluster : IDisposable
    {
        /// <summary>
        /// How long starting, restarting or an election may take before the fixture gives up: far more than any of them
        /// needs (well under a second each), for a machine busy with other tests.
        /// </summary>
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

        private const int StartAttempts = 5;
        private const int LogLines = 40;

        private readonly string _etcd;
        private readonly TempDirectory _root;
        private readonly string _token;
        private readonly EtcdWatchdog _watchdog;
        private readonly EtcdMember[] _members;
        private readonly string _initialCluster;
        private bool _disposed;

        private EtcdCluster(string etcd, int members)
        {
            int[] ports = FreeLoopbackPorts(2 * members);
            _etcd = etcd;
            _root = new TempDirectory();
            _token = "embedkv-test-" + Guid.NewGuid().ToString("N");
            _watchdog = new EtcdWatchdog(_token);
            _members = new EtcdMember[members];
            for (int i = 0; i < members; i++)
            {
                _members[i] = new EtcdMember("member" + i, _root.File("member" + i), ports[2 * i], ports[(2 * i) + 1]);
            }

            _initialCluster = string.Join(',', _members.Select(member => member.Name + "=" + member.PeerUrl));
            ClientUrls = _members.Select(member => member.ClientUrl).ToArray();
            Endpoints = string.Join(',', ClientUrls);
        }

        /// <summary>"http://127.0.0.1:PORT", one per member; the index is the member's number everywhere in this class.</summary>
        public IReadOnlyList<string> ClientUrls { get; }

        /// <summary><see cref="ClientUrls"/> joined by commas, as etcd clients take a cluster's endpoints.</summary>
        public string Endpoints { get; }

        /// <summary>
        /// Starts a cluster of <paramref name="members"/> and returns once every member is healthy and all agree on a
        /// leader. A missing etcd fails the test rather than skipping it: a skipped cluster test would look like a passing one.
        /// </summary>
        public static EtcdCluster Start(int members = 3)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
            string etcd = FindEtcd();
            for (int attempt = 1; ; attempt++)
            {
                var cluster = new EtcdCluster(etcd, members);
                string? failure;
                bool portTaken;
                try
                {
                    failure = cluster.LaunchAll();
                    portTaken = failure is not null && cluster._members.Any(PortTaken);
                }
                catch
                {
                    cluster.Dispose();
                    throw;
                }

                if (failure is null)
                {
                    return cluster;
                }

                cluster.Dispose();
                // A port is free when probed, but another process (a parallel test, an outgoing connection) can take it
                // before etcd binds it: then start over on new ports.
                if (!portTaken || attempt == StartAttempts)
                {
                    Assert.Fail("the etcd cluster did not start (attempt " + attempt + " of " + StartAttempts + "): " + failure);
                }
            }
        }

        /// <summary>
        /// The index of the member that every running member takes for the leader, once they agree and it is one of
        /// them; waits while an election runs (after <see cref="Kill"/> the others still name the dead leader until
        /// their election timeout).
        /// </summary>
        public int Leader()
        {
            var waited = Stopwatch.StartNew();
            while (true)
            {
                (int? leader, string statuses) = TryLeader();
                if (leader is int found)
                {
                    return found;
                }

                if (waited.Elapsed > Patience)
                {
                    Assert.Fail("the running etcd members did not agree on a leader among them within " + Patience.TotalSeconds + " s: "
                        + statuses + "\n" + LogTails());
                }

                Thread.Sleep(50);
            }
        }

        /// <summary>SIGKILLs the member, as a crash would, and returns once its process is gone. Nothing if it is not running.</summary>
        public void Kill(int member) => _members[member].Kill();

        /// <summary>
        /// Starts a killed member again with its name, data directory and ports, as a member of the existing cluster,
        /// and returns once it answers healthy (it has caught up with a leader).
        /// </summary>
        public void Restart(int member)
        {
            EtcdMember restarted = _members[member];
            if (restarted.IsRunning)
            {
                throw new InvalidOperationException(restarted.Name + " is running: kill it before restarting it");
            }

            for (int attempt = 1; ; attempt++)
            {
                restarted.Launch(_etcd, _initialCluster, _token, existing: true);
                string? failure = WaitUntilHealthy(new[] { restarted });
                if (failure is null)
                {
                    return;
                }

                restarted.Kill();
                // Its ports were free while it was down: something else may have taken one, perhaps only for a moment.
                if (!PortTaken(restarted) || attempt == StartAttempts)
                {
                    Assert.Fail(restarted.Name + " did not rejoin the etcd cluster (attempt " + attempt + " of " + StartAttempts + "): " + failure);
                }

                Thread.Sleep(500);
            }
        }

        public bool IsRunning(int member) => _members[member].IsRunning;

        /// <summary>The last lines of the member's etcd log (every run of it), for failure messages.</summary>
        public string LogTail(int member, int lines = LogLines) => _members[member].LogTail(lines);

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (EtcdMember member in _members)
            {
                member.Dispose();
            }

            _watchdog.Dispose();
            _root.Dispose();
        }

        /// <summary>Launches every member as a new cluster; null once all are healthy and agree on a leader, else why not.</summary>
        private string? LaunchAll()
        {
            foreach (EtcdMember member in _members)
            {
                member.Launch(_etcd, _initialCluster, _token, existing: false);
            }

            string? failure = WaitUntilHealthy(_members);
            if (failure is not null)
            {
                return failure;
            }

            // Healthy means each member sees a leader; agreeing on which one is what a test can build on.
            Leader();
            return null;
        }

        /// <summary>Null once every one of <paramref name="members"/> answers healthy; else why not, with the logs.</summary>
        private string? WaitUntilHealthy(IReadOnlyCollection<EtcdMember> members)
        {
            var waited = Stopwatch.StartNew();
            while (true)
            {
                EtcdMember? exited = members.FirstOrDefault(member => !member.IsRunning);
                if (exited is not null)
                {
                    return exited.Name + " " + exited.ExitDescription + "\n" + LogTails();
                }

                if (members.All(member => EtcdGateway.IsHealthy(member.ClientUrl)))
                {
                    return null;
                }

                if (waited.Elapsed > Patience)
                {
                    string unhealthy = string.Join(", ", members.Where(member => !EtcdGateway.IsHealthy(member.ClientUrl)).Select(member => member.Name));
                    return "not healthy within " + Patience.TotalSeconds + " s: " + unhealthy + "\n" + LogTails();
                }

                Thread.Sleep(50);
            }
        }

        /// <summary>The leader if every running member answers and all name the same one of them; else null, and what they said.</summary>
        private (int? Leader, string Statuses) TryLeader()
        {
            var said = new List<string>();
            var statuses = new Dictionary<int, EtcdGateway.Status>();
            for (int i = 0; i < _members.Length; i++)
            {
                if (!_members[i].IsRunning)
                {
                    said.Add(_members[i].Name + ": not running");
                    continue;
                }

                EtcdGateway.Status? status = EtcdGateway.TryStatus(_members[i].ClientUrl);
                said.Add(_members[i].Name + ": " + (status is { } answer ? Hex(answer.MemberId) + " follows " + Hex(answer.Leader) + " in term " + answer.RaftTerm : "no answer"));
                if (status is not null)
                {
                    statuses[i] = status.Value;
                }
            }

            string description = string.Join("; ", said);
            if (statuses.Count == 0 || statuses.Count < _members.Count(member => member.IsRunning))
            {
                return (null, description);
            }

            ulong leaderId = statuses.Values.First().Leader;
            if (leaderId == 0 || statuses.Values.Any(status => status.Leader != leaderId))
            {
                return (null, description);
            }

            foreach ((int member, EtcdGateway.Status status) in statuses)
            {
                if (status.MemberId == leaderId)
                {
                    return (member, description);
                }
            }

            return (null, description);
        }

        private string LogTails() =>
            string.Join("\n", _members.Select(member =>
                "--- " + member.Name + " (" + member.ClientUrl + ", " + (member.IsRunning ? "running" : member.ExitDescription ?? "not started")
                + "), the last " + LogLines + " lines of its log:\n" + member.LogTail(LogLines)));

        /// <summary>An id as etcd's log writes it.</summary>
        private static string Hex(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);

        private static bool PortTaken(EtcdMember member) =>
            member.LogOfLastLaunch().Contains("address already in use", StringComparison.Ordinal);

        /// <summary>Distinct free ports: each probe socket stays bound until all are chosen, so no two can be the same.</summary>
        private static int[] FreeLoopbackPorts(int count)
        {
            var probes = new List<Socket>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    probes.Add(probe);
                    probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                }

                return probes.Select(probe => ((IPEndPoint)probe.LocalEndPoint!).Port).ToArray();
            }
            finally
            {
                foreach (Socket probe in probes)
                {
                    probe.Dispose();
                }
            }
        }

        /// <summary>Debian's /usr/bin/etcd, else the first etcd on PATH.</summary>
        private static string FindEtcd()
        {
            string? found = File.Exists("/usr/bin/etcd")
                ? "/usr/bin/etcd"
                : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                    .Select(directory => Path.Combine(directory, "etcd"))
                    .FirstOrDefault(File.Exists);
            Assert.True(found is not null, "etcd is not installed: install etcd-server (sudo apt-get install etcd-server; .ci/run does)");
            return found!;
        }
    }
}
