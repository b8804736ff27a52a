using System;
using System.Net;

namespace EmbedKv.Client
{
    /// <summary>
    /// The server refused a request, or could not be reached and the request was not safe to retry or ran out
    /// of retries. Carries the status and the server's one-line reason (its text body).
    /// </summary>
    public sealed class EmbedKvException : Exception
    {
        /// <summary>An exception for a refusal.</summary>
        /// <param name="operation">What was asked ("PUT /k").</param>
        /// <param name="status">The server's status, or null if no answer came.</param>
        /// <param name="reason">The server's reason, or what went wrong on the way.</param>
        /// <param name="inner">The transport's exception, if any.</param>
        public EmbedKvException(string operation, HttpStatusCode? status, string reason, Exception? inner = null)
            : base(operation + ": " + (status is null ? string.Empty : (int)status + " ") + reason, inner)
        {
            Operation = operation;
            StatusCode = status;
            Reason = reason;
        }

        /// <summary>What was asked: the method and the key's path.</summary>
        public string Operation { get; }

        /// <summary>The server's status, or null if no answer came (the server could not be reached).</summary>
        public HttpStatusCode? StatusCode { get; }

        /// <summary>The server's one-line reason ("the token lacks the write scope"), or the transport's error.</summary>
        public string Reason { get; }
    }
}
