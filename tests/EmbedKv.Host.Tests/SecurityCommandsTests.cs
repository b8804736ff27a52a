using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// The host's security switches and commands, run as a user would: a non-loopback --bind without tokens
    /// refused in one line (and the AllowAnonymous opt-out), tokens from EMBEDKV_TOKENS__*, hash-token from
    /// stdin, and the offline checkpoint command.
    /// </summary>
    public sealed class SecurityCommandsTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ANonLoopbackBindWithoutTokensRefusesToStartInOneLine()
        {
            // The refusal comes from validating the settings, before any socket is opened.
            using HostProcess host = HostProcess.Run(_dir.Path, new[] { "--bind", "0.0.0.0", "--port", "0", "--data", "d" });
            Assert.Equal(2, host.WaitForExit());
            Assert.Equal(
                "embedkv: invalid setting: BindAddress 0.0.0.0 is not a loopback address and no tokens are configured: anyone who can reach it could read and write every key. Configure Tokens, or set AllowAnonymous to serve without them.",
                Assert.Single(host.Stderr));
            Assert.False(Directory.Exists(Path.Combine(_dir.Path, "d")), "the refusal came after the store was opened");
        }

        [Fact]
        public void TheOptOutAndTokensFromTheEnvironmentAreAccepted()
        {
            // Validation only (no bind on any address but loopback in a test): check through the settings table.
            var settings = new Dictionary<string, string?>
            {
                ["BindAddress"] = "0.0.0.0",
                ["Tokens:ci:Hash"] = new string('a', 64),
                ["Tokens:ci:Scopes"] = "read, admin",
                ["Tokens:app:Hash"] = new string('b', 64),
                ["Tokens:app:Prefix"] = "app/",
            };
            var options = new EmbedKv.Server.KvServerOptions();
            EmbedKv.Server.Configuration.KvServerSettings.Apply(settings, options);
            EmbedKv.Server.Configuration.KvServerSettings.Validate(options);
            Assert.Equal(new[] { "ci", "app" }, options.Tokens.Select(t => t.Name));
            Assert.Equal(EmbedKv.Server.TokenScopes.Read | EmbedKv.Server.TokenScopes.Admin, options.Tokens[0].Scopes);
            Assert.Equal("app/", options.Tokens[1].KeyPrefix);

            var anonymous = new EmbedKv.Server.KvServerOptions();
            EmbedKv.Server.Configuration.KvServerSettings.Apply(new Dictionary<string, string?> { ["BindAddress"] = "::", ["AllowAnonymous"] = "true" }, anonymous);
            EmbedKv.Server.Configuration.KvServerSettings.Validate(anonymous);

            // The host reads them from EMBEDKV_TOKENS__<NAME>__HASH; a token that is not a hash is refused, naming it.
            using HostProcess host = HostProcess.Run(_dir.Path, new[] { "--port", "0" }, new Dictionary<string, string> { ["EMBEDKV_TOKENS__CI__HASH"] = "plain-token" });
            Assert.Equal(2, host.WaitForExit());
            Assert.Equal(
                "embedkv: invalid setting: Tokens:CI:Hash must be the token's SHA-256 as 64 hexadecimal digits (embedkv hash-token prints it), not the token itself.",
                Assert.Single(host.Stderr));
        }

        [Fact]
        public void TheHostServesOnAUnixSocketGivenByUnix()
        {
            string socket = Path.Combine(_dir.Path, "kv.sock");
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0", "--data", "d", "--unix", socket, "--workers", "1" });
            host.WaitForListening();
            host.WaitForLine(line => line == "EmbedKv also listening on unix:" + socket, "the Unix socket's line");
            using (var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                client.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
                client.Send(Encoding.ASCII.GetBytes("PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv"));
                byte[] answer = new byte[1024];
                Assert.StartsWith("HTTP/1.1 201 Created", Encoding.ASCII.GetString(answer, 0, client.Receive(answer)), StringComparison.Ordinal);
            }

            host.Signal("TERM");
            Assert.Equal(0, host.WaitForExit());
            Assert.False(Path.Exists(socket), "the socket file outlived the host");
        }

        [Fact]
        public void HashTokenPrintsTheSha256OfTheTokenOnStdin()
        {
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "hash-token" });
            host.Input("s3cret-Token_value~1=\n");
            Assert.Equal(0, host.WaitForExit());
            string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret-Token_value~1=")));
            Assert.Equal(expected, Assert.Single(host.Stdout));

            using HostProcess bad = HostProcess.Start(_dir.Path, new[] { "hash-token" });
            bad.Input("has a space\n");
            Assert.Equal(2, bad.WaitForExit());
            Assert.Empty(bad.Stdout);
        }

        [Fact]
        public void CheckpointCopiesAStoppedStoreAndRefusesALockedOne()
        {
            string data = Path.Combine(_dir.Path, "data");
            using (KvStore store = KvStore.Open(new StoreOptions { DataDirectory = data, SegmentSize = 4096 }))
            {
                for (int i = 0; i < 200; i++)
                {
                    store.Put(Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes("value " + i));
                }
            }

            string copy = Path.Combine(_dir.Path, "copy");
            using (HostProcess host = HostProcess.Run(_dir.Path, new[] { "checkpoint", "--data", data, "--to", copy }))
            {
                Assert.True(host.WaitForExit() == 0, host.Describe());
                Assert.StartsWith("checkpoint of " + data + " written to " + copy + ": 200 keys up to sequence 200, ", Assert.Single(host.Stdout), StringComparison.Ordinal);
            }

            using (KvStore opened = KvStore.Open(new StoreOptions { DataDirectory = copy }))
            {
                Assert.Equal(200, opened.Count);
                Assert.Equal("value 199", Encoding.UTF8.GetString(opened.Get(Encoding.UTF8.GetBytes("k199"))!));
            }

            using (KvStore running = KvStore.Open(new StoreOptions { DataDirectory = data }))
            using (HostProcess locked = HostProcess.Run(_dir.Path, new[] { "checkpoint", "--data", data, "--to", Path.Combine(_dir.Path, "second") }))
            {
                Assert.Equal(3, locked.WaitForExit());
                Assert.Contains("POST /_admin/checkpoint", Assert.Single(locked.Stderr), StringComparison.Ordinal);
            }

            using HostProcess noTarget = HostProcess.Run(_dir.Path, new[] { "checkpoint", "--data", data });
            Assert.Equal(2, noTarget.WaitForExit());
        }
    }
}
