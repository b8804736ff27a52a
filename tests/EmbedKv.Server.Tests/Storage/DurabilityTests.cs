using System;
using System.IO;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>Durability's text form and validation, and StoreOptions.Validate.</summary>
    public sealed class DurabilityTests
    {
        [Theory]
        [InlineData("always", DurabilityMode.Always, 0, "always")]
        [InlineData("none", DurabilityMode.None, 0, "none")]
        [InlineData("batched", DurabilityMode.Batched, 1000, "batched:1000ms")]
        [InlineData("batched:250ms", DurabilityMode.Batched, 250, "batched:250ms")]
        [InlineData("batched:2s", DurabilityMode.Batched, 2000, "batched:2000ms")]
        [InlineData("batched:1ms", DurabilityMode.Batched, 1, "batched:1ms")]
        [InlineData("batched:3600s", DurabilityMode.Batched, 3_600_000, "batched:3600000ms")]
        [InlineData("batched:0.5s", DurabilityMode.Batched, 500, "batched:500ms")]
        [InlineData("batched:2.5ms", DurabilityMode.Batched, 2.5, "batched:2.5ms")]
        [InlineData("  Always ", DurabilityMode.Always, 0, "always")]
        [InlineData("BATCHED:250MS", DurabilityMode.Batched, 250, "batched:250ms")]
        public void ParsesAndRoundTrips(string text, DurabilityMode mode, double milliseconds, string canonical)
        {
            Assert.True(Durability.TryParse(text, out Durability parsed), text);
            Assert.Equal(mode, parsed.Mode);
            Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parsed.Interval);
            Assert.Equal(canonical, parsed.ToString());

            Assert.True(Durability.TryParse(parsed.ToString(), out Durability again));
            Assert.Equal(parsed, again);
            Assert.Equal(parsed.GetHashCode(), again.GetHashCode());
        }

        [Theory]
        [InlineData("sometimes")]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData(null)]
        [InlineData("batched:")]
        [InlineData("batched:0ms")]
        [InlineData("batched:0s")]
        [InlineData("batched:0.5ms")]
        [InlineData("batched:-5ms")]
        [InlineData("batched:3601s")]
        [InlineData("batched:2h")]
        [InlineData("batched:250")]
        [InlineData("batched:ms")]
        [InlineData("batched:s")]
        [InlineData("batched:5mss")]
        [InlineData("batched:5msms")]
        [InlineData("batched:5sm")]
        [InlineData("batched:5 ms")]
        [InlineData("batched:nanms")]
        [InlineData("batched:NaNs")]
        [InlineData("batched:infinityms")]
        [InlineData("batched:1e400ms")]
        [InlineData("batched:250ms:x")]
        [InlineData("always:250ms")]
        [InlineData("batched 250ms")]
        public void RejectsEverythingElseWithoutThrowing(string? text)
        {
            Assert.False(Durability.TryParse(text, out Durability durability), text);
            Assert.Same(Durability.Always, durability);
        }

        [Fact]
        public void BatchedIntervalIsValidated()
        {
            Assert.Equal(TimeSpan.FromMilliseconds(1), Durability.Batched(TimeSpan.FromMilliseconds(1)).Interval);
            Assert.Equal(TimeSpan.FromHours(1), Durability.Batched(TimeSpan.FromHours(1)).Interval);
            foreach (TimeSpan bad in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-1), TimeSpan.FromTicks(9_999), TimeSpan.FromHours(1) + TimeSpan.FromTicks(1), TimeSpan.MaxValue, TimeSpan.MinValue })
            {
                ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Durability.Batched(bad));
                Assert.Equal("interval", e.ParamName);
            }

            Assert.Equal(Durability.Batched(TimeSpan.FromSeconds(2)), Durability.Batched(TimeSpan.FromMilliseconds(2000)));
            Assert.NotEqual(Durability.Batched(TimeSpan.FromSeconds(2)), Durability.Batched(TimeSpan.FromSeconds(3)));
            Assert.NotEqual(Durability.Always, Durability.None);
            Assert.False(Durability.Always.Equals(null));
        }

        [Fact]
        public void DefaultOptionsAreValid()
        {
            var options = new StoreOptions();
            options.Validate();
            Assert.Same(Durability.Always, options.Durability);
        }

        [Theory]
        [InlineData(nameof(StoreOptions.DataDirectory), "")]
        [InlineData(nameof(StoreOptions.DataDirectory), "  ")]
        [InlineData(nameof(StoreOptions.DataDirectory), null)]
        [InlineData(nameof(StoreOptions.Durability), null)]
        [InlineData(nameof(StoreOptions.MaxKeyLength), 0)]
        [InlineData(nameof(StoreOptions.MaxKeyLength), -1)]
        [InlineData(nameof(StoreOptions.MaxKeyLength), 65536)]
        [InlineData(nameof(StoreOptions.MaxValueLength), -1L)]
        [InlineData(nameof(StoreOptions.MaxValueLength), (long)int.MaxValue + 1)]
        [InlineData(nameof(StoreOptions.SegmentSize), 4095L)]
        [InlineData(nameof(StoreOptions.SegmentSize), (1L << 30) + 1)]
        [InlineData(nameof(StoreOptions.SegmentSize), 0L)]
        [InlineData(nameof(StoreOptions.CompactionThreshold), 0.0)]
        [InlineData(nameof(StoreOptions.CompactionThreshold), 1.0)]
        [InlineData(nameof(StoreOptions.CompactionThreshold), -0.1)]
        [InlineData(nameof(StoreOptions.CompactionThreshold), double.NaN)]
        [InlineData(nameof(StoreOptions.CompactionMinimumDeadBytes), -1L)]
        public void ValidateNamesTheBadSetting(string setting, object? value)
        {
            var options = new StoreOptions();
            typeof(StoreOptions).GetProperty(setting)!.SetValue(options, value);
            ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);
            Assert.Equal(setting, e.ParamName);
            Assert.Contains(setting, e.Message, StringComparison.Ordinal);

            // Opening validates first, before it touches the disk.
            string probe = Path.Combine(Path.GetTempPath(), "embedkv-never-" + Guid.NewGuid().ToString("N"));
            if (setting != nameof(StoreOptions.DataDirectory))
            {
                options.DataDirectory = probe;
            }

            Assert.Equal(setting, Assert.Throws<ArgumentException>(() => KvStore.Open(options).Dispose()).ParamName);
            Assert.False(Directory.Exists(probe));
        }

        [Theory]
        [InlineData(nameof(StoreOptions.MaxKeyLength), 1)]
        [InlineData(nameof(StoreOptions.MaxKeyLength), 65535)]
        [InlineData(nameof(StoreOptions.MaxValueLength), 0L)]
        [InlineData(nameof(StoreOptions.MaxValueLength), (long)int.MaxValue)]
        [InlineData(nameof(StoreOptions.SegmentSize), 4096L)]
        [InlineData(nameof(StoreOptions.SegmentSize), 1L << 30)]
        [InlineData(nameof(StoreOptions.CompactionThreshold), 0.01)]
        [InlineData(nameof(StoreOptions.CompactionMinimumDeadBytes), 0L)]
        public void BoundariesAreValid(string setting, object value)
        {
            var options = new StoreOptions();
            typeof(StoreOptions).GetProperty(setting)!.SetValue(options, value);
            options.Validate();
        }
    }
}
