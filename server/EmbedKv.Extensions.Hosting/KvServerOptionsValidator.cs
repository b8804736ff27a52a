using System;
using EmbedKv.Server;
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
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail("invalid setting: " + Configuration.KvServerSettings.MessageOf(e));
            }
        }
    }
}
