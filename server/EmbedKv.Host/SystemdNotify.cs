// systemd's readiness protocol (sd_notify(3)) without libsystemd: under Type=notify, systemd passes a
// datagram socket in $NOTIFY_SOCKET and counts the service started only once READY=1 arrives there, so
// units ordered after it start when EmbedKv answers, not when its process exists.
using System;
using System.Text;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Net;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Host
{
    /// <summary>
    /// Tells systemd the host is ready and when it begins to stop, through the socket $NOTIFY_SOCKET names
    /// (a path, or '@' and an abstract name). Without the variable it does nothing. A failed send is a
    /// warning: the server serves either way, and systemd reports a missing READY=1 itself (a start timeout).
    /// </summary>
    internal sealed class SystemdNotify
    {
        /// <summary>The variable systemd sets for a Type=notify service.</summary>
        public const string SocketVariable = "NOTIFY_SOCKET";

        /// <summary>The warning (a log message template) for a notification that could not be sent.</summary>
        public const string SendFailedWarning = "Could not notify systemd ({Message}) through " + SocketVariable + "={Address}: {Error}";

        private readonly string? _address;
        private readonly ILogger _log;

        private SystemdNotify(string? address, ILogger log)
        {
            _address = address;
            _log = log;
        }

        /// <summary>From $NOTIFY_SOCKET; unset or empty means not run by systemd as Type=notify.</summary>
        /// <param name="log">Where a failed send is reported.</param>
        /// <returns>The notifier.</returns>
        public static SystemdNotify FromEnvironment(ILogger log)
        {
            string? address = Environment.GetEnvironmentVariable(SocketVariable);
            return new SystemdNotify(string.IsNullOrEmpty(address) ? null : address, log);
        }

        /// <summary>READY=1, once the server is listening.</summary>
        /// <param name="status">A line for `systemctl status`.</param>
        public void Ready(string status) => Send("READY=1\nSTATUS=" + status);

        /// <summary>STOPPING=1, when a stop begins: systemd shows the unit as deactivating rather than failed-to-respond.</summary>
        public void Stopping() => Send("STOPPING=1\nSTATUS=Stopping");

        private void Send(string message)
        {
            if (_address is null)
            {
                return;
            }

            string first = message.Substring(0, message.IndexOf('\n', StringComparison.Ordinal));
            if (!_address.StartsWith('/') && !_address.StartsWith('@'))
            {
                // systemd writes an absolute path or an abstract name; anything else (a vsock: address,
                // a relative path) is not for us to guess at, as sd_notify refuses it too.
                _log.LogWarning(SendFailedWarning, first, _address, "not an absolute path or an @abstract name");
                return;
            }

            try
            {
                UnixDatagram.Send(_address, Encoding.UTF8.GetBytes(message));
            }
            catch (Exception e) when (e is SyscallException or ArgumentException)
            {
                _log.LogWarning(SendFailedWarning, first, _address, e.Message);
            }
        }
    }
}
