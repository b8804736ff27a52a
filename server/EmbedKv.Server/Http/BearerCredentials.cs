using System;
using System.Buffers;
using System.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>What an Authorization field offers (RFC 9110 §11.6.2, RFC 6750 §2.1).</summary>
    internal enum CredentialsKind
    {
        /// <summary>No Authorization field, or another scheme than Bearer (RFC 6750 §3.1: 401 without an error code).</summary>
        None,

        /// <summary>A Bearer token, well formed.</summary>
        Bearer,

        /// <summary>Bearer credentials that are not "Bearer" 1*SP b64token, or Authorization on more than one line (RFC 6750 §3.1: invalid_request, 400).</summary>
        Malformed,
    }

    /// <summary>
    /// Reads a request's Authorization field: <c>credentials = "Bearer" 1*SP b64token</c>, where
    /// <c>b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="</c> (RFC 6750 §2.1). The
    /// scheme is case-insensitive (RFC 9110 §11.1). A field that is not a list may come once only (RFC
    /// 9110 §5.3), so a second line is malformed rather than a choice between two tokens.
    /// </summary>
    internal static class BearerCredentials
    {
        private static ReadOnlySpan<byte> Scheme => "Bearer"u8;

        /// <summary>The token in <paramref name="field"/>, if it holds Bearer credentials.</summary>
        public static CredentialsKind Read(FieldRef field, ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> token)
        {
            token = default;
            if (!field.IsPresent)
            {
                return CredentialsKind.None;
            }

            if (field.Count > 1)
            {
                return CredentialsKind.Malformed;
            }

            ReadOnlySpan<byte> value = field.FirstValue(buffer);
            int schemeEnd = value.IndexOf((byte)' ');
            ReadOnlySpan<byte> scheme = schemeEnd < 0 ? value : value.Slice(0, schemeEnd);
            if (!Ascii.EqualsIgnoreCase(scheme, Scheme))
            {
                return CredentialsKind.None;
            }

            if (schemeEnd < 0)
            {
                return CredentialsKind.Malformed;
            }

            ReadOnlySpan<byte> rest = value.Slice(schemeEnd).TrimStart((byte)' ');
            if (!IsB64Token(rest))
            {
                return CredentialsKind.Malformed;
            }

            token = rest;
            return CredentialsKind.Bearer;
        }

        private static readonly SearchValues<byte> TokenBytes =
            SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"u8);

        /// <summary>Whether <paramref name="text"/> is a b64token (RFC 6750 §2.1): what may follow "Bearer ".</summary>
        public static bool IsB64Token(ReadOnlySpan<byte> text)
        {
            ReadOnlySpan<byte> body = text.TrimEnd((byte)'=');
            return !body.IsEmpty && !body.ContainsAnyExcept(TokenBytes);
        }
    }
}
