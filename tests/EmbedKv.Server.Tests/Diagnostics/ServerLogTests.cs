using System;
using System.Collections.Generic;
using EmbedKv.Server.Diagnostics;
using EmbedKv.Server.Storage;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Tests.Diagnostics
{
    /// <summary>The server's log messages: formatted with their fields when a level is on, free when it is off.</summary>
    public sealed class ServerLogTests
    {
        [Fact]
        public void ADisabledLevelAllocatesNothing()
        {
            var logger = new LevelLogger(LogLevel.Error); // Warning and Information are off
            var failure = new InvalidOperationException("disk");
            StorageLog.DroppedTornTail(logger, "seg-00000001.log", 10, 20, "bad crc"); // JIT and first-call work
            ServerLog.Listening(logger, "127.0.0.1:1", 2, "data", 3, "always");
            StorageLog.ReleaseFailed(logger, "seg-00000001.log", failure);

            Assert.Equal(0, Http.Allocations.InSteadyState(() =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    StorageLog.DroppedTornTail(logger, "seg-00000001.log", i, 20, "bad crc");
                    ServerLog.Listening(logger, "127.0.0.1:1", 2, "data", i, "always");
                    StorageLog.ReleaseFailed(logger, "seg-00000001.log", failure);
                }
            }));
            Assert.Empty(logger.Messages);
        }

        [Fact]
        public void AnEnabledLevelGetsTheMessageItsFieldsAndItsEventId()
        {
            var logger = new LevelLogger(LogLevel.Trace);
            StorageLog.DroppedTornTail(logger, "seg-00000007.log", 123, 4096, "bad crc");
            (LogLevel level, EventId id, string text, IReadOnlyList<KeyValuePair<string, object?>> fields) = Assert.Single(logger.Messages);
            Assert.Equal(LogLevel.Warning, level);
            Assert.Equal(201, id.Id);
            Assert.Equal("seg-00000007.log: dropped a torn tail of 123 bytes at offset 4096 (bad crc)", text);
            Assert.Contains(new KeyValuePair<string, object?>("Bytes", 123L), fields);
            Assert.Contains(new KeyValuePair<string, object?>("File", "seg-00000007.log"), fields);
        }

        private sealed class LevelLogger : ILogger
        {
            private readonly LogLevel _minimum;

            public LevelLogger(LogLevel minimum) => _minimum = minimum;

            public List<(LogLevel, EventId, string, IReadOnlyList<KeyValuePair<string, object?>>)> Messages { get; } = new();

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimum;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? Array.Empty<KeyValuePair<string, object?>>();
                Messages.Add((logLevel, eventId, formatter(state, exception), fields));
            }
        }
    }
}
