// The string side of DirectoryHandle's paths: nothing here calls the kernel.
using System;

namespace EmbedKv.Runtime.Files
{
    /// <summary>Trimming, joining and checking the paths and names a <see cref="DirectoryHandle"/> works with.</summary>
    internal static class DirectoryPath
    {
        /// <summary>"data/" and "data" are the same directory; "/" stays "/".</summary>
        /// <param name="path">A directory's path.</param>
        /// <returns>The path without trailing slashes.</returns>
        internal static string TrimTrailingSlashes(string path)
        {
            string trimmed = path.TrimEnd('/');
            return trimmed.Length == 0 && path.Length > 0 ? "/" : trimmed;
        }

        /// <summary>The directory that holds <paramref name="path"/>: "." for a bare name, "/" for a top-level one.</summary>
        /// <param name="path">A path without trailing slashes.</param>
        /// <returns>The parent's path.</returns>
        internal static string ParentOf(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash < 0 ? "." : slash == 0 ? "/" : TrimTrailingSlashes(path.Substring(0, slash));
        }

        /// <summary>The path of <paramref name="name"/> inside <paramref name="directory"/>, for error messages and file paths.</summary>
        /// <param name="directory">The directory's trimmed path.</param>
        /// <param name="name">A plain name.</param>
        /// <returns>directory/name.</returns>
        internal static string Combine(string directory, string name) => directory == "/" ? "/" + name : directory + "/" + name;

        /// <summary>
        /// Requires a plain name, so every operation stays inside the directory and its Sync covers it:
        /// "a/b" would reach into a subdirectory, and an absolute name would make the *at calls ignore
        /// the directory's descriptor.
        /// </summary>
        /// <param name="name">The name.</param>
        /// <param name="parameter">The caller's parameter, for the exception.</param>
        internal static void ValidateName(string name, string parameter)
        {
            ArgumentNullException.ThrowIfNull(name, parameter);
            if (name.Length == 0 || name == "." || name == ".." || name.Contains('/'))
            {
                throw new ArgumentException("Expected a file name in the directory (not empty, \".\", \"..\", or containing '/'): \"" + name + "\".", parameter);
            }
        }
    }
}
