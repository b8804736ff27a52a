using EmbedKv.Server.Tests.Api.Contract;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The range suite (<see cref="RangeRequestContract"/>) on the local store.</summary>
    public sealed class RangeRequestTests : RangeRequestContract
    {
        public RangeRequestTests()
            : base(LocalBackend.Instance)
        {
        }
    }
}
