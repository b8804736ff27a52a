using System.Linq;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Tests.Diagnostics
{
    /// <summary>
    /// A remote backend's failures: every one counted, each kind logged at most once per 5 s with how many went
    /// unlogged, and the first answer a quiet period after the last failure logged once. The clock is the test's,
    /// so nothing sleeps.
    /// </summary>
    public sealed class BackendHealthTests
    {
        private const long Quiet = BackendHealth.QuietMilliseconds;

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

            health.Unavailable("DeadlineExceeded", 1000 + Quiet);
            health.Answered(1000 + Quiet + 1); // failures too recent to call the outage over
            health.Answered(1000 + Quiet + Quiet);
            health.Answered(1000 + Quiet + Quiet + 1);

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
        public void A_backend_failing_every_other_request_is_one_line_per_quiet_period_not_two_per_failure()
        {
            var health = new BackendHealth(_log, "b");
            for (long now = 0; now < 100; now += 2)
            {
                health.Unavailable("flapping", now);
                health.Answered(now + 1);
            }

            Assert.Equal(50, health.UnavailableCount);
            Assert.Equal(140, Assert.Single(_log.Entries).EventId.Id);
        }

        [Fact]
        public void The_next_outage_is_logged_again_and_refusals_are_errors_of_their_own()
        {
            var health = new BackendHealth(_log, "b");
            health.Unavailable("first", 0);
            health.Answered(Quiet);
            health.Unavailable("second", Quiet + 10);
            health.Refused("value over the limit", Quiet + 20);
            health.Refused("value over the limit", Quiet + 30);

            Assert.Equal(2, health.UnavailableCount);
            Assert.Equal(2, health.RefusedCount);
            Assert.Equal(new[] { 140, 142, 140, 141 }, _log.Entries.Select(e => e.EventId.Id));
            Assert.Equal(LogLevel.Error, _log.Entries[3].Level);
        }
    }
}
