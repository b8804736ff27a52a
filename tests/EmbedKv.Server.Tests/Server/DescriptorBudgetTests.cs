using System;
using System.Collections.Generic;
using EmbedKv.Runtime.Descriptors;
using EmbedKv.Server.Loop;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>The connection cap a server keeps to, against the process's descriptor limit.</summary>
    public sealed class DescriptorBudgetTests
    {
        [Theory]
        [InlineData(1024UL, 100, 2, 394)]   // (1024 − 100 − 2 × 4 − 128) / 2
        [InlineData(20_000UL, 150, 2, 9857)] // the defaults' 10,000 do not fit a limit of 20,000
        [InlineData(150UL, 112, 2, 1)]      // less than nothing left: one connection still
        [InlineData(1UL << 40, 100, 256, 1_073_741_197)] // a limit past int's range counts as int.MaxValue
        public void TheCapIsWhatIsLeftAtTwoDescriptorsEach(ulong limit, int open, int workers, int expected)
            => Assert.Equal(expected, DescriptorBudget.Allowed(limit, open, workers));

        [Fact]
        public void ACapTheLimitCannotHoldIsLoweredOnTheServerNotOnTheOptions()
        {
            var log = new List<string>();
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.MaxConnections = int.MaxValue;
                o.Logger = new LineLogger(line => { lock (log) { log.Add(line); } });
            });

            int cap = server.Server.MaxConnections;
            Assert.InRange(cap, 1, (int)(DescriptorLimit.Current().Soft / DescriptorBudget.PerConnection));
            Assert.Equal(int.MaxValue, server.Server.Options.Limits.MaxConnections);
            lock (log)
            {
                Assert.Contains(log, line => line.StartsWith("Warning: Limits.MaxConnections lowered from 2147483647 to " + cap + ":", StringComparison.Ordinal));
            }
        }

        [Fact]
        public void ACapThatFitsIsKeptWithoutAWord()
        {
            var log = new List<string>();
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.MaxConnections = 4;
                o.Logger = new LineLogger(line => { lock (log) { log.Add(line); } });
            });

            Assert.Equal(4, server.Server.MaxConnections);
            lock (log)
            {
                Assert.DoesNotContain(log, line => line.Contains("MaxConnections", StringComparison.Ordinal));
            }
        }
    }
}
