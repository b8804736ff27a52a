using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>One message as the server logged it.</summary>
    internal sealed record LoggedEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

    /// <summary>An <see cref="ILogger"/> that keeps every entry with its event id, for tests that assert what was logged and how often.</summary>
    internal sealed class RecordingLogger : ILogger
    {
        private readonly List<LoggedEntry> _entries = new List<LoggedEntry>();

        public IReadOnlyList<LoggedEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return _entries.ToArray();
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add(new LoggedEntry(logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
