using EmbedKv.Extensions.Hosting.Configuration;

namespace EmbedKv.Host
{
    /// <summary>What --help prints: usage, the sources of settings, and every setting from the shared table.</summary>
    internal static class HelpText
    {
        public static string Text =>
            "usage: embedkv [--port N] [--bind ADDRESS] [--data DIR] [--durability MODE] [--workers N] [--Key value ...]\n"
            + "\n"
            + "An HTTP key-value server: GET, HEAD, PUT, POST and DELETE on /{key}, stored durably on disk.\n"
            + "Settings, each source overriding the one before: appsettings.json beside the program,\n"
            + "EMBEDKV_* environment variables, then the command line (--Key value or the short switches).\n"
            + "appsettings.json may also hold the usual \"Logging\" section (default level: Warning, to stderr).\n"
            + "\n"
            + "settings:\n"
            + KvServerSettings.Help()
            + "\n"
            + "SIGINT or SIGTERM stops the server after requests in flight (up to 5 s); every acknowledged write is kept.\n";
    }
}
