using EmbedKv.Server.Tests.Api.Contract;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The expiry suite (<see cref="ExpiryRequestContract"/>) on the local store.</summary>
    public sealed class ExpiryRequestTests : ExpiryRequestContract
    {
        public ExpiryRequestTests()
            : base(LocalBackend.Instance)
        {
        }
    }
}
