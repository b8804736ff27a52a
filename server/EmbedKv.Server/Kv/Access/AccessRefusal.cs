namespace EmbedKv.Server.Kv.Access
{
    /// <summary>Why a request was refused, as the meter tags it.</summary>
    internal enum AccessRefusal
    {
        /// <summary>No bearer token where one is needed.</summary>
        Missing,

        /// <summary>A token not known, or malformed credentials.</summary>
        Invalid,

        /// <summary>A known token without the scope, or a key outside its prefix.</summary>
        Forbidden,
    }
}
