using System;

namespace EmbedKv.Server.Configuration
{
    /// <summary>
    /// A setting <see cref="KvServerSettings"/> cannot take: an unknown key, a value it cannot read, or
    /// options that fail <see cref="KvServerOptions.Validate"/>. The message names the setting and the value.
    /// </summary>
    public sealed class InvalidSettingException : Exception
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">One line naming the setting and what is wrong with it.</param>
        public InvalidSettingException(string message)
            : base(message)
        {
        }
    }
}
