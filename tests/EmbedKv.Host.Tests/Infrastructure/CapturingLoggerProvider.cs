using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>One log call as the provider's logger received it, structured state included.</summary>
    internal sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, object?>> State);

    /// <summary>An <see cref="ILoggerProvider"/> that keeps every entry, for a test to assert on.</summary>
    internal sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<CapturedLog> _entries = new List<CapturedLog>();

        public IReadOnlyList<CapturedLog> Entries
        {
            get
            {
                lock (_entries)
                {
                    return _entries.ToArray();
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger : ILogger
        {
            private readonly CapturingLoggerProvider _provider;
            private readonly string _category;

            public Logger(CapturingLoggerProvider provider, string category)
            {
                _provider = provider;
                _category = category;
            }

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                // Copy the structured state now: LoggerMessage's state is a struct meant to be read during the call.
                var fields = new List<KeyValuePair<string, object?>>();
                if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    fields.AddRange(pairs);
                }

                var entry = new CapturedLog(_category, logLevel, eventId, formatter(state, exception), fields);
                lock (_provider._entries)
                {
                    _provider._entries.Add(entry);
                }
            }
        }
    }
}
