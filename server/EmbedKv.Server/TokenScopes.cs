using System;

namespace EmbedKv.Server
{
    /// <summary>What an <see cref="AccessToken"/> allows.</summary>
    [Flags]
    public enum TokenScopes
    {
        /// <summary>Nothing (a token must have at least one scope).</summary>
        None = 0,

        /// <summary>GET and HEAD of keys, listings and long-polls.</summary>
        Read = 1,

        /// <summary>PUT, POST and DELETE of keys.</summary>
        Write = 2,

        /// <summary>The admin endpoints (POST /_admin/checkpoint).</summary>
        Admin = 4,
    }
}
