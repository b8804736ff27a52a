using System;
using System.Collections.Generic;
using EmbedKv.Generators.Json;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds every item of an array field with one entry kind's binder and keeps those that bound.
    /// A bad item has been reported by its binder and is skipped, not fatal, so the items after it
    /// are still checked and one build lists every bad entry.
    /// </summary>
    internal static class EntryList
    {
        /// <summary>None if the array is null: its field was missing or not an array, which is already reported.</summary>
        public static List<T> Bind<T>(JsonArray? array, Func<JsonNode, int, T?> bind)
            where T : class
        {
            var result = new List<T>();
            for (int i = 0; i < (array?.Items.Count ?? 0); i++)
            {
                T? model = bind(array!.Items[i], i);
                if (model is not null)
                {
                    result.Add(model);
                }
            }

            return result;
        }

        public static List<T> Bind<T>(JsonArray? array, Func<JsonNode, T?> bind)
            where T : class
            => Bind(array, (node, _) => bind(node));
    }
}
