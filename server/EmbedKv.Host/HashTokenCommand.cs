using System;
using System.IO;
using EmbedKv.Server;

namespace EmbedKv.Host
{
    /// <summary>
    /// <c>embedkv hash-token</c>: reads a token from stdin and prints the SHA-256 to configure for it
    /// (Tokens:NAME:Hash). The token is read from stdin, never taken as an argument, so it stays out of the
    /// shell's history and the process list. Exit codes: 0 printed, 2 no token or one a client could not
    /// send as a Bearer token.
    /// </summary>
    internal static class HashTokenCommand
    {
        public const string Name = "hash-token";

        public static int Run(string[] args, TextReader input)
        {
            if (args.Length > 0)
            {
                Console.Error.WriteLine("embedkv hash-token: takes no arguments; it reads the token from stdin (echo -n TOKEN | embedkv hash-token)");
                return 2;
            }

            // One line: a trailing newline (echo, a here-string) is not part of the token.
            string token = (input.ReadLine() ?? string.Empty).TrimEnd('\r');
            if (!AccessToken.IsWellFormed(token))
            {
                Console.Error.WriteLine("embedkv hash-token: the token must be 1 or more of A-Z a-z 0-9 - . _ ~ + / then any '=' (RFC 6750 b64token), as clients send it after \"Bearer \"");
                return 2;
            }

            Console.Out.WriteLine(AccessToken.HashOf(token));
            return 0;
        }
    }
}
