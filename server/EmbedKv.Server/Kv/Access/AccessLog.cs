using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Kv.Access
{
    /// <summary>The access checks' messages (130), beside the code that logs them (see Diagnostics/ServerLog for the scheme).</summary>
    internal static partial class AccessLog
    {
        [LoggerMessage(EventId = 130, Level = LogLevel.Warning,
            Message = "Refused a request from {Client}: {Reason} ({Status}); {Suppressed} more refusals from this address since its last message")]
        public static partial void Refused(ILogger logger, string client, string reason, int status, long suppressed);
    }
}
