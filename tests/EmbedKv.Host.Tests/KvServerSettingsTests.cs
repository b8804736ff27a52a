using System;
using System.Collections.Generic;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using EmbedKv.Server.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>The server's settings table in process, as both the host and AddEmbedKv feed it: key/value pairs.</summary>
    public sealed class KvServerSettingsTests
    {
        [Fact]
        public void AppliesKeysCaseInsensitivelyAndSkipsSectionsAndOtherSections()
        {
            var options = new KvServerOptions();
            KvServerSettings.Apply(Pairs(("port", "0"), ("Durability", "batched:5ms"), ("Limits", null), ("LIMITS:IdleTimeout", "2s"), ("Logging:LogLevel:Default", "Debug")), options, "Logging");
            Assert.Equal(0, options.Port);
            Assert.Equal(Durability.Batched(TimeSpan.FromMilliseconds(5)), options.Durability);
            Assert.Equal(TimeSpan.FromSeconds(2), options.Limits.IdleTimeout);
        }

        [Theory]
        [InlineData("Frobnicate", "1", "unknown setting 'Frobnicate' (see --help for the settings)")]
        [InlineData("Port", "eighty", "invalid setting Port: 'eighty' is not a whole number")]
        [InlineData("Limits", "5", "invalid setting Limits: '5' where a section of settings belongs")]
        [InlineData("Logging:LogLevel:Default", "Debug", "unknown setting 'Logging:LogLevel:Default' (see --help for the settings)")]
        public void ASettingItCannotTakeThrowsNamingItAndItsValue(string key, string value, string message)
        {
            var e = Assert.Throws<InvalidSettingException>(() => KvServerSettings.Apply(Pairs((key, value)), new KvServerOptions()));
            Assert.Equal(message, e.Message);
        }

        [Fact]
        public void ValidateNamesTheInvalidSettingWithoutTheParameterSuffix()
        {
            var e = Assert.Throws<InvalidSettingException>(() => KvServerSettings.Validate(new KvServerOptions { Port = 70000 }));
            Assert.Equal("invalid setting: Port must be between 0 and 65535 (or -1 for no TCP port), not 70000.", e.Message);
        }

        [Theory]
        [InlineData("Port", true)]
        [InlineData("limits:idletimeout", true)]
        [InlineData("Limits", true)]
        [InlineData("Limits:Nothing", false)]
        [InlineData("CHECKOUT", false)]
        [InlineData("Logging", false)]
        public void KnowsItsKeysAndSections(string key, bool known) => Assert.Equal(known, KvServerSettings.IsKnown(key));

        private static IEnumerable<KeyValuePair<string, string?>> Pairs(params (string Key, string? Value)[] pairs)
        {
            foreach ((string key, string? value) in pairs)
            {
                yield return new KeyValuePair<string, string?>(key, value);
            }
        }
    }
}
