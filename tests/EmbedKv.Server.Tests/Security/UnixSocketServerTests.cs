using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Runtime;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// The server on a Unix domain socket (UnixSocketPath; docs/security.md), alone or beside TCP, driven
    /// by curl's --unix-socket, HttpClient over the socket, and raw sockets: the same API, the mode set
    /// whatever the umask, a stale socket replaced, a live one refused, the file gone after the stop, and
    /// tokens required there too.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed class UnixSocketServerTests : IDisposable
    {
        private readonly TempDirectory _sockets = new TempDirectory();

        public void Dispose() => _sockets.Dispose();

        private string SocketPath => Path.Combine(_sockets.Path, "kv.sock");

        [Fact]
        public async Task ServesTheApiOnTheSocketBesideTcp()
        {
            using TestServer server = TestServer.Start(o => o.UnixSocketPath = SocketPath);
            Assert.Equal(SocketPath, server.Server.UnixSocketPath);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(SocketPath));

            (int exit, string output, string errors) = ExternalTools.RunCurl("--unix-socket", SocketPath, "-X", "PUT", "--data-binary", "over the socket", "http://localhost/greeting");
            Assert.True(exit == 0, errors);
            Assert.EndsWith("201", output, StringComparison.Ordinal);
            (exit, output, errors) = ExternalTools.RunCurl("--unix-socket", SocketPath, "-o", "-", "http://localhost/greeting");
            Assert.True(exit == 0, errors);
            Assert.Equal("over the socket200", output);

            // The same store over TCP, and HttpClient through the socket with keep-alive.
            using HttpClient tcp = server.Client();
            Assert.Equal("over the socket", await tcp.GetStringAsync("/greeting"));
            using HttpClient local = SocketClient(SocketPath);
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await local.PutAsync("/greeting", new StringContent("v" + i))).StatusCode);
            }

            Assert.Equal("v49", await local.GetStringAsync("/greeting"));
            Assert.Equal(HttpStatusCode.NoContent, (await local.DeleteAsync("/greeting")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await tcp.GetAsync("/greeting")).StatusCode);

            // Pipelined requests on a raw socket.
            using Socket raw = Connect(SocketPath);
            raw.Send(Encoding.ASCII.GetBytes("PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            string answers = ReadAll(raw);
            Assert.StartsWith("HTTP/1.1 201 Created\r\n", answers, StringComparison.Ordinal);
            Assert.Contains("HTTP/1.1 200 OK\r\n", answers, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\nhi", answers, StringComparison.Ordinal);
        }

        [Fact]
        public async Task AloneWithoutTcpAndRemovedOnStop()
        {
            TestServer server = TestServer.Start(o =>
            {
                o.Port = -1;
                o.UnixSocketPath = SocketPath;
                o.UnixSocketMode = Convert.ToInt32("600", 8);
            });
            try
            {
                Assert.Equal(-1, server.Port);
                Assert.Equal("unix:" + SocketPath, server.Server.Address);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
                using HttpClient local = SocketClient(SocketPath);
                Assert.Equal(HttpStatusCode.Created, (await local.PutAsync("/only", new StringContent("here"))).StatusCode);
                Assert.Equal("here", await local.GetStringAsync("/only"));
            }
            finally
            {
                server.Dispose();
            }

            Assert.False(Path.Exists(SocketPath), "the socket file outlived the server");
        }

        [Fact]
        public void AStaleSocketIsReplacedAndALiveOneRefused()
        {
            // What a crash leaves: a socket file nobody listens on (.NET's Socket would remove its file on
            // Dispose, so the runtime's listener is closed without removing it, as kill -9 leaves it).
            EmbedKv.Runtime.Net.UnixListeningSocket.Open(SocketPath).Descriptor.Dispose();

            Assert.True(Path.Exists(SocketPath));
            using TestServer first = TestServer.Start(o => o.UnixSocketPath = SocketPath);
            using (Socket client = Connect(SocketPath))
            {
                client.Send(Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
                Assert.StartsWith("HTTP/1.1 404 ", ReadAll(client), StringComparison.Ordinal);
            }

            // A second server on the same path is refused, naming the syscall and errno, and the first goes on.
            SyscallException refused = Assert.Throws<SyscallException>(() => TestServer.Start(o => o.UnixSocketPath = SocketPath).Dispose());
            Assert.StartsWith("bind unix:" + SocketPath, refused.Message, StringComparison.Ordinal);
            Assert.Contains("another server is listening there", refused.Message, StringComparison.Ordinal);
            Assert.Contains("EADDRINUSE", refused.Message, StringComparison.Ordinal);
            using Socket still = Connect(SocketPath);

            // A regular file at the path is never removed.
            string file = Path.Combine(_sockets.Path, "not-a-socket");
            File.WriteAllText(file, "keep me");
            Assert.Throws<SyscallException>(() => TestServer.Start(o => o.UnixSocketPath = file).Dispose());
            Assert.Equal("keep me", File.ReadAllText(file));
        }

        [Fact]
        public async Task TokensApplyOnTheSocketToo()
        {
            const string Token = "socket-token-0123456789";
            using TestServer server = TestServer.Start(o =>
            {
                o.UnixSocketPath = SocketPath;
                o.Tokens.Add(new AccessToken { Name = "local", Hash = AccessToken.HashOf(Token) });
            });
            (int exit, string output, string errors) = ExternalTools.RunCurl("--unix-socket", SocketPath, "http://localhost/k");
            Assert.True(exit == 0, errors);
            Assert.EndsWith("401", output, StringComparison.Ordinal);

            using HttpClient local = SocketClient(SocketPath);
            local.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            Assert.Equal(HttpStatusCode.Created, (await local.PutAsync("/k", new StringContent("v"))).StatusCode);
            (exit, output, errors) = ExternalTools.RunCurl("--unix-socket", SocketPath, "-o", "-", "-H", "Authorization: Bearer " + Token, "http://localhost/k");
            Assert.True(exit == 0, errors);
            Assert.Equal("v200", output);
        }

        [Fact]
        public void SettingsAreCheckedBeforeAnythingIsBound()
        {
            var noListener = new KvServerOptions { Port = -1 };
            Assert.Contains("needs a UnixSocketPath", Assert.Throws<ArgumentException>(noListener.Validate).Message, StringComparison.Ordinal);
            var tooLong = new KvServerOptions { UnixSocketPath = "/" + new string('s', 120) };
            Assert.StartsWith("UnixSocketPath: ", Assert.Throws<ArgumentException>(tooLong.Validate).Message, StringComparison.Ordinal);
            var badMode = new KvServerOptions { UnixSocketPath = SocketPath, UnixSocketMode = 0x1000 };
            Assert.Contains("UnixSocketMode", Assert.Throws<ArgumentException>(badMode.Validate).Message, StringComparison.Ordinal);
        }

        private static HttpClient SocketClient(string path)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancel) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = TimeSpan.FromSeconds(30) };
        }

        private static Socket Connect(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }

        private static string ReadAll(Socket socket)
        {
            var all = new MemoryStream();
            byte[] buffer = new byte[4096];
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                all.Write(buffer, 0, read);
            }

            return Encoding.ASCII.GetString(all.ToArray());
        }
    }
}
