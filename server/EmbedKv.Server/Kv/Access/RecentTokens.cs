using System;
using System.Security.Cryptography;

namespace EmbedKv.Server.Kv.Access
{
    /// <summary>
    /// The last few tokens one loop found valid, kept as sent, so a client that sends the same token on
    /// every request pays for one SHA-256 per loop rather than one per request (the bench, access.md, saw
    /// the hash cost GETs up to a tenth of their rate). A presented token is compared in constant time
    /// with every slot of its length, none cut short; only its length decides which slots are compared,
    /// and lengths are not secret here (a b64token's length is its generator's). Longer tokens are not
    /// kept: they are hashed every time. One loop's thread only.
    /// </summary>
    internal sealed class RecentTokens
    {
        public const int MaxLength = 64;
        private const int Slots = 4;

        private readonly byte[] _tokens = new byte[Slots * MaxLength];
        private readonly int[] _lengths = { -1, -1, -1, -1 }; // an empty slot matches nothing, not even an empty token
        private readonly int[] _entries = new int[Slots];
        private int _next;

        /// <summary>The table entry <paramref name="token"/> was found at, if it is one of the recent ones; -1 otherwise.</summary>
        public int Find(ReadOnlySpan<byte> token)
        {
            if (token.Length > MaxLength)
            {
                return -1;
            }

            int found = -1;
            for (int i = 0; i < Slots; i++)
            {
                // Only a slot of the same length can match: its bytes are then compared in constant time.
                if (_lengths[i] == token.Length && CryptographicOperations.FixedTimeEquals(token, _tokens.AsSpan(i * MaxLength, token.Length)))
                {
                    found = _entries[i];
                }
            }

            return found;
        }

        /// <summary>Keeps <paramref name="token"/>, found valid at <paramref name="entry"/>, in place of the oldest.</summary>
        public void Remember(ReadOnlySpan<byte> token, int entry)
        {
            if (token.Length > MaxLength)
            {
                return;
            }

            Span<byte> slot = _tokens.AsSpan(_next * MaxLength, MaxLength);
            slot.Clear();
            token.CopyTo(slot);
            _lengths[_next] = token.Length;
            _entries[_next] = entry;
            _next = (_next + 1) % Slots;
        }
    }
}
