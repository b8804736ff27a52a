// AspNetKv: the ASP.NET Core peer of bench/run.sh http. A key-value service written the way a
// typical C# developer would write one on a Monday morning: a minimal API over Kestrel with the web
// template's defaults, one file per key in a data directory, File.ReadAllBytesAsync to read and a
// FileStream to write. No caching, no tuning: it is the thing EmbedKv is meant to replace.
//
//   dotnet bin/Release/net10.0/AspNetKv.dll --urls http://127.0.0.1:PORT --DataDir DIR --Durable true|false
//
//   GET /{key}           the value, or 404
//   POST or PUT /{key}   stores the body; 204 once stored (Durable=true: once on disk, see below)
//
// Durable=true opens the file with FileOptions.WriteThrough, which .NET turns into O_SYNC on Linux:
// each write returns only once the data (and the file's size) reached the disk, so the answer is sent
// after the value is durable. That is what a user who reads "WriteThrough" in the docs would do; like
// most such code it does not fsync the directory after creating a new file, nor write to a temporary
// file and rename it, so a crash can still lose a new key's name or leave a half-written value.
// Durable=false writes through the page cache and leaves the flushing to the kernel (within ~30 s).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

string dataDir = Path.GetFullPath(app.Configuration["DataDir"] ?? "data");
bool durable = app.Configuration.GetValue("Durable", true);
Directory.CreateDirectory(dataDir);

// Keys become file names, so keep them to a safe alphabet (no "..", no separators).
static bool IsValidKey(string key) =>
    key.Length is > 0 and <= 200 && key[0] != '.' && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

app.MapGet("/{key}", async (string key) =>
{
    if (!IsValidKey(key))
    {
        return Results.BadRequest();
    }

    string path = Path.Combine(dataDir, key);
    try
    {
        byte[] value = await File.ReadAllBytesAsync(path);
        return Results.Bytes(value, "application/octet-stream");
    }
    catch (FileNotFoundException)
    {
        return Results.NotFound();
    }
});

async Task<IResult> Store(string key, HttpRequest request)
{
    if (!IsValidKey(key))
    {
        return Results.BadRequest();
    }

    string path = Path.Combine(dataDir, key);
    FileOptions options = FileOptions.Asynchronous | (durable ? FileOptions.WriteThrough : FileOptions.None);
    await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096, options))
    {
        await request.Body.CopyToAsync(file);
    }

    return Results.NoContent();
}

app.MapPost("/{key}", Store);
app.MapPut("/{key}", Store);

app.Run();
