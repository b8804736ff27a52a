using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// One etcd member's HTTP face: <c>/health</c> and the gRPC gateway's JSON (<c>/v3/...</c>), which etcd 3.4 serves
    /// on the client port. The fixture and the tests that check it talk to etcd through this rather than through
    /// dotnet-etcd, so a fault in the client library under test cannot hide a fault in the cluster, or the reverse.
    /// </summary>
    internal static class EtcdGateway
    {
        /// <summary>
        /// No proxy: an http_proxy in the environment must not carry loopback requests away. Short timeouts: a member
        /// that was just killed refuses at once, and a stuck one should fail a poll, not stall it.
        /// </summary>
        private static readonly HttpClient Client = new HttpClient(
            new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };

        /// <summary>What <c>/v3/maintenance/status</c> says about the member that answered.</summary>
        /// <param name="ClusterId">header.cluster_id.</param>
        /// <param name="MemberId">header.member_id: this member's id.</param>
        /// <param name="Leader">The id of the member it takes for the leader; 0 while it knows of none.</param>
        /// <param name="RaftTerm">The raft term it is in.</param>
        internal readonly record struct Status(ulong ClusterId, ulong MemberId, ulong Leader, ulong RaftTerm);

        /// <summary>True if the member answers <c>{"health":"true"}</c>: it is up, sees a leader and served a read through raft.</summary>
        public static bool IsHealthy(string clientUrl)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, clientUrl + "/health");
                using JsonDocument answer = Send(request, out HttpStatusCode code);
                return code == HttpStatusCode.OK
                    && answer.RootElement.TryGetProperty("health", out JsonElement health)
                    && health.GetString() == "true";
            }
            catch (Exception e) when (IsUnanswered(e))
            {
                return false;
            }
        }

        /// <summary>The member's status, or null if it does not answer (killed, starting, or without quorum for too long).</summary>
        public static Status? TryStatus(string clientUrl)
        {
            try
            {
                JsonElement answer = Post(clientUrl, "/v3/maintenance/status", new JsonObject());
                JsonElement header = answer.GetProperty("header");
                return new Status(
                    Id(header, "cluster_id"),
                    Id(header, "member_id"),
                    answer.TryGetProperty("leader", out _) ? Id(answer, "leader") : 0,
                    header.TryGetProperty("raft_term", out _) ? Id(header, "raft_term") : 0);
            }
            catch (Exception e) when (IsUnanswered(e))
            {
                return null;
            }
        }

        /// <summary>Writes <paramref name="key"/> = <paramref name="value"/> through the member; throws if etcd refuses.</summary>
        public static void Put(string clientUrl, string key, string value) =>
            Post(clientUrl, "/v3/kv/put", new JsonObject { ["key"] = Base64(key), ["value"] = Base64(value) });

        /// <summary>The key's value as the member reads it (linearizable, etcd's default), or null if there is no such key.</summary>
        public static string? Get(string clientUrl, string key)
        {
            JsonElement answer = Post(clientUrl, "/v3/kv/range", new JsonObject { ["key"] = Base64(key) });
            // The gateway leaves out empty fields, so an absent key has no "kvs" at all.
            if (!answer.TryGetProperty("kvs", out JsonElement pairs) || pairs.GetArrayLength() == 0)
            {
                return null;
            }

            // The gateway leaves out an empty value too.
            return pairs[0].TryGetProperty("value", out JsonElement value)
                ? Encoding.UTF8.GetString(value.GetBytesFromBase64())
                : "";
        }

        private static JsonElement Post(string clientUrl, string path, JsonObject body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, clientUrl + path)
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            using JsonDocument answer = Send(request, out HttpStatusCode code);
            if (code != HttpStatusCode.OK)
            {
                throw new HttpRequestException("etcd answered POST " + clientUrl + path + " with " + (int)code + ": " + answer.RootElement.GetRawText(), null, code);
            }

            return answer.RootElement.Clone();
        }

        private static JsonDocument Send(HttpRequestMessage request, out HttpStatusCode code)
        {
            // Synchronous all the way down (HttpClient.Send), so the fixture's polling never blocks on a task.
            using HttpResponseMessage response = Client.Send(request);
            code = response.StatusCode;
            using Stream content = response.Content.ReadAsStream();
            return JsonDocument.Parse(content);
        }

        /// <summary>
        /// The gateway writes 64-bit integers as decimal strings (proto3's JSON mapping), since JSON numbers cannot hold
        /// every uint64 exactly.
        /// </summary>
        private static ulong Id(JsonElement parent, string name) =>
            ulong.Parse(parent.GetProperty(name).GetString()!, NumberStyles.None, CultureInfo.InvariantCulture);

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

        /// <summary>The ways a member that is down, starting or failing over does not answer.</summary>
        private static bool IsUnanswered(Exception e) =>
            e is HttpRequestException or TaskCanceledException or IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException;
    }
}
