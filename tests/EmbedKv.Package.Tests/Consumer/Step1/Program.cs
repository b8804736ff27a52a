// Step 1 of tests/EmbedKv.Package.Tests: a day-one user of the EmbedKv package. Serves on a free port with
// data in ./embedkv-data, stores a key and reads it back over HTTP, and prints what it saw for the test.
using EmbedKv.Server;

using KvServer kv = KvServer.Start(0);
using var http = new HttpClient { BaseAddress = kv.BaseAddress };

HttpResponseMessage put = await http.PutAsync("greeting", new StringContent("hello from the package"));
Console.WriteLine($"PUT {(int)put.StatusCode}");
Console.WriteLine($"GET {await http.GetStringAsync("greeting")}");
