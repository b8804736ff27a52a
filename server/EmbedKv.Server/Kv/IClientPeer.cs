namespace EmbedKv.Server.Kv
{
    /// <summary>Who is at the other end of a connection, for the log when a request is refused.</summary>
    internal interface IClientPeer
    {
        /// <summary>The client's address ("127.0.0.1", "[::1]", "unix"), without its port: refusals are logged per address.</summary>
        string PeerAddress();
    }
}
