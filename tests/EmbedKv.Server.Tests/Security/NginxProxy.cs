using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// A real nginx, run as the current user from a temporary prefix, terminating TLS on a free loopback port with
    /// the configuration of docs/security.md in front of <c>127.0.0.1:upstreamPort</c>. Disposing kills it and
    /// removes its files, whatever the test did.
    /// </summary>
    internal sealed class NginxProxy : IDisposable
    {
        private readonly TempDirectory _prefix;
        private readonly Process _nginx;

        private NginxProxy(TempDirectory prefix, Process nginx, int port, TestCertificates certificates)
        {
            _prefix = prefix;
            _nginx = nginx;
            Port = port;
            Certificates = certificates;
        }

        public int Port { get; }

        public Uri BaseAddress => new Uri("https://127.0.0.1:" + Port + "/");

        public TestCertificates Certificates { get; }

        public string ErrorLogPath => _prefix.File("error.log");

        public string ErrorLog => File.Exists(ErrorLogPath) ? File.ReadAllText(ErrorLogPath) : "";

        public static NginxProxy Start(int upstreamPort)
        {
            string nginx = ExternalTools.Nginx();
            var prefix = new TempDirectory();
            TestCertificates? certificates = null;
            try
            {
                certificates = TestCertificates.Create(prefix.Path);
                // The probe's port can be taken before nginx binds it: try another on EADDRINUSE.
                for (int attempt = 1; ; attempt++)
                {
                    int port = FreeLoopbackPort();
                    File.WriteAllText(prefix.File("nginx.conf"), MainConfiguration(prefix, ProxyRecipe.For(port, upstreamPort, certificates)));
                    Process process = Launch(nginx, prefix);
                    string? failure = WaitUntilListening(process, port, prefix);
                    if (failure is null)
                    {
                        return new NginxProxy(prefix, process, port, certificates);
                    }

                    Stop(process);
                    process.Dispose();
                    if (attempt == 3 || !failure.Contains("Address already in use", StringComparison.Ordinal))
                    {
                        Assert.Fail("nginx did not start: " + failure);
                    }
                }
            }
            catch
            {
                certificates?.Dispose();
                prefix.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Stop(_nginx);
            _nginx.Dispose();
            Certificates.Dispose();
            _prefix.Dispose();
        }

        /// <summary>
        /// The main configuration around the page's block. Everything nginx would write lives under the prefix,
        /// and <c>gzip on; gzip_types *</c> stands for a distribution's nginx.conf that compresses everything: the
        /// recipe's own <c>gzip off</c> must keep the ETag strong against it.
        /// </summary>
        private static string MainConfiguration(TempDirectory prefix, string recipe) =>
            "master_process off;\n" // one process: killing it leaves no worker behind holding the port
            + "events { worker_connections 256; }\n"
            + "http {\n"
            + "    access_log off;\n"
            + "    client_body_temp_path " + prefix.File("client_body_temp") + ";\n"
            + "    proxy_temp_path " + prefix.File("proxy_temp") + ";\n"
            + "    fastcgi_temp_path " + prefix.File("fastcgi_temp") + ";\n"
            + "    uwsgi_temp_path " + prefix.File("uwsgi_temp") + ";\n"
            + "    scgi_temp_path " + prefix.File("scgi_temp") + ";\n"
            + "    gzip on;\n"
            + "    gzip_types *;\n"
            + "    gzip_min_length 1;\n"
            + recipe
            + "}\n";

        private static Process Launch(string nginx, TempDirectory prefix)
        {
            var start = new ProcessStartInfo(nginx)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-p");
            start.ArgumentList.Add(prefix.Path + "/");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(prefix.File("nginx.conf"));
            // -e: the log nginx writes to before it has read the configuration (the built-in one is under /var/log).
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add(prefix.File("error.log"));
            // warn: nginx says at that level when it spools a body or an answer to a temporary file.
            start.ArgumentList.Add("-g");
            start.ArgumentList.Add("daemon off; pid " + prefix.File("nginx.pid") + "; error_log " + prefix.File("error.log") + " warn;");
            Process process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        /// <summary>Null once nginx accepts connections; otherwise why not, with its error log.</summary>
        private static string? WaitUntilListening(Process process, int port, TempDirectory prefix)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (process.HasExited)
                {
                    return "it exited with " + process.ExitCode + ":\n" + ReadLog(prefix);
                }

                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    probe.Connect(new IPEndPoint(IPAddress.Loopback, port));
                    return null;
                }
                catch (SocketException)
                {
                    Thread.Sleep(20);
                }
            }

            return "it did not listen on 127.0.0.1:" + port + " within 10 s:\n" + ReadLog(prefix);
        }

        private static string ReadLog(TempDirectory prefix) => File.Exists(prefix.File("error.log")) ? File.ReadAllText(prefix.File("error.log")) : "(no error log)";

        private static void Stop(Process process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // It had already gone.
            }
        }

        private static int FreeLoopbackPort()
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
    }
}
