using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.PublicApi
{
    /// <summary>
    /// The public surface of each shipped assembly (EmbedKv.Server and EmbedKv.Runtime in the EmbedKv
    /// package, EmbedKv.Extensions.Hosting and EmbedKv.Client in their own) is checked in as PublicApi/&lt;assembly&gt;.verified.txt,
    /// so that every change to it shows in review. A change writes &lt;assembly&gt;.received.txt beside it
    /// and fails; if the change is meant, accept it with <see cref="AcceptCommand"/> and commit the diff.
    /// </summary>
    public sealed class PublicApiTests
    {
        /// <summary>Set to 1 to accept every received listing as the new verified one (as the generator snapshots do).</summary>
        private const string AcceptVariable = "EMBEDKV_ACCEPT_SNAPSHOTS";

        private const string AcceptCommand = AcceptVariable + "=1 dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~PublicApi";

        [Theory]
        [InlineData("EmbedKv.Server")]
        [InlineData("EmbedKv.Runtime")]
        [InlineData("EmbedKv.Extensions.Hosting")]
        [InlineData("EmbedKv.Client")]
        public void ThePublicSurfaceIsTheVerifiedOne(string assembly)
        {
            // By name, not through one of its types: a type that moves must not break the test, only change the listing.
            string listing = PublicApiLister.Render(Assembly.Load(new AssemblyName(assembly)));
            string directory = Path.Combine(RepositoryRoot(), "tests", "EmbedKv.Server.Tests", "PublicApi");
            string verified = Path.Combine(directory, assembly + ".verified.txt");
            string received = Path.Combine(directory, assembly + ".received.txt");
            if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
            {
                File.WriteAllText(verified, listing);
                File.Delete(received);
                return;
            }

            if (File.Exists(verified) && File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) == listing)
            {
                File.Delete(received);
                return;
            }

            File.WriteAllText(received, listing);
            Assert.Fail(
                "The public API of " + assembly + " is not the verified one"
                + (File.Exists(verified) ? string.Empty : " (there is no verified listing yet)") + ".\n"
                + "  received: " + received + "\n"
                + "  verified: " + verified + "\n"
                + "Compare them (diff -u verified received). If the change is deliberate, accept it and commit the\n"
                + "changed .verified.txt with the change that made it:\n"
                + "  " + AcceptCommand);
        }

        [Fact]
        public void TheListerRendersAKnownTypeExactly()
        {
            string listing = PublicApiLister.Render(new[] { typeof(Sample), typeof(Sample.Kind), typeof(Sample.Handler), typeof(ISample) });

            Assert.Equal(
                """
                namespace EmbedKv.Server.Tests.PublicApi
                  public interface PublicApiTests.ISample
                    public System.Collections.Generic.IReadOnlyList<string?> Names { get; }
                    public System.Threading.Tasks.Task<int> RunAsync(System.Threading.CancellationToken cancellationToken = default);
                  public abstract class PublicApiTests.Sample : System.EventArgs, System.IComparable<EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample>
                    public static readonly int Count;
                    public const string Prefix = "EMBEDKV_";
                    protected Sample(string name, int? size = null, EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample.Kind kind = EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample.Kind.Second);
                    public string? Label { get; protected set; }
                    public string Name { get; init; }
                    public event System.EventHandler<EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample>? Changed;
                    public abstract int CompareTo(EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample? other);
                    protected internal static void Log(ref int count, in long at, double scale = 0.5);
                    public override string ToString();
                    public virtual bool TryGet<T>(System.ReadOnlySpan<byte> key, out T? value, params string[] tags) where T : class, new();
                    public static EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample? operator +(EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample left, EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample right);
                  public delegate void PublicApiTests.Sample.Handler(EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample sender, EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample.Kind kind = EmbedKv.Server.Tests.PublicApi.PublicApiTests.Sample.Kind.First);
                  public enum PublicApiTests.Sample.Kind : byte
                    First = 1,
                    Second = 2,

                """.Replace("\r\n", "\n", StringComparison.Ordinal),
                listing);
        }

        private static string RepositoryRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
            {
                dir = dir.Parent ?? throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
            }

            return dir.FullName;
        }

        /// <summary>A type of every kind of member the lister renders, and some it must leave out.</summary>
        public abstract class Sample : EventArgs, IComparable<Sample>
        {
            public const string Prefix = "EMBEDKV_";
            public static readonly int Count = 3;

            private static int s_calls;

            protected Sample(string name, int? size = null, Kind kind = Kind.Second) => Name = name + size + kind;

            public delegate void Handler(Sample sender, Kind kind = Kind.First);

            public event EventHandler<Sample>? Changed
            {
                add { }
                remove { }
            }

            public enum Kind : byte
            {
                Second = 2,
                First = 1,
            }

            public string Name { get; init; }

            public string? Label { get; protected set; }

            public static Sample? operator +(Sample left, Sample right) => left ?? right;

            public abstract int CompareTo(Sample? other);

            public virtual bool TryGet<T>(ReadOnlySpan<byte> key, out T? value, params string[] tags)
                where T : class, new()
            {
                value = null;
                return key.Length > tags.Length;
            }

            public override string ToString() => Name;

            protected internal static void Log(ref int count, in long at, double scale = 0.5) => count += (int)(at * scale);

            internal void Hidden() => Log(ref s_calls, 0);

            private protected void AlsoHidden() => Hidden();
        }

        public interface ISample
        {
            IReadOnlyList<string?> Names { get; }

            Task<int> RunAsync(CancellationToken cancellationToken = default);
        }
    }
}
