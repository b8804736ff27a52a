using System;
using System.Collections.Generic;
using System.Text.Json;

namespace EmbedKv.Client
{
    /// <summary>
    /// One page of a listing (docs/api.md, "Listing"): <c>{"keys":[{"key":"a%2Fb","size":5,"etag":"\"…\""}],"next":"a%2Fb"}</c>.
    /// Read with Utf8JsonReader rather than a serializer: no reflection, so the package stays trim-clean,
    /// and a field this client does not know is skipped, so a newer server's pages still read.
    /// </summary>
    internal sealed class ListingPage
    {
        private ListingPage(List<KvListedKey> keys, string? next)
        {
            Keys = keys;
            Next = next;
        }

        public List<KvListedKey> Keys { get; }

        /// <summary>The cursor to pass as <c>after</c> for the next page, percent-encoded as sent; null on the last page.</summary>
        public string? Next { get; }

        public static ListingPage Parse(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            var keys = new List<KvListedKey>();
            string? next = null;
            Expect(ref reader, JsonTokenType.StartObject);
            while (Read(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("keys"u8))
                {
                    Expect(ref reader, JsonTokenType.StartArray);
                    while (Read(ref reader) == JsonTokenType.StartObject)
                    {
                        keys.Add(ReadKey(ref reader));
                    }
                }
                else if (reader.ValueTextEquals("next"u8))
                {
                    Expect(ref reader, JsonTokenType.String);
                    next = reader.GetString();
                }
                else
                {
                    Read(ref reader);
                    reader.Skip();
                }
            }

            return new ListingPage(keys, next);
        }

        private static KvListedKey ReadKey(ref Utf8JsonReader reader)
        {
            byte[]? key = null;
            long size = -1;
            KvVersion version = KvVersion.Absent;
            while (Read(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("key"u8))
                {
                    Expect(ref reader, JsonTokenType.String);
                    if (!PercentEncoding.TryDecode(reader.GetString(), out key) || key.Length == 0)
                    {
                        throw new JsonException("a listed key is not a percent-encoded key: " + reader.GetString());
                    }
                }
                else if (reader.ValueTextEquals("size"u8))
                {
                    Expect(ref reader, JsonTokenType.Number);
                    size = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("etag"u8))
                {
                    Expect(ref reader, JsonTokenType.String);
                    if (!KvVersion.TryParseETag(reader.GetString(), out version))
                    {
                        throw new JsonException("a listed etag is not one of the server's: " + reader.GetString());
                    }
                }
                else
                {
                    Read(ref reader);
                    reader.Skip();
                }
            }

            if (key is null || size < 0 || version.IsAbsent)
            {
                throw new JsonException("a listed key lacks its key, size or etag");
            }

            return new KvListedKey(new KvKey(key), size, version);
        }

        private static JsonTokenType Read(ref Utf8JsonReader reader)
            => reader.Read() ? reader.TokenType : throw new JsonException("the listing ends early");

        private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
        {
            if (Read(ref reader) != type)
            {
                throw new JsonException("expected " + type + " in the listing, found " + reader.TokenType);
            }
        }
    }
}
