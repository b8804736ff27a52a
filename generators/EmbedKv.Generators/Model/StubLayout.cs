namespace EmbedKv.Generators.Model
{
    /// <summary>
    /// The stub page's geometry. Binding needs it to refuse a table that overflows the page
    /// (EKV010), Emit to place each stub; it lives in the model so that Emit depends on Model only.
    /// </summary>
    internal static class StubLayout
    {
        /// <summary>Each stub gets 16 bytes, so its entry stays aligned (x86_64: at most 11 bytes of code, 13 with the jump ending; aarch64: 12).</summary>
        public const int StubSize = 16;

        /// <summary>Every stub of a table must fit one page: 256 stubs at most (EKV010).</summary>
        public const int PageSize = 4096;
    }
}
