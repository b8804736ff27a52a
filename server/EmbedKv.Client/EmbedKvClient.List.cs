using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;

namespace EmbedKv.Client
{
    /// <summary>Listing: every key under a prefix in byte order, page after page.</summary>
    public sealed partial class EmbedKvClient
    {
        /// <summary>
        /// Every key that starts with <paramref name="prefix"/> (every key if null), in unsigned byte order, with
        /// its value's size and version. Pages of <see cref="EmbedKvClientOptions.ListPageSize"/> keys are
        /// fetched as the enumeration reaches them, each after the last key of the one before, so a key
        /// written meanwhile shows up if it sorts after where the listing stands (docs/api.md, "Listing").
        /// </summary>
        /// <param name="prefix">The prefix, or null for all keys.</param>
        /// <param name="cancellation">Cancels the listing.</param>
        /// <returns>The keys.</returns>
        public async IAsyncEnumerable<KvListedKey> ListAsync(KvKey? prefix = null, [EnumeratorCancellation] CancellationToken cancellation = default)
        {
            string query = "/?limit=" + _runner.Options.ListPageSize.ToString(CultureInfo.InvariantCulture);
            if (prefix is KvKey p)
            {
                query += "&prefix=" + PercentEncoding.Encode(p.Bytes);
            }

            string? after = null;
            do
            {
                string target = after is null ? query : query + "&after=" + after;
                ListingPage page = await _runner.SendAsync("GET " + target, _ => new HttpRequestMessage(HttpMethod.Get, _runner.Address(target)), RequestSafety.Read, async (response, deadline) =>
                {
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw await RequestRunner.RefusalAsync("GET " + target, response, deadline.Token).ConfigureAwait(false);
                    }

                    byte[] json = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
                    try
                    {
                        return ListingPage.Parse(json);
                    }
                    catch (JsonException e)
                    {
                        throw new EmbedKvException("GET " + target, response.StatusCode, "the listing is not one this client reads: " + e.Message, e);
                    }
                }, cancellation).ConfigureAwait(false);

                foreach (KvListedKey key in page.Keys)
                {
                    cancellation.ThrowIfCancellationRequested();
                    yield return key;
                }

                // Decoded and encoded again rather than passed on: whatever the server escaped, the query gets only what this client sends.
                after = page.Next is null ? null : Reencode(page.Next);
            }
            while (after is not null);
        }

        private static string Reencode(string cursor)
            => PercentEncoding.TryDecode(cursor, out byte[] key) ? PercentEncoding.Encode(key) : throw new EmbedKvException("list", null, "the listing's cursor is not a percent-encoded key: " + cursor);
    }
}
