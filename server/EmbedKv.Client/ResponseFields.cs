using System;
using System.Buffers;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client
{
    /// <summary>The fields of an answer that describe a value: its version (ETag) and whole length (Content-Range or Content-Length).</summary>
    internal static class ResponseFields
    {
        /// <summary>The answer's version; an answer about a value without one of the server's tags is not from an EmbedKv server.</summary>
        public static KvVersion Version(string operation, HttpResponseMessage response)
        {
            EntityTagHeaderValue? tag = response.Headers.ETag;
            if (tag is null || tag.IsWeak || !KvVersion.TryParseETag(tag.Tag, out KvVersion version))
            {
                throw new EmbedKvException(operation, response.StatusCode, "the answer has no EmbedKv ETag (" + (tag?.ToString() ?? "none") + ")");
            }

            return version;
        }

        /// <summary>
        /// Copies bytes <paramref name="first"/> to <paramref name="last"/> (or the end) of a body, each chunk
        /// extending <paramref name="deadline"/>: a large value is bounded by its progress, not its length.
        /// </summary>
        public static async Task CopyWindowAsync(HttpResponseMessage response, long first, long? last, Stream destination, Deadline deadline)
        {
            CancellationToken cancellation = deadline.Token;
            Stream body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                long at = 0;
                int read;
                while ((last is null || at <= last) && (read = await body.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
                {
                    long from = Math.Max(first, at);
                    long to = Math.Min(at + read - 1, last ?? long.MaxValue);
                    if (from <= to)
                    {
                        await destination.WriteAsync(buffer.AsMemory((int)(from - at), (int)(to - from + 1)), cancellation).ConfigureAwait(false);
                    }

                    at += read;
                    deadline.Extend();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>The whole value's length: after the slash of a Content-Range, else the Content-Length.</summary>
        public static long WholeLength(HttpResponseMessage response)
            => response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength ?? 0;
    }
}
