using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using Microsoft.Extensions.Options;

namespace EmbedKv.Extensions.Hosting
{
    /// <summary>Validates <see cref="KvServerOptions"/> the Options way, with the server's own rules and messages.</summary>
    internal sealed class KvServerOptionsValidator : IValidateOptions<KvServerOptions>
    {
        public ValidateOptionsResult Validate(string? name, KvServerOptions options)
        {
            try
            {
                KvServerSettings.Validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (InvalidSettingException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
