namespace EmbedKv.Etcd
{
    internal static class Placeholder
    {
    }
}
