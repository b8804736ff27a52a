using System;
using System.Collections.Generic;
using EmbedKv.Server.Configuration;

namespace EmbedKv.Etcd.Tests.Configuration
{
    /// <summary>Backend and the Etcd section as configuration carries them: every key, both forms of the endpoints, and exact errors.</summary>
    public sealed class EtcdSettingsTests
    {
        [Fact]
        public void Backend_chooses_etcd_by_name_and_local_or_nothing_chooses_the_disk()
        {
            Assert.True(EtcdSettings.ChoosesEtcd(Pairs(("Backend", "Etcd"))));
            Assert.True(EtcdSettings.ChoosesEtcd(Pairs(("backend", " etcd "))));
            Assert.False(EtcdSettings.ChoosesEtcd(Pairs(("Backend", "Local"))));
            Assert.False(EtcdSettings.ChoosesEtcd(Pairs(("Port", "1"))));
            InvalidSettingException e = Assert.Throws<InvalidSettingException>(() => EtcdSettings.ChoosesEtcd(Pairs(("Backend", "consul"))));
            Assert.Equal("invalid setting Backend: 'consul' is not one of Local, Etcd", e.Message);
        }

        [Fact]
        public void Every_key_of_the_section_is_read()
        {
            EtcdStoreOptions options = EtcdSettings.Read(Pairs(
                ("Port", "8080"), // the server's: left alone
                ("Etcd", null),
                ("Etcd:Endpoints", " http://127.0.0.1:2379 ,http://127.0.0.1:22379,"),
                ("etcd:keyprefix", "app/"),
                ("Etcd:RequestTimeout", "1500ms"),
                ("Etcd:MaxRequestBytes", "10485760"),
                ("Etcd:ListBatch", "16")));
            Assert.Equal(new[] { "http://127.0.0.1:2379", "http://127.0.0.1:22379" }, options.Endpoints);
            Assert.Equal("app/", options.KeyPrefix);
            Assert.Equal(TimeSpan.FromMilliseconds(1500), options.RequestTimeout);
            Assert.Equal(10485760, options.MaxRequestBytes);
            Assert.Equal(16, options.ListBatch);
        }

        [Fact]
        public void Endpoints_as_a_list_are_read_in_order_and_the_text_form_replaces_the_list()
        {
            // appsettings.json's ["a", "b"] arrives as Etcd:Endpoints:0 and :1 under a null section entry.
            KeyValuePair<string, string?>[] list = Pairs(("Etcd:Endpoints", null), ("Etcd:Endpoints:1", "http://127.0.0.1:2"), ("Etcd:Endpoints:0", "http://127.0.0.1:1"));
            Assert.Equal(new[] { "http://127.0.0.1:1", "http://127.0.0.1:2" }, EtcdSettings.Read(list).Endpoints);

            // EMBEDKV_ETCD__ENDPOINTS over that list: the variable wins, as it does for every other setting.
            KeyValuePair<string, string?>[] both = Pairs(("Etcd:Endpoints", "http://127.0.0.1:3"), ("Etcd:Endpoints:0", "http://127.0.0.1:1"));
            Assert.Equal(new[] { "http://127.0.0.1:3" }, EtcdSettings.Read(both).Endpoints);
        }

        [Theory]
        [InlineData("Etcd:Endpoint", "http://127.0.0.1:1", "unknown setting 'Etcd:Endpoint' (see --help for the settings)")]
        [InlineData("Etcd:RequestTimeout", "soon", "invalid setting Etcd:RequestTimeout: 'soon' is not a duration such as 250ms, 10s, 2m or 00:00:10")]
        [InlineData("Etcd:RequestTimeout", "0s", "invalid setting Etcd:RequestTimeout must be positive")]
        [InlineData("Etcd:ListBatch", "many", "invalid setting Etcd:ListBatch: 'many' is not a whole number")]
        [InlineData("Etcd:Endpoints", "127.0.0.1:2379", "invalid setting Etcd:Endpoints: '127.0.0.1:2379' is not a client URL such as http://127.0.0.1:2379")]
        public void A_bad_key_or_value_fails_naming_the_setting(string key, string value, string message)
        {
            var settings = new List<KeyValuePair<string, string?>> { new(key, value) };
            if (key != "Etcd:Endpoints")
            {
                settings.Add(new("Etcd:Endpoints", "http://127.0.0.1:2379"));
            }

            Assert.Equal(message, Assert.Throws<InvalidSettingException>(() => EtcdSettings.Read(settings)).Message);
        }

        [Fact]
        public void Etcd_without_endpoints_says_what_is_needed()
        {
            InvalidSettingException e = Assert.Throws<InvalidSettingException>(() => EtcdSettings.CreateBackend(Pairs(("Backend", "Etcd"))));
            Assert.Equal("invalid setting Etcd:Endpoints: at least one client URL is needed (http://127.0.0.1:2379)", e.Message);
            Assert.Null(EtcdSettings.CreateBackend(Pairs(("Backend", "Local"), ("Etcd:Endpoints", "not read"))));
        }

        [Fact]
        public void The_table_shows_the_defaults()
        {
            var defaults = new EtcdStoreOptions();
            Assert.Equal(
                new[] { "Etcd:Endpoints=none", "Etcd:KeyPrefix=none", "Etcd:RequestTimeout=5s", "Etcd:MaxRequestBytes=1572864", "Etcd:ListBatch=64" },
                Array.ConvertAll(System.Linq.Enumerable.ToArray(EtcdSettings.All), s => s.Key + "=" + s.Show(defaults)));
        }

        private static KeyValuePair<string, string?>[] Pairs(params (string Key, string? Value)[] pairs)
            => Array.ConvertAll(pairs, p => new KeyValuePair<string, string?>(p.Key, p.Value));
    }
}
