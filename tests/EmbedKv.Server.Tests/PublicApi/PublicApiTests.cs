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
        private const string AcceptCommand = VerifiedListing.AcceptVariable + "=1 dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~PublicApi";

        [Theory]
        [InlineData("EmbedKv.Server")]
        [InlineData("EmbedKv.Runtime")]
        [InlineData("EmbedKv.Extensions.Hosting")]
        [InlineData("EmbedKv.Client")]
        public void ThePublicSurfaceIsTheVerifiedOne(string assembly)
        {
            // By name, not through one of its types: a type that moves must not break the test, only change the listing.
            string listing = PublicApiLister.Render(Assembly.Load(new AssemblyName(assembly)));
            VerifiedListing.Check(listing, Path.Combine(VerifiedListing.RepositoryRoot(), "tests", "EmbedKv.Server.Tests", "PublicApi"), assembly, AcceptCommand);
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
