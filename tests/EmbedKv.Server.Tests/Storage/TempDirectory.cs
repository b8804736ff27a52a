using System;
using System.IO;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>A fresh directory under /tmp for one test, deleted afterwards.</summary>
    internal sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "embedkv-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A test's child process may still be going away; /tmp is cleaned eventually.
            }
        }
    }
}
