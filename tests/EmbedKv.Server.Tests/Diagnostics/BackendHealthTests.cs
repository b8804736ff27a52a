using System.Linq;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Tests.Diagnostics
{
    /// <summary>
    /// A remote backend's failures: every one counted, each kind logged at most once per 5 s with how many went
    /// unlogged, and the first answer after an outage logged once. The clock is the test's, so nothing sleeps.
    /// </summary>
    public sealed class BackendHealthTests
    {
        private readonly RecordingLogger _log = new RecordingLogger();

        [Fact]
        public void An_outage_is_logged_once_per_quiet_period_with_what_was_left_out_and_its_end_once()
        {
            var health = new BackendHealth(_log, "etcd at http://127.0.0.1:1");
            health.Answered(); // a healthy backend: nothing to say
            for (long now = 1000; now < 1000 + 100; now++)
            {
                health.Unavailable("DeadlineExceeded", now);
            }

            health.Unavailable("DeadlineExceeded", 1000 + BackendHealth.QuietMilliseconds);
            health.Answered();
            health.Answered();

            Assert.Equal(101, health.UnavailableCount);
            Assert.Equal(
                new[]
                {
                    (LogLevel.Warning, 140, "The store behind this server (etcd at http://127.0.0.1:1) did not answer: DeadlineExceeded; answered 503, and 0 more requests since the last message"),
                    (LogLevel.Warning, 140, "The store behind this server (etcd at http://127.0.0.1:1) did not answer: DeadlineExceeded; answered 503, and 99 more requests since the last message"),
                    (LogLevel.Warning, 142, "The store behind this server (etcd at http://127.0.0.1:1) answers again, after 101 requests it did not answer"),
                },
                _log.Entries.Select(e => (e.Level, e.EventId.Id, e.Message)));
        }

        [Fact]
        public void The_next_outage_is_logged_at_once_and_refusals_are_errors_of_their_own()
        {
            var health = new BackendHealth(_log, "b");
            health.Unavailable("first", 0);
            health.Answered();
            health.Unavailable("second", 10); // within 5 s of the first, but a new outage
            health.Refused("value over the limit", 20);
            health.Refused("value over the limit", 30);

            Assert.Equal(2, health.UnavailableCount);
            Assert.Equal(2, health.RefusedCount);
            Assert.Equal(new[] { 140, 142, 140, 141 }, _log.Entries.Select(e => e.EventId.Id));
            Assert.Equal(LogLevel.Error, _log.Entries[3].Level);
        }
    }
}
