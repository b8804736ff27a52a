namespace EmbedKv.Server.Kv.Access
{
    /// <summary>What a request reaches: one key, the listing, or an admin endpoint.</summary>
    internal enum Route
    {
        Key,
        Listing,
        Admin,
    }
}
