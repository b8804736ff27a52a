using EmbedKv.Server.Tests.Api.Contract;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The lost-update suite (<see cref="LostUpdateContract"/>) on the local store.</summary>
    public sealed class LostUpdateTests : LostUpdateContract
    {
        public LostUpdateTests()
            : base(LocalBackend.Instance)
        {
        }
    }
}
