using System;
using System.Buffers;
using System.Buffers.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The "Date: …\r\n" header line (RFC 9110 §6.6.1), formatted once per second per event loop rather
    /// than per response: the IMF-fixdate changes only once a second anyway.
    /// </summary>
    internal sealed class HttpDate
    {
        // "Date: " + "Sun, 06 Nov 1994 08:49:37 GMT" + CRLF
        public const int LineLength = 6 + 29 + 2;

        private readonly byte[] _line = new byte[LineLength];
        private long _second = -1;

        /// <summary>The current header line (refreshed if the second has changed).</summary>
        public ReadOnlySpan<byte> Line
        {
            get
            {
                DateTime now = DateTime.UtcNow;
                long second = now.Ticks / TimeSpan.TicksPerSecond;
                if (second != _second)
                {
                    _second = second;
                    "Date: "u8.CopyTo(_line);
                    Utf8Formatter.TryFormat(now, _line.AsSpan(6), out _, new StandardFormat('R'));
                    _line[LineLength - 2] = (byte)'\r';
                    _line[LineLength - 1] = (byte)'\n';
                }

                return _line;
            }
        }
    }
}
