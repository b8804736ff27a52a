using System.Text;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;

namespace EmbedKv.Host
{
    /// <summary>What --help prints: usage, the sources of settings, and every setting from the server's table.</summary>
    internal static class HelpText
    {
        public static string Text =>
            "usage: embedkv [--port N] [--bind ADDRESS] [--unix PATH] [--data DIR] [--durability MODE] [--workers N] [--Key value ...]\n"
            + "       embedkv check [--data DIR] [--repair]\n"
            + "       embedkv checkpoint [--data DIR] --to PATH\n"
            + "       embedkv hash-token < token\n"
            + "\n"
            + "An HTTP key-value server: GET, HEAD, PUT, POST and DELETE on /{key}, stored durably on disk,\n"
            + "or in an etcd cluster with Backend = Etcd (docs/etcd.md).\n"
            + "Settings, each source overriding the one before: appsettings.json beside the program,\n"
            + "EMBEDKV_* environment variables, then the command line (--Key value or the short switches).\n"
            + "appsettings.json may also hold the usual \"Logging\" section (default level: Warning, to stderr).\n"
            + "\n"
            + "settings:\n"
            + Settings()
            + "\n"
            + "SIGINT or SIGTERM stops the server after requests in flight (up to 5 s); every acknowledged write is kept.\n"
            + "\n"
            + "check: verifies every record of every segment in the data directory without changing it, and prints\n"
            + "one line per finding (file and byte offset) and a summary. A torn tail, what a crash leaves, is not\n"
            + "damage. Exit code 0 clean, 1 damaged, 2 bad setting, 3 cannot check (no such directory, or a running\n"
            + "server holds it). --repair moves each damaged segment aside (seg-N.log.damaged-TIME, never deleted)\n"
            + "and keeps its valid records before the damage in a new segment; stop the server first.\n"
            + "See docs/storage.md, \"Checking and repairing a data directory\".\n"
            + "\n"
            + "checkpoint --to PATH: writes a consistent, openable copy of a stopped store into PATH (new or empty):\n"
            + "hard links on the same filesystem, copies elsewhere. A running server takes them with\n"
            + "POST /_admin/checkpoint?dir=PATH and an admin token. Exit code 0 written, 2 bad arguments, 3 cannot.\n"
            + "\n"
            + "hash-token: reads a token from stdin and prints the SHA-256 to configure as Tokens:NAME:Hash.\n";

        /// <summary>The settings, two lines each: key, switch and description; then default and environment variable.</summary>
        private static string Settings()
        {
            var defaults = new KvServerOptions();
            var text = new StringBuilder();
            foreach (Setting setting in KvServerSettings.All)
            {
                Line(setting.Switch is null ? setting.Key : setting.Switch + ", " + setting.Key, setting.Key, setting.Description, setting.Show(defaults));
            }

            Line(KvServerSettings.BackendKey, KvServerSettings.BackendKey, KvServerSettings.LocalBackend + " (the data directory) | " + EtcdSettings.Name + " (an etcd cluster: the Etcd settings below)", KvServerSettings.LocalBackend);
            var etcd = new EtcdStoreOptions();
            foreach (EtcdSetting setting in EtcdSettings.All)
            {
                Line(setting.Key, setting.Key, setting.Description, setting.Show(etcd));
            }

            return text.ToString();

            void Line(string name, string key, string description, string shown)
                => text.Append("  ").Append(name.PadRight(34)).Append(description).Append('\n')
                    .Append(' ', 36).Append("default ").Append(shown).Append("; env ").Append(HostConfiguration.EnvironmentVariable(key)).Append('\n');
        }
    }
}
