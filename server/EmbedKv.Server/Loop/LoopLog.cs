using System;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// What the event loops log (110–120: descriptors, accepting, connection faults), as source-generated
    /// <see cref="LoggerMessage"/> methods: the level is checked before any argument is formatted, so a
    /// disabled level costs no allocation. Event ids are stable so log pipelines can filter on them.
    /// </summary>
    internal static partial class LoopLog
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Raised the open-descriptor limit (RLIMIT_NOFILE) from {Soft} to its hard limit, {Hard}")]
        public static partial void DescriptorLimitRaised(ILogger logger, ulong soft, ulong hard);

        [LoggerMessage(EventId = 111,
            Message = "Limits.MaxConnections lowered from {Configured} to {Effective}: the open-descriptor limit is {Limit}, {InUse} are open already, and each connection may need {PerConnection} (its socket and the file of a value it uploads); raise the limit (ulimit -n, systemd's LimitNOFILE=) to allow more")]
        public static partial void MaxConnectionsLowered(ILogger logger, LogLevel level, int configured, int effective, ulong limit, int inUse, int perConnection);

        [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Cannot accept connections ({Errno}): answering waiting clients 503 and trying again every {BackOffMilliseconds} ms until accepting works")]
        public static partial void AcceptPaused(ILogger logger, string errno, int backOffMilliseconds);

        [LoggerMessage(EventId = 113, Level = LogLevel.Information, Message = "Accepting connections again after {Milliseconds} ms; clients answered 503 meanwhile: {Refused}")]
        public static partial void AcceptResumed(ILogger logger, long milliseconds, long refused);

        [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "Could not read or raise the open-descriptor limit ({Reason}); Limits.MaxConnections is not checked against it")]
        public static partial void DescriptorLimitUnknown(ILogger logger, string reason);

        [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "A fault while serving a connection closed it ({Answer}); the loop and its other connections go on")]
        public static partial void ConnectionFaulted(ILogger logger, string answer, Exception exception);
    }
}
