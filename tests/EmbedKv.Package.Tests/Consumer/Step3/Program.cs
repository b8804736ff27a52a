// Step 3 of tests/EmbedKv.Package.Tests: a user of both packages. Serves on a free loopback port with data in
// a temporary directory, and talks to that server through EmbedKvClient, registered the way an application
// would (services.AddEmbedKvClient(configuration)), so the client package's dependencies are what resolves
// IHttpClientFactory and binds the options. Prints what it saw for the test.
using System.Globalization;
using System.Text;
using EmbedKv.Client;
using EmbedKv.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

DirectoryInfo data = Directory.CreateTempSubdirectory("embedkv-consumer-");
try
{
    using (KvServer kv = KvServer.Start(new KvServerOptions { BindAddress = "127.0.0.1", Port = 0, DataDirectory = data.FullName }))
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EmbedKv:Client:BaseAddress"] = kv.BaseAddress.ToString() })
            .Build();
        var services = new ServiceCollection();
        services.AddEmbedKvClient(configuration.GetSection("EmbedKv:Client"));
        using ServiceProvider provider = services.BuildServiceProvider();
        EmbedKvClient client = provider.GetRequiredService<EmbedKvClient>();

        KvWriteResult created = await client.PutAsync("greeting", "hello from the client package");
        Console.WriteLine($"PUT {created.Status}");
        KvEntry? read = await client.GetAsync("greeting");
        Console.WriteLine($"GET {read?.ValueAsString()}, {(read?.Version == created.Version ? "the version written" : "another version")}");
        KvWriteResult replaced = await client.PutAsync("greeting", "hello again", KvCondition.IfVersion(created.Version));
        KvWriteResult stale = await client.PutAsync("greeting", "lost", KvCondition.IfVersion(created.Version));
        Console.WriteLine($"PUT if that version {replaced.Status}, then {stale.Status}");

        // At once, so that some of them collide and go round again: a lost update would leave fewer than 8.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.UpdateAsync("counter", current =>
        {
            int count = current is null ? 0 : int.Parse(current.ValueAsString(), CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetBytes((count + 1).ToString(CultureInfo.InvariantCulture));
        })));
        Console.WriteLine($"UPDATE x8 counter {(await client.GetAsync("counter"))?.ValueAsString()}");

        foreach (string fruit in new[] { "cherry", "apple", "banana" })
        {
            await client.PutAsync("fruit/" + fruit, fruit);
        }

        var listed = new List<string>();
        await foreach (KvListedKey key in client.ListAsync("fruit/"))
        {
            listed.Add($"{key.Key}:{key.Size}");
        }

        Console.WriteLine($"LIST {string.Join(' ', listed)}");
        KvWriteResult deleted = await client.DeleteAsync("greeting");
        Console.WriteLine($"DELETE {deleted.Status}, then GET {(await client.GetAsync("greeting") is null ? "absent" : "present")}");
    }

    Console.WriteLine(data.EnumerateFileSystemInfos().Any() ? "data was in the temporary directory" : "no data in the temporary directory");
}
finally
{
    data.Delete(recursive: true);
}
