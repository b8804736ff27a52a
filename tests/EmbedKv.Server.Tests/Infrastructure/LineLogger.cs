using System;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>
    /// An <see cref="ILogger"/> that hands each formatted message, prefixed with its level, to an action:
    /// test output, a list to assert on, or stderr in a child process. Hand-written because the
    /// library's console logger writes on a background queue, and tests need the line before they assert.
    /// </summary>
    internal sealed class LineLogger : ILogger
    {
        private readonly Action<string> _write;

        public LineLogger(Action<string> write) => _write = write;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string line = logLevel + ": " + formatter(state, exception);
            _write(exception is null ? line : line + ": " + exception.Message);
        }
    }
}
