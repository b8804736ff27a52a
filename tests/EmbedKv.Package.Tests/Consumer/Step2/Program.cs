// Step 2 of tests/EmbedKv.Package.Tests: step 1's program, plus a call to the uname stub that the package's
// generator made in this project from its own syscalls.json; the test runs it on x86_64 and, published for
// linux-arm64, under qemu-aarch64.
using System.Runtime.InteropServices;
using System.Text;
using EmbedKv.Server;

using KvServer kv = KvServer.Start(0);
using var http = new HttpClient { BaseAddress = kv.BaseAddress };

HttpResponseMessage put = await http.PutAsync("greeting", new StringContent("hello from the package"));
Console.WriteLine($"PUT {(int)put.StatusCode}");
Console.WriteLine($"GET {await http.GetStringAsync("greeting")}");

// struct utsname is six 65-byte NUL-terminated strings; sysname comes first.
byte[] utsname = new byte[6 * 65];
nint result;
unsafe
{
    fixed (byte* buffer = utsname)
    {
        result = Consumer.Sys.Uname(buffer);
    }
}

Console.WriteLine($"uname {result} {Encoding.ASCII.GetString(utsname, 0, Array.IndexOf(utsname, (byte)0))}");
Console.WriteLine($"stub from {typeof(Consumer.Sys).Assembly.GetName().Name}, table version {Consumer.Sys.TableVersion}");
Console.WriteLine($"on {RuntimeInformation.ProcessArchitecture}");
