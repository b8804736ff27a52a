using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The admin endpoints under /_admin/ (docs/api.md, "Checkpoints"): today one, <c>POST
    /// /_admin/checkpoint?dir=PATH</c>, which writes a consistent copy of the store into PATH on the server's
    /// filesystem. A checkpoint links or copies files and syncs them, so it runs on a thread of its own and
    /// reports back to the loop through the connection's write completions, as the commit thread does; the
    /// loop never waits for it. Keys starting with "_admin/" are reserved over HTTP for these endpoints.
    /// </summary>
    internal sealed class AdminRequest
    {
        private static ReadOnlySpan<byte> Prefix => "_admin/"u8;

        private static ReadOnlySpan<byte> CheckpointPath => "_admin/checkpoint"u8;

        private readonly KvStore _store;
        private readonly ResponseComposer _responses;
        private string? _directory;
        private Job? _running;

        public AdminRequest(KvStore store, ResponseComposer responses)
        {
            _store = store;
            _responses = responses;
        }

        public static bool IsAdmin(ReadOnlySpan<byte> key) => key.StartsWith(Prefix);

        /// <summary>Whether an admin key names an endpoint; the others are 404 whoever asks.</summary>
        public static bool Exists(ReadOnlySpan<byte> key) => key.SequenceEqual(CheckpointPath);

        /// <summary>Judges the request's method and query (its endpoint and access were judged before).</summary>
        public RejectReason Accept(in RequestHead head, ReadOnlySpan<byte> input)
        {
            if (head.Method != HttpMethod.Post)
            {
                return RejectReason.AdminMethodNotAllowed;
            }

            _directory = ReadDirectory(input.Slice(head.QueryOffset, head.QueryLength));
            return _directory is null ? RejectReason.BadCheckpointQuery : RejectReason.None;
        }

        /// <summary>Starts the checkpoint; its answer comes through <paramref name="completions"/> as a write's would.</summary>
        public void Start(IWriteCompletion completions, ulong token)
        {
            var job = new Job(_store, _directory!, completions, token);
            _running = job;
            var thread = new Thread(job.Run) { IsBackground = true, Name = "EmbedKv checkpoint" };
            thread.Start();
        }

        /// <summary>Answers the checkpoint this connection started, if it did; false if it started none.</summary>
        public bool Answer()
        {
            if (_running is not { } job)
            {
                return false;
            }

            _running = null;
            byte[] body = Encoding.UTF8.GetBytes(job.Answer);
            if (job.Status == 200 && body.Length <= _responses.Room.Length)
            {
                _responses.JsonHead(200, body.Length);
                body.CopyTo(_responses.Room);
                _responses.Body(body.Length);
            }
            else
            {
                _responses.Text(job.Status, body);
            }

            return true;
        }

        /// <summary>The connection went away or moved on: a checkpoint still running finishes, unanswered.</summary>
        public void Forget() => _running = null;

        /// <summary>dir, percent-decoded, given once, an absolute path; null otherwise.</summary>
        private static string? ReadDirectory(ReadOnlySpan<byte> query)
        {
            string? directory = null;
            foreach (QueryParameter parameter in new QueryParameters(query))
            {
                if (!parameter.Name.SequenceEqual("dir"u8) || directory is not null)
                {
                    return null;
                }

                var decoded = new byte[KeyDecoder.DecodedLength(parameter.Value)];
                int length = KeyDecoder.Decode(parameter.Value, decoded);
                try
                {
                    directory = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded, 0, length);
                }
                catch (DecoderFallbackException)
                {
                    return null;
                }
            }

            return directory is { Length: > 1 } && directory[0] == '/' && !directory.Contains('\0') ? directory : null;
        }

        /// <summary>One checkpoint, run on its own thread; what it found is read by the loop after the completion.</summary>
        private sealed class Job
        {
            private readonly KvStore _store;
            private readonly string _directory;
            private readonly IWriteCompletion _completions;
            private readonly ulong _token;

            public Job(KvStore store, string directory, IWriteCompletion completions, ulong token)
            {
                _store = store;
                _directory = directory;
                _completions = completions;
                _token = token;
            }

            public int Status { get; private set; }

            public string Answer { get; private set; } = string.Empty;

            public void Run()
            {
                try
                {
                    CheckpointReport report = _store.Checkpoint(_directory);
                    Status = 200;
                    Answer = string.Create(CultureInfo.InvariantCulture,
                        $"{{\"dir\":{Json(_directory)},\"sequence\":{report.Sequence},\"segmentsLinked\":{report.SegmentsLinked},\"segmentsCopied\":{report.SegmentsCopied},\"bytesLinked\":{report.BytesLinked},\"bytesCopied\":{report.BytesCopied},\"writeLockMicroseconds\":{(long)report.WriteLockHeld.TotalMicroseconds},\"milliseconds\":{(long)report.Elapsed.TotalMilliseconds}}}\n");
                }
                catch (Exception e)
                {
                    // The answer names the cause; the store is unharmed either way. A full disk is 507 (RFC 4918
                    // §11.5); a store that refuses writes or is closing is 500 or 503; anything else about the
                    // target (it exists and is not empty, EACCES, a missing parent) conflicts with the state of
                    // the path asked for: 409 (RFC 9110 §15.5.10).
                    Status = e switch
                    {
                        ArgumentException => 400,
                        StorageFullException => 507,
                        StorageFailedException => 500,
                        ObjectDisposedException => 503,
                        IOException => 409,
                        _ => 500, // a fault of ours: answered, never a crash of the process from this thread
                    };
                    Answer = "checkpoint failed: " + e.Message + "\n";
                }

                // The queue's lock orders these writes before the loop's reads.
                _completions.OnWriteCompleted(_token, Status == 200 ? WriteOutcome.Created : WriteOutcome.Failed, 0);
            }

            private static string Json(string text) => "\"" + System.Text.Json.JsonEncodedText.Encode(text) + "\"";
        }
    }
}
