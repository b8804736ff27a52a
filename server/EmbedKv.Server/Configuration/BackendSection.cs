namespace EmbedKv.Server.Configuration
{
    /// <summary>
    /// A section of the server's configuration that a backend's own package reads (EmbedKv.Etcd's "Etcd"). The
    /// package registers it as a service, and AddEmbedKv(configuration) leaves that section alone when it
    /// reads the server's settings, whichever backend <see cref="KvServerSettings.BackendKey"/> chooses: one
    /// configuration can then switch between backends by that key alone.
    /// </summary>
    /// <param name="Name">The section's name, as in the configuration ("Etcd").</param>
    public sealed record BackendSection(string Name);
}
