using EmbedKv.Runtime.Memory;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;

namespace EmbedKv.Server.Kv
{
    /// <summary>A listing page written whole, on its way out: after its head, copied behind it when small (as small values are), else sent from the page.</summary>
    internal static class ListingAnswer
    {
        /// <summary>Queues the answer of <paramref name="length"/> bytes of JSON in <paramref name="page"/>; the page goes back to <paramref name="pages"/> once sent.</summary>
        public static void Send(NativeRegion page, int length, HttpMethod method, ResponseComposer responses, IValueSink sink, ListingPages pages)
        {
            responses.JsonHead(200, length);
            if (method == HttpMethod.Get && length <= KvHandler.InlineValueLimit && length <= responses.Room.Length)
            {
                page.AsSpan(0, length).CopyTo(responses.Room);
                responses.Body(length);
                pages.Return(page);
            }
            else if (method == HttpMethod.Get)
            {
                sink.Send(page, length, pages);
            }
            else
            {
                pages.Return(page);
            }
        }
    }
}
