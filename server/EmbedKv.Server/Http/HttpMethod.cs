namespace EmbedKv.Server.Http
{
    /// <summary>The methods the key-value routes answer; anything else is <see cref="Other"/> (405).</summary>
    internal enum HttpMethod : byte
    {
        /// <summary>A method the routes do not offer.</summary>
        Other,

        /// <summary>GET /key: the value.</summary>
        Get,

        /// <summary>HEAD /key: as GET, without the body.</summary>
        Head,

        /// <summary>POST /key: store the body.</summary>
        Post,

        /// <summary>PUT /key: store the body.</summary>
        Put,

        /// <summary>DELETE /key: remove the key.</summary>
        Delete,
    }
}
